/* Review queue: decisions without a full reload, and keyboard shortcuts.
   Without this script every form still posts and the page reloads (progressive enhancement). */
(function () {
  "use strict";
  var queue = document.getElementById("review-queue");

  function entries() {
    return Array.prototype.slice.call(document.querySelectorAll(".review-entry"));
  }

  function current() {
    var active = document.activeElement;
    var entry = active && active.closest ? active.closest(".review-entry") : null;
    return entry || document.querySelector(".review-entry.current") || entries()[0] || null;
  }

  function focusEntry(entry) {
    if (!entry) { return; }
    entries().forEach(function (item) { item.classList.remove("current"); });
    entry.classList.add("current");
    entry.focus();
    entry.scrollIntoView({block: "nearest"});
  }

  function move(step) {
    var list = entries();
    var index = list.indexOf(current());
    focusEntry(list[Math.max(0, Math.min(list.length - 1, index + step))]);
  }

  function show(entry, text, failed) {
    var box = entry.querySelector(".entry-message");
    if (box) {
      box.textContent = text;
      box.classList.toggle("failed", !!failed);
    }
  }

  function submitDecision(form) {
    var entry = form.closest(".review-entry");
    var data = new FormData(form);
    data.set("action", form.getAttribute("data-action"));
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    /* form.action would be the control named "action", not the attribute */
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      headers: {"X-Requested-With": "fetch", "Accept": "application/json"},
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      if (!result.ok) {
        show(entry, result.body.message || "Error", true);
        return;
      }
      var badge = entry.querySelector(".match-status");
      if (badge) {
        badge.textContent = result.body.status_label;
        badge.setAttribute("data-status", result.body.status);
      }
      entry.className = entry.className.replace(/status-\S+/, "status-" + result.body.status);
      entry.classList.add("decided");
      var decisions = entry.querySelector(".decisions");
      if (decisions && queue) { decisions.hidden = true; }
      show(entry, result.body.message, false);
      if (queue) {
        var list = entries();
        var next = list[list.indexOf(entry) + 1];
        if (next) { focusEntry(next); }
      }
    }).catch(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("decision")) {
      if (!form.checkValidity()) { return; }
      event.preventDefault();
      submitDecision(form);
    }
  });

  function decisionForm(entry, action) {
    return entry ? entry.querySelector("form.decision[data-action='" + action + "']") : null;
  }

  function trigger(action) {
    var entry = current();
    var form = decisionForm(entry, action);
    if (!form) { return; }
    if (action === "approve") { submitDecision(form); return; }
    var field = form.querySelector(action === "reject" ? "select[name=reason]" : "input[name=until]");
    if (field && !field.value) { field.focus(); return; }
    if (form.checkValidity()) { submitDecision(form); } else { form.reportValidity(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") {
      if (event.key === "Escape") { var entry = target.closest(".review-entry"); if (entry) { focusEntry(entry); } }
      return;
    }
    var entryNow;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": trigger("approve"); break;
      case "r": trigger("reject"); break;
      case "s": trigger("snooze"); break;
      case "x":
        entryNow = current();
        var box = entryNow && entryNow.querySelector("input[name=match_id]");
        if (box) { box.checked = !box.checked; }
        break;
      case "o":
        entryNow = current();
        var link = entryNow && entryNow.querySelector("a.open");
        if (link) { window.location.href = link.href; }
        break;
      case "?":
        var help = document.getElementById("shortcuts");
        if (help) { help.open = !help.open; }
        break;
      default: return;
    }
    event.preventDefault();
  });

  if (queue) { focusEntry(entries()[0]); }
}());
