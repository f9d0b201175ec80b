// The progress bar of an import (matching/import_job.html): polls the job's JSON status
// and reloads the page once the step it shows is over (checked: the preview; applied: the
// result).
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var bar = document.getElementById("import-progress");
  var text = document.getElementById("import-progress-text");
  var status = document.getElementById("import-status");
  var url = box.getAttribute("data-status-url");
  var shown = box.getAttribute("data-status");
  var delay = 700;

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (job) {
          bar.value = job.percent;
          bar.textContent = job.percent + "%";
          text.textContent = job.processed + " of " + job.total + " rows";
          status.textContent = job.status_display;
          var checkedOrApplied = shown === "checking" ? job.status !== "checking" : job.finished;
          if (checkedOrApplied) { window.location.reload(); return; }
        }
        delay = Math.min(delay * 1.3, 5000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, delay);
})();
