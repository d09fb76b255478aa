/* Digital Office pages: board selection helpers, citing similar cases, the triage desk.
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
  function initCite(root) {
    var text = root.querySelector("[data-cite-target]");
    root.querySelectorAll("button[data-cite]").forEach(function (button) {
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
        text.dispatchEvent(new Event("input", { bubbles: true }));
        text.focus();
        text.setSelectionRange(text.value.length, text.value.length);
      });
    });
  }

  // Triage desk: the proposal's draft saves itself a moment after typing stops.
  function initDraft(root) {
    root.querySelectorAll("form[data-draft-url]").forEach(function (form) {
      var text = form.querySelector("textarea[name='proposal_text']");
      var status = form.querySelector("[data-draft-status]");
      var timer = null;
      if (!text) { return; }
      text.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          var body = new FormData();
          body.append("csrf_token", form.querySelector("[name='csrf_token']").value);
          body.append("version", form.querySelector("[name='version']").value);
          body.append("proposal_text", text.value);
          fetch(form.getAttribute("data-draft-url"), { method: "POST", body: body, credentials: "same-origin" })
            .then(function (response) { return response.json(); })
            .then(function (answer) {
              if (answer.version) { form.querySelector("[name='version']").value = answer.version; }
              if (status) { status.textContent = answer.saved || answer.error || ""; }
            })
            .catch(function () { /* the explicit save still works */ });
        }, 1200);
      });
    });
  }

  // Triage desk: opening a case and every form in the desk swap the desk in place.
  var desk = document.querySelector("[data-desk]");
  function swapFrom(html, url, push) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("[data-desk]");
    if (!fresh) { window.location.assign(url); return; }
    var main = document.querySelector("main");
    var oldFlashes = main.querySelector(".flashes");
    var newFlashes = doc.querySelector("main .flashes");
    if (oldFlashes) { oldFlashes.remove(); }
    if (newFlashes) { main.insertBefore(document.importNode(newFlashes, true), main.firstChild); }
    var head = document.querySelector(".page-head");
    var newHead = doc.querySelector(".page-head");
    if (head && newHead) { head.replaceWith(document.importNode(newHead, true)); }
    fresh = document.importNode(fresh, true);
    desk.replaceWith(fresh);
    desk = fresh;
    document.title = doc.title;
    if (push) { window.history.pushState({ desk: true }, "", url); } else { window.history.replaceState({ desk: true }, "", url); }
    initCite(desk);
    initDraft(desk);
    var target = desk.querySelector("#desk-panel") || desk.querySelector(".desk-done") || (main.querySelector(".flashes"));
    if (target) {
      if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  }
  function load(url, options, push) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options)).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text().then(function (html) { swapFrom(html, response.url, push); });
    });
  }
  if (desk && window.fetch && window.DOMParser) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[data-desk] a[data-desk-open], [data-desk] a.panel-close");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      load(link.href, {}, true).catch(function () { window.location.assign(link.href); });
    });
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented || !form.closest("[data-desk]") || form.hasAttribute("data-plain")) { return; }
      event.preventDefault();
      var body = new FormData(form);
      if (event.submitter && event.submitter.name) { body.append(event.submitter.name, event.submitter.value); }
      load(form.action, { method: "POST", body: body }, true).catch(function () {
        // Let the browser show the server's answer (a conflict page, say) as it would without JS.
        form.setAttribute("data-plain", "1");
        if (event.submitter) { form.requestSubmit(event.submitter); } else { form.requestSubmit(); }
      });
    });
    window.addEventListener("popstate", function () {
      load(window.location.href, {}, false).catch(function () { window.location.reload(); });
    });
  }
  initCite(document);
  initDraft(document);
})();
