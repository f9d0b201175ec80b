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
