// The console's one script, small on purpose: keyboard shortcuts, the review's overall
// while typing, live counts on the overview. Every page works without it.
(function () {
  "use strict";

  function typing(target) {
    return target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  // Half up to 0.5, as the server rounds: floor(x * 2 + 0.5) / 2.
  function halfUp(x) { return Math.floor(x * 2 + 0.5 + 1e-9) / 2; }

  function overall() {
    var out = document.querySelector("[data-overall]");
    if (!out) return;
    var inputs = document.querySelectorAll("[data-criterion]");
    function update() {
      var sum = 0, n = 0;
      inputs.forEach(function (input) {
        if (input.value.trim() === "") return;
        var v = Number(input.value);
        if (!isNaN(v)) { sum += v; n += 1; }
      });
      out.textContent = n ? halfUp(sum / n).toFixed(1) : "-";
    }
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    update();
  }

  function rows() {
    var table = document.querySelector("[data-rows]");
    if (!table) return null;
    var list = Array.prototype.slice.call(table.querySelectorAll("tr[data-href]"));
    var at = -1;
    function select(i) {
      if (!list.length) return;
      at = Math.max(0, Math.min(list.length - 1, i));
      list.forEach(function (r) { r.classList.remove("sel"); });
      list[at].classList.add("sel");
      list[at].scrollIntoView({ block: "nearest" });
    }
    return {
      next: function () { select(at + 1); },
      prev: function () { select(at - 1); },
      open: function () { if (at >= 0) window.location = list[at].getAttribute("data-href"); },
    };
  }

  function keys() {
    var table = rows();
    document.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        var form = document.getElementById("review-form");
        if (form) { event.preventDefault(); form.requestSubmit(); }
        return;
      }
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (table && (event.key === "j" || event.key === "k" || event.key === "Enter")) {
        event.preventDefault();
        if (event.key === "j") table.next();
        else if (event.key === "k") table.prev();
        else table.open();
        return;
      }
      var target = document.querySelector('[data-key="' + event.key + '"]');
      if (!target) return;
      event.preventDefault();
      if (target.tagName === "A") window.location = target.href;
      else target.click();
    });
  }

  // Live numbers: elements with data-live="name" take the value of that key from the
  // page's data-live-url every few seconds, only while the tab is visible.
  function live() {
    var root = document.querySelector("[data-live-url]");
    if (!root) return;
    var url = root.getAttribute("data-live-url");
    var stamp = document.querySelector("[data-live-stamp]");
    var timer = null;
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          document.querySelectorAll("[data-live]").forEach(function (el) {
            var v = data[el.getAttribute("data-live")];
            if (v !== undefined) el.textContent = v;
          });
          if (stamp) stamp.textContent = "live · updated " + new Date().toLocaleTimeString();
        })
        .catch(function () {});
    }
    function start() { if (!timer) { tick(); timer = setInterval(tick, 5000); } }
    function stop() { if (timer) { clearInterval(timer); timer = null; } }
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) stop(); else start();
    });
    if (!document.hidden) start();
  }

  // A checkbox that selects every row of its group.
  function selectAll() {
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var group = box.getAttribute("data-select-all");
        document.querySelectorAll('input[data-group="' + group + '"]').forEach(function (b) {
          b.checked = box.checked;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    overall(); keys(); live(); selectAll();
  });
})();
