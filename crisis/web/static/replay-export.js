// The exported replay: a slider over the instants rendered in advance; no network.
(function () {
  "use strict";
  var instants = JSON.parse(document.getElementById("relecture-instants").textContent);
  var slider = document.getElementById("relecture-curseur");
  var label = document.querySelector("#relecture-instant strong");
  var state = document.getElementById("relecture-etat");
  var rows = document.querySelectorAll("#relecture-journal li");
  var timer = null;
  slider.max = String(instants.length - 1);

  function show(index) {
    index = Math.max(0, Math.min(instants.length - 1, index));
    var snap = instants[index];
    slider.value = String(index);
    var text = snap.texte;
    label.textContent = text;
    slider.setAttribute("aria-valuetext", text);
    state.innerHTML = document.getElementById("f-" + snap.f).innerHTML;
    rows.forEach(function (row) {
      var seq = Number(row.getAttribute("data-seq"));
      row.classList.toggle("later", seq > snap.seen);
      row.classList.toggle("current", seq === snap.seen);
    });
    history.replaceState(null, "", "#a=" + snap.lien);
  }

  function indexAt(time) {
    var found = 0;
    for (var i = 0; i < instants.length; i++) {
      if (Date.parse(instants[i].at) <= time) { found = i; } else { break; }
    }
    return found;
  }

  function stop() { if (timer) { clearInterval(timer); timer = null; } }

  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  document.querySelectorAll("[data-step]").forEach(function (button) {
    button.addEventListener("click", function () {
      stop(); show(Number(slider.value) + Number(button.getAttribute("data-step")));
    });
  });
  document.querySelectorAll("[data-speed]").forEach(function (button) {
    button.addEventListener("click", function () {
      stop();
      var speed = Number(button.getAttribute("data-speed"));
      timer = setInterval(function () {
        var index = Number(slider.value);
        if (index >= instants.length - 1) { stop(); return; }
        var next = indexAt(Date.parse(instants[index].at) + speed * 1000);
        show(next > index ? next : index + 1);
      }, 1000);
    });
  });
  document.getElementById("relecture-pause").addEventListener("click", stop);

  var wanted = /#a=([0-9T:-]+)/.exec(location.hash);
  if (wanted) {
    var target = instants.findIndex(function (s) { return s.lien === wanted[1]; });
    show(target >= 0 ? target : instants.length - 1);
  } else {
    show(instants.length - 1);
  }
})();
