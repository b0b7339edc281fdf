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
