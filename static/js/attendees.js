// Attendee list: "select all" for the row checkboxes, and only the bulk-action
// fields that the chosen action uses. The page works without this script.
(function () {
  "use strict";

  document.querySelectorAll("[data-select-all]").forEach(function (master) {
    var name = master.getAttribute("data-select-all");
    var boxes = function () {
      return document.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
    };
    master.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = master.checked; });
    });
    document.addEventListener("change", function (event) {
      if (event.target.name !== name) { return; }
      var all = Array.prototype.every.call(boxes(), function (box) { return box.checked; });
      master.checked = all;
    });
  });

  var action = document.querySelector("#bulk-form select[name='action']");
  if (action) {
    var show = function () {
      document.querySelectorAll("#bulk-form [data-for-action]").forEach(function (part) {
        part.hidden = part.getAttribute("data-for-action") !== action.value;
      });
    };
    action.addEventListener("change", show);
    show();
  }
})();
