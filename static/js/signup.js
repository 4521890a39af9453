// Show only the questions asked of the chosen category (the server checks the same rule).
(function () {
  "use strict";
  var form = document.querySelector(".signup-form");
  if (!form) { return; }
  function update() {
    var chosen = form.querySelector('input[name="category"]:checked');
    form.querySelectorAll(".question").forEach(function (question) {
      var only = (question.getAttribute("data-categories") || "").split(" ").filter(Boolean);
      question.hidden = Boolean(chosen) && only.length > 0 && only.indexOf(chosen.value) === -1;
    });
  }
  form.addEventListener("change", update);
  update();
})();
