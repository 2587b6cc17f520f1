/* Trawl's reader (web/reader.py): on a document opened from a search,
   - j / k open the next / previous result (the links of the reader's bar);
   - n / p (and the "Next match" control) go from one match of the query to the next in
     the text, turning the PDF preview to the match's page;
   - the query's words are boxed on the PDF page image, from /documents/ID/pages/N/marks.
   The page works without it: the links are links, the words are marked in the text. */
(function () {
  "use strict";

  function typing(event) {
    var tag = (event.target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" ||
      event.altKey || event.ctrlKey || event.metaKey;
  }

  function setupMatches() {
    var nav = document.getElementById("match-nav");
    var marks = document.querySelectorAll(".text-panel pre.text mark");
    if (!nav || !marks.length) return null;
    var where = document.getElementById("match-where");
    var template = where.getAttribute("data-template") || "{n} / {total}";
    var current = -1;
    nav.hidden = false;

    function say() {
      where.textContent = template.replace("{n}", String(current + 1))
        .replace("{total}", String(marks.length));
    }

    function go(step) {
      if (current >= 0) marks[current].classList.remove("current-match");
      current = (current + step + marks.length) % marks.length;
      var mark = marks[current];
      mark.classList.add("current-match");
      var page = mark.closest ? mark.closest("section.page") : null;
      var turn = page ? page.querySelector("a[data-page]") : null;
      if (turn && document.getElementById("preview") && !page.classList.contains("current")) {
        turn.click();  // trawl.js shows that page's image
      }
      mark.scrollIntoView({block: "center"});
      say();
    }

    document.getElementById("next-match").addEventListener("click", function () { go(1); });
    document.getElementById("prev-match").addEventListener("click", function () { go(-1); });
    say();
    return go;
  }

  function setupKeys(go) {
    document.addEventListener("keydown", function (event) {
      if (typing(event)) return;
      var link = null;
      if (event.key === "j") link = document.getElementById("next-result");
      if (event.key === "k") link = document.getElementById("prev-result");
      if (link) { event.preventDefault(); window.location.href = link.href; return; }
      if (!go) return;
      if (event.key === "n") { event.preventDefault(); go(1); }
      if (event.key === "p" || event.key === "N") { event.preventDefault(); go(-1); }
    });
  }

  function setupPreviewMarks() {
    var panel = document.getElementById("preview");
    var q = panel ? panel.getAttribute("data-q") : "";
    if (!panel || !q) return;
    var img = panel.querySelector("img.page-image");
    var holder = panel.querySelector("a.preview-link");
    if (!img || !holder) return;
    holder.classList.add("marks-holder");

    function draw() {
      var found = /\/pages\/(\d+)\.png/.exec(img.getAttribute("src") || "");
      if (!found) return;
      var page = found[1];
      var old = holder.querySelectorAll(".page-mark");
      for (var i = 0; i < old.length; i++) old[i].remove();
      var url = "/documents/" + encodeURIComponent(panel.getAttribute("data-doc")) +
        "/pages/" + page + "/marks?q=" + encodeURIComponent(q);
      fetch(url, {credentials: "same-origin"}).then(function (response) {
        return response.ok ? response.json() : {marks: []};
      }).then(function (data) {
        if (String(data.page) !== page || (img.getAttribute("src") || "").indexOf("/pages/" + page + ".png") < 0) return;
        data.marks.forEach(function (box) {
          var mark = document.createElement("span");
          mark.className = "page-mark";
          mark.style.left = (box[0] * 100) + "%";
          mark.style.top = (box[1] * 100) + "%";
          mark.style.width = (box[2] * 100) + "%";
          mark.style.height = (box[3] * 100) + "%";
          holder.appendChild(mark);
        });
        panel.setAttribute("data-marked", String(data.marks.length));
      }).catch(function () { /* no boxes: the text still has its marks */ });
    }

    img.addEventListener("load", draw);
    if (img.complete && img.naturalWidth) draw();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupKeys(setupMatches());
    setupPreviewMarks();
  });
})();
