/* Digital Office pages: board selection helpers and citing similar cases in a proposal.
   Everything here is an enhancement; the forms work without it (CSP: no inline scripts). */
(function () {
  "use strict";

  // Controls that only make sense with JavaScript are shipped hidden.
  document.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });

  // Board: "select this column" and a live count of the selected tiles.
  var counter = document.querySelector("[data-selected-count]");
  function tileBoxes(column) {
    var selector = "input[type=checkbox][name='case_ids']";
    if (column) { selector += "[data-column='" + column + "']"; }
    return Array.prototype.slice.call(document.querySelectorAll(selector));
  }
  function updateCount() {
    if (!counter) { return; }
    var n = tileBoxes().filter(function (box) { return box.checked; }).length;
    counter.textContent = n ? (counter.getAttribute("data-template") || "{n}").replace("{n}", n) : "";
    counter.hidden = n === 0;
  }
  document.querySelectorAll("[data-select-column]").forEach(function (box) {
    box.addEventListener("change", function () {
      tileBoxes(box.getAttribute("data-select-column")).forEach(function (c) { c.checked = box.checked; });
      updateCount();
    });
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("input[name='case_ids'], [data-select-all]")) {
      // app.js ticks the boxes for data-select-all in its own listener; count after it ran.
      window.setTimeout(updateCount, 0);
    }
  });
  updateCount();

  // Proposal: "引用" appends a Markdown reference line to the proposal text.
  var text = document.querySelector("[data-cite-target]");
  document.querySelectorAll("button[data-cite]").forEach(function (button) {
    if (!text) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var line = button.getAttribute("data-cite");
      if (text.value.indexOf(line) === -1) {
        if (text.value && !/\n$/.test(text.value)) { text.value += "\n"; }
        text.value += line + "\n";
      }
      button.textContent = button.getAttribute("data-cited") || button.textContent;
      button.classList.add("cited");
      text.focus();
      text.setSelectionRange(text.value.length, text.value.length);
    });
  });
})();
