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

// A poll sends back the entity tag of what it shows: the service answers 304, without
// rendering anything, while nothing changed (htmx keeps the content of a 304).
document.addEventListener("htmx:configRequest", function (event) {
  var tag = event.detail.elt instanceof Element ? event.detail.elt.getAttribute("data-etag") : null;
  if (tag && isPoll(event.detail.elt)) {
    event.detail.headers["If-None-Match"] = tag;
  }
});

// The countdowns of running clocks (« reste 12 min 03 s », « en retard de 2 min 10 s ») count
// in the browser from their absolute deadline, on the service's clock: each answer gives its
// time (X-Service-Time), the page its time at rendering (data-heure-service). Without
// JavaScript, the page shows them as they were when it was rendered.
var serviceOffset = 0; // the service's time minus this browser's, in milliseconds
function takeServiceTime(value) {
  var instant = value ? Date.parse(value) : NaN;
  if (!isNaN(instant)) {
    serviceOffset = instant - Date.now();
  }
}
function countdownText(milliseconds) {
  var seconds = Math.floor(Math.abs(milliseconds) / 1000);
  var rest = seconds % 60;
  return Math.floor(seconds / 60) + " min " + (rest < 10 ? "0" : "") + rest + " s";
}
function countDown() {
  var now = Date.now() + serviceOffset;
  document.querySelectorAll("[data-echeance]").forEach(function (element) {
    var left = Date.parse(element.getAttribute("data-echeance")) - now;
    // A deadline just passed: the service says « dépassée » at the next poll.
    var shown = element.getAttribute("data-sens") === "reste" ? Math.max(0, left) : Math.min(0, left);
    var text = countdownText(shown);
    if (element.textContent !== text) {
      element.textContent = text;
    }
  });
  setTimeout(countDown, 1000 - (now % 1000) + 5); // just after the service's next second
}
document.addEventListener("htmx:afterRequest", function (event) {
  var xhr = event.detail.xhr;
  if (!isPoll(event.detail.elt) || !event.detail.successful || !xhr) {
    return;
  }
  takeServiceTime(xhr.getResponseHeader("X-Service-Time"));
  var tag = xhr.getResponseHeader("ETag");
  if (tag && event.detail.elt.hasAttribute("data-etag")) {
    event.detail.elt.setAttribute("data-etag", tag);
  }
});
document.addEventListener("DOMContentLoaded", function () {
  var rendered = document.querySelector("[data-heure-service]");
  if (rendered !== null) {
    takeServiceTime(rendered.getAttribute("data-heure-service"));
  }
  countDown();
});
