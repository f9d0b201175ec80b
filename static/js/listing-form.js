// Show the fields that apply: hazard questions by kind, temperature and pressure for energy.
// Without JavaScript every field stays visible, so the form still works.
(function () {
  "use strict";
  var form = document.querySelector("form[data-listing-form]");
  if (!form) return;

  function kind() {
    var checked = form.querySelector("input[name=kind]:checked");
    return checked ? checked.value : form.dataset.kind;
  }

  function state() {
    var select = form.querySelector("select[name=physical_state]");
    return select ? select.value : "";
  }

  function keep(el) {
    // Never hide a field with an error or a value the firm already gave.
    if (el.classList.contains("has-error")) return true;
    var input = el.querySelector("input:not([type=checkbox])");
    if (input && input.value !== "") return true;
    var box = el.querySelector("input[type=checkbox]");
    return Boolean(box && box.checked);
  }

  function update() {
    form.querySelectorAll("[data-show-kind]").forEach(function (el) {
      el.hidden = el.dataset.showKind !== kind() && !keep(el);
    });
    form.querySelectorAll("[data-show-state]").forEach(function (el) {
      el.hidden = el.dataset.showState !== state() && !keep(el);
    });
  }

  form.addEventListener("change", update);
  update();
})();

// EWC suggestions: while the firm types a title or description, fetch the server-rendered
// suggestion box; "Use this code" fills the EWC field (the firm confirms by saving).
// Without JavaScript the same buttons submit the form, which is redisplayed with the code.
(function () {
  "use strict";
  var box = document.querySelector("[data-ewc-suggest]");
  if (!box || !window.fetch) return;
  var form = box.closest("form");
  var title = form.querySelector("[name=title]");
  var description = form.querySelector("[name=description]");
  var code = form.querySelector("[name=ewc_code]");
  var timer = null;
  var controller = null;
  var MAX_LENGTH = 2000;

  function text() {
    return [title && title.value, description && description.value]
      .map(function (part) { return (part || "").trim(); })
      .filter(Boolean)
      .join(". ")
      .slice(0, MAX_LENGTH);
  }

  function tidy() {
    // Typing refreshes the box; the no-JavaScript refresh button is not needed.
    box.querySelectorAll("[data-suggest-submit]").forEach(function (el) { el.hidden = true; });
    box.querySelectorAll("[data-use-ewc]").forEach(function (button) {
      var chosen = code && code.value.replace(/\D/g, "") === button.dataset.useEwc.replace(/\D/g, "");
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
    });
  }

  var last = text();

  function refresh() {
    var current = text();
    if (current === last) return;
    last = current;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch(box.dataset.url + "?text=" + encodeURIComponent(current), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) { box.innerHTML = html; tidy(); })
      .catch(function () { /* keep the previous suggestions; the form works without them */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }

  [title, description].forEach(function (el) { if (el) el.addEventListener("input", schedule); });
  if (code) code.addEventListener("input", tidy);

  box.addEventListener("click", function (event) {
    var button = event.target.closest("[data-use-ewc]");
    if (!button || !code) return;
    event.preventDefault();
    code.value = button.dataset.useEwc;
    code.dispatchEvent(new Event("change", { bubbles: true }));
    tidy();
    code.focus();
  });

  tidy();
})();

// Quality fields: ask for those that matter for the chosen category (the server's table,
// in #quality-fields). A field with a value or an error stays; without JavaScript every
// field is shown, and the server accepts and checks every one whatever the category.
(function () {
  "use strict";
  var data = document.getElementById("quality-fields");
  var form = document.querySelector("form[data-listing-form]");
  if (!data || !form) return;
  var asked = JSON.parse(data.textContent);
  var select = form.querySelector("[name=category]");
  var group = form.querySelector("[data-quality]");

  function filled(el) {
    if (el.querySelector(".has-error")) return true;
    return Array.prototype.some.call(el.querySelectorAll("input"), function (input) {
      return input.type === "checkbox" ? input.checked : input.value !== "";
    });
  }

  function update() {
    var fields = asked[select ? select.value : ""] || [];
    var shown = 0;
    form.querySelectorAll("[data-quality-field]").forEach(function (el) {
      el.hidden = fields.indexOf(el.dataset.qualityField) < 0 && !filled(el);
      if (!el.hidden) shown += 1;
    });
    if (group) group.hidden = shown === 0;
  }

  if (select) select.addEventListener("change", update);
  update();
})();
