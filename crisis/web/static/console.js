// Console enhancements; every page works without them.
"use strict";

// htmx requests carry the page's CSRF token as a header.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  }
});

// Signing out: a poll answered while the sign-out is under way is a 401 that
// would send the page to the bare sign-in form, over the « Vous êtes
// déconnecté » the sign-out lands on. Polls neither start nor land meanwhile.
var signingOut = false;
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.getAttribute("action") === "/deconnexion") {
    signingOut = true;
  }
});
window.addEventListener("pageshow", function () {
  signingOut = false; // back from the browser's page cache
});
document.addEventListener("htmx:beforeRequest", function (event) {
  if (signingOut) {
    event.preventDefault();
  }
});
document.addEventListener("htmx:beforeOnLoad", function (event) {
  if (signingOut) {
    event.preventDefault();
  }
});

// A poll that fails (the service unreachable, its database down, no answer in 10 s) leaves
// the page as it was: clocks that no longer move must say so, until a poll succeeds again.
function isPoll(element) {
  var trigger = element instanceof Element ? element.getAttribute("hx-trigger") : null;
  return trigger !== null && trigger.indexOf("every ") === 0;
}
function parisTime(instant) {
  return instant.toLocaleTimeString("fr-FR", { timeZone: "Europe/Paris" });
}
var lastUpdate = new Date();
function showLinkLost(event) {
  var notice = document.getElementById("liaison-interrompue");
  if (signingOut || notice === null || !isPoll(event.detail.elt)) {
    return;
  }
  if (event.type === "htmx:responseError" && event.detail.xhr.status < 500) {
    return; // a refusal, not a lost link
  }
  if (notice.hidden) {
    notice.querySelector("[data-derniere-mise-a-jour]").textContent = parisTime(lastUpdate);
    notice.hidden = false;
  }
}
["htmx:sendError", "htmx:responseError", "htmx:timeout"].forEach(function (name) {
  document.addEventListener(name, showLinkLost);
});
document.addEventListener("htmx:afterRequest", function (event) {
  if (isPoll(event.detail.elt) && event.detail.successful) {
    lastUpdate = new Date();
    var notice = document.getElementById("liaison-interrompue");
    if (notice !== null) {
      notice.hidden = true;
    }
  }
});

// The validation queue refreshes itself, but never under the préfet's hands: not while a
// field of it has the focus or holds a reason being typed, nor while it shows an error.
document.addEventListener("htmx:beforeRequest", function (event) {
  var queue = event.detail.elt;
  if (!(queue instanceof Element) || queue.id !== "file-validation") {
    return;
  }
  var active = document.activeElement;
  var typing = active !== null && queue.contains(active) && active.matches("textarea, input");
  var written = Array.prototype.some.call(queue.querySelectorAll("textarea"), function (field) {
    return field.value.trim() !== "";
  });
  if (typing || written || queue.querySelector('[aria-invalid="true"]') !== null) {
    event.preventDefault();
  }
});
