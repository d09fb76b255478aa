/* Plan editor enhancements; the page works without them (CSP forbids inline scripts).
 * - Several people edit one plan: check every 30 s whether the case changed and, if so,
 *   say so before anyone saves onto a stale page (the server answers 409 anyway).
 * - Warn before leaving the page with unsaved plan text. */
(function () {
  "use strict";
  var progress = document.getElementById("progress");
  var banner = document.getElementById("plan-changed");
  if (progress && banner && window.fetch) {
    var url = progress.getAttribute("data-reasons-url");
    var version = progress.getAttribute("data-version");
    var timer = window.setInterval(check, 30000);
    function check() {
      if (document.hidden) { return; }
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || String(data.version) === version) { return; }
          window.clearInterval(timer);
          banner.hidden = false;
          document.querySelectorAll("[data-plan-reasons]").forEach(function (list) {
            list.textContent = "";
            data.reasons.forEach(function (text) {
              var item = document.createElement("li");
              item.textContent = text;
              list.appendChild(item);
            });
          });
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }
  }

  var form = document.querySelector("[data-plan-form]");
  if (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  }
})();
