/* Small progressive enhancements; every page works without them (CSP forbids inline scripts). */
(function () {
  "use strict";
  // Ask before closing moves (withdraw, reject, ...): buttons carry data-confirm.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // "Select all" checkboxes: <input type=checkbox data-select-all="name">.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select-all");
      document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (c) { c.checked = box.checked; });
    });
  });
  // Selects that submit their filter form on change: <select data-autosubmit>.
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
})();
