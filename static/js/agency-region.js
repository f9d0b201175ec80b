// Region form: show only the inputs of the chosen shape (towns or boundary). Without
// JavaScript both stay visible and the server uses the one the radio button names.
(function () {
  "use strict";
  var form = document.getElementById("region-form");
  if (!form) return;
  function sync() {
    var chosen = form.querySelector("input[name=shape]:checked");
    var shape = chosen ? chosen.value : "towns";
    form.querySelectorAll("[data-shape]").forEach(function (group) {
      group.hidden = group.getAttribute("data-shape") !== shape;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "shape") sync();
  });
  // An uploaded file's text goes into the textarea, so the author sees what is sent.
  var file = form.querySelector("input[name=boundary_file]");
  var text = form.querySelector("textarea[name=boundary]");
  if (file && text && window.FileReader) {
    file.addEventListener("change", function () {
      if (!file.files.length) return;
      var reader = new FileReader();
      reader.onload = function () { text.value = reader.result; };
      reader.readAsText(file.files[0]);
    });
  }
  sync();
})();
