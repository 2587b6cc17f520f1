// Suggestions for the tag input of the tags box (templates/annotations/box.html): as the
// reader types, the tags they already use that start with it (GET /api/tags, their own and
// their groups'), in the input's <datalist>. The form works without this script.
"use strict";
(function () {
  const input = document.querySelector("input[data-tag-complete]");
  if (!input) return;
  const list = document.getElementById(input.getAttribute("list"));
  let asked = null;
  let timer = null;

  function fill(tags) {
    list.replaceChildren(...tags.map((t) => {
      const option = document.createElement("option");
      option.value = t.tag;
      option.textContent = t.tag + " (" + t.count + ")";
      return option;
    }));
  }

  function suggest() {
    const prefix = input.value.trim().toLowerCase();
    if (prefix === asked) return;
    asked = prefix;
    fetch(input.dataset.tagComplete + encodeURIComponent(prefix), {
      credentials: "same-origin", headers: { "Accept": "application/json" },
    }).then((r) => (r.ok ? r.json() : { tags: [] }))
      .then((body) => { if (asked === prefix) fill(body.tags || []); })
      .catch(() => fill([]));
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
  input.addEventListener("focus", suggest);
})();
