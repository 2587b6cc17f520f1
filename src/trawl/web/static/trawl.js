/* Trawl: small conveniences on top of pages that work without JavaScript.
   - PDF preview: previous/next and "Page N" links change the page image in place.
   - "/" focuses the search box.
   No request goes anywhere but this server. */
(function () {
  "use strict";

  function setupPreview() {
    var panel = document.getElementById("preview");
    if (!panel) return;
    var doc = panel.getAttribute("data-doc");
    var total = parseInt(panel.getAttribute("data-pages"), 10) || 1;
    var current = parseInt(panel.getAttribute("data-page"), 10) || 1;
    var img = panel.querySelector("img.page-image");
    var link = panel.querySelector("a.preview-link");
    var where = panel.querySelector(".where");
    var prev = panel.querySelector(".prev");
    var next = panel.querySelector(".next");
    var template = where ? where.textContent.replace(String(current), "{n}").replace(String(total), "{t}") : "";

    img.addEventListener("error", function () {
      var note = document.createElement("p");
      note.className = "preview-error";
      note.textContent = panel.getAttribute("data-error") || "No preview for this page.";
      img.replaceWith(note);
    });

    function show(n, scroll) {
      n = Math.max(1, Math.min(total, n));
      current = n;
      var src = "/documents/" + encodeURIComponent(doc) + "/pages/" + n + ".png";
      img.src = src;
      img.alt = img.alt.replace(/\d+/, String(n));
      if (link) link.href = src;
      if (where && template) where.textContent = template.replace("{n}", n).replace("{t}", total);
      if (prev) prev.classList.toggle("disabled", n <= 1);
      if (next) next.classList.toggle("disabled", n >= total);
      var sections = document.querySelectorAll(".page.current");
      for (var i = 0; i < sections.length; i++) sections[i].classList.remove("current");
      var section = document.getElementById("page-" + n);
      if (section) {
        section.classList.add("current");
        if (scroll) section.scrollIntoView({block: "start"});
      }
      var url = new URL(window.location.href);
      url.searchParams.set("page", String(n));
      url.hash = "page-" + n;
      history.replaceState(null, "", url.toString());
    }

    document.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("a[data-page]") : null;
      if (!target || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      var n = parseInt(target.getAttribute("data-page"), 10);
      if (target.classList.contains("prev")) n = current - 1;
      if (target.classList.contains("next")) n = current + 1;
      show(n, !panel.contains(target));
    });

    document.addEventListener("keydown", function (event) {
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "ArrowRight" && current < total) show(current + 1, true);
      if (event.key === "ArrowLeft" && current > 1) show(current - 1, true);
    });
  }

  function setupSlash() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey) return;
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select") return;
      var box = document.querySelector(".searchbox input[type=search]");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupPreview();
    setupSlash();
  });
})();
