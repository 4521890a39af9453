// Arrivals live: fetches the page's figures again every few seconds and swaps
// them in, so that an organiser can leave the page open on a screen. The page
// is complete without this script; it just does not update by itself.
// The printable list gets its print button from here too.
(function () {
  "use strict";

  var live = document.getElementById("arrivals-live");
  if (live) {
    keepRefreshing(live);
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Undo asks first: one click on a busy screen must not un-admit somebody.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  function keepRefreshing(container) {
    var url = container.getAttribute("data-refresh-url");
    var seconds = parseInt(container.getAttribute("data-refresh-seconds"), 10) || 15;
    var failed = document.getElementById("arrivals-refresh-failed");
    var busy = false;

    document.querySelectorAll("[data-live-note]").forEach(function (note) { note.hidden = false; });

    function openLists() {
      return Array.prototype.map.call(
        container.querySelectorAll("details[open][data-key]"),
        function (details) { return details.getAttribute("data-key"); }
      );
    }

    function reopen(keys) {
      keys.forEach(function (key) {
        var details = container.querySelector('details[data-key="' + key + '"]');
        if (details) { details.open = true; }
      });
    }

    // Someone about to press Undo keeps the button where it is.
    function inUse() {
      var active = document.activeElement;
      return active && container.contains(active) && active.closest("form");
    }

    function refresh() {
      if (busy || document.hidden || inUse()) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
        .then(function (response) {
          // A redirect means the session ended: that is the sign-in page, not figures.
          if (!response.ok || response.redirected) { throw new Error("refresh failed"); }
          return response.text();
        })
        .then(function (html) {
          var open = openLists();
          container.innerHTML = html;
          reopen(open);
          failed.hidden = true;
        })
        .catch(function () { failed.hidden = false; })
        .finally(function () { busy = false; });
    }

    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { refresh(); }
    });
  }
})();
