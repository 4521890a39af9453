// Follows a scheduler run (roadshow or matchmaking) on the organiser's page and reloads
// the page when the run ends.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) return;
  var bar = box.querySelector("[data-run-bar]");
  var text = box.querySelector("[data-run-text]");
  var limit = Number(box.getAttribute("data-time-limit")) || 20;
  var format = box.getAttribute("data-progress-format") || "";

  function show(progress) {
    var elapsed = Number(progress.elapsed) || 0;
    var share = Math.min(100, Math.round((elapsed / limit) * 100));
    if (bar) {
      bar.style.width = share + "%";
      bar.setAttribute("aria-valuenow", String(share));
    }
    if (text && format) {
      var names = { missed: "missed_interests" };
      var complete = true;
      var filled = format.replace(/\{(\w+)\}/g, function (match, key) {
        var value = progress[names[key] || key];
        if (value === undefined || value === null || typeof value === "object") complete = false;
        return String(value);
      });
      if (complete) text.textContent = filled;
    }
  }

  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (run) {
        if (run.status === "running") {
          show(run.progress || {});
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }
  poll();
})();
