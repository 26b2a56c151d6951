// Every page: a table that is wider (or taller) than its box scrolls inside it; such a box is made a named region a
// keyboard can reach (focus, then the arrow keys scroll it), as WCAG 2.1.1 asks. Without JavaScript it still scrolls.
(function () {
  function label(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var section = wrap.closest("section, details");
    var heading = section && section.querySelector("h2, h3, summary");
    return heading ? heading.textContent.trim() : "Table";
  }
  function update() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1 || wrap.scrollHeight > wrap.clientHeight + 1) {
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        if (!wrap.hasAttribute("aria-label")) wrap.setAttribute("aria-label", label(wrap) + " (scrolls)");
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  update();
  window.addEventListener("resize", update);
  document.addEventListener("toggle", update, true);  // a <details> opened shows its table
  document.addEventListener("htmx:afterSettle", update);
})();
