// The replay page (« relecture »): the slider and the play buttons fetch the state at the
// chosen instant without reloading the page. Without script, the form and links do it all.
(function () {
  "use strict";
  var form = document.getElementById("relecture-commandes");
  if (!form) {
    return;
  }
  var crisis = form.getAttribute("data-crisis");
  var start = Date.parse(form.getAttribute("data-start"));
  var slider = document.getElementById("relecture-curseur");
  var shown = document.querySelector("#relecture-instant strong");
  var pause = document.getElementById("relecture-pause");
  var timer = null;
  var asked = 0;
  var base = "/evenements/" + crisis + "/rejouer";

  function stop() {
    if (timer) {
      clearInterval(timer);
      timer = null;
    }
    pause.hidden = true;
  }

  function link(id, href) {
    var element = document.getElementById(id);
    if (element) {
      element.setAttribute("href", href);
    }
  }

  function load() {
    var at = new Date(start + Number(slider.value) * 1000).toISOString();
    var ticket = ++asked;
    return fetch(base + "/etat?a=" + encodeURIComponent(at), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("relecture " + response.status);
        }
        return response.text().then(function (body) {
          if (ticket !== asked) {
            return; // a later position was asked for meanwhile
          }
          var holder = document.createElement("div");
          holder.innerHTML = body;
          holder.querySelectorAll("template[data-part]").forEach(function (part) {
            var target = document.getElementById("relecture-" + part.getAttribute("data-part"));
            if (target) {
              target.innerHTML = part.innerHTML;
            }
          });
          var paris = response.headers.get("X-Relecture-Lien");
          var seen = Number(response.headers.get("X-Relecture-Entree"));
          var instant = document.querySelector("#relecture-etat .console-replay-banner");
          if (instant) {
            var text = instant.textContent.replace(/^Relecture — état au /, "").replace(/ \(.*$/, "");
            shown.textContent = text;
            slider.setAttribute("aria-valuetext", text);
          }
          var here = base + "?a=" + paris;
          history.replaceState(null, "", here);
          var own = document.getElementById("relecture-lien");
          own.setAttribute("href", here);
          own.textContent = here;
          var hidden = document.getElementById("relecture-annotation-instant");
          if (hidden) {
            hidden.value = response.headers.get("X-Relecture-Instant");
          }
          link("relecture-entree-precedente", base + "?entree=" + Math.max(1, seen - 1));
          link("relecture-entree-suivante", base + "?entree=" + (seen + 1));
          link("relecture-minute-precedente", base + "?a=" + response.headers.get("X-Relecture-Minute-Precedente"));
          link("relecture-minute-suivante", base + "?a=" + response.headers.get("X-Relecture-Minute-Suivante"));
        });
      })
      .catch(function () {
        stop();
      });
  }

  slider.addEventListener("input", function () {
    stop();
    load();
  });
  // Page up and down: ten minutes (the browser's own step there depends on the length).
  slider.addEventListener("keydown", function (event) {
    if (event.key !== "PageUp" && event.key !== "PageDown") {
      return;
    }
    event.preventDefault();
    stop();
    var move = event.key === "PageUp" ? 600 : -600;
    slider.value = String(Math.max(0, Math.min(Number(slider.max), Number(slider.value) + move)));
    load();
  });
  document.querySelectorAll("#relecture-commandes [data-speed]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      stop();
      var speed = Number(button.getAttribute("data-speed"));
      pause.hidden = false;
      timer = setInterval(function () {
        var next = Math.min(Number(slider.max), Number(slider.value) + speed);
        slider.value = String(next);
        load();
        if (next >= Number(slider.max)) {
          stop();
        }
      }, 1000);
    });
  });
  pause.addEventListener("click", stop);
})();
