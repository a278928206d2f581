/* Accessible names of the theme's buttons and the code-cell toggles (WCAG 2.5.3, label in name:
   a control's name contains the text it shows).
   - The search field shows "Search Ctrl+K" but is labelled "Search": its name comes from its text.
   - The icons of the colour-mode button carry titles (Light, Dark, System Settings) that are not
     in its label, "Color mode". Icons in labelled buttons are decoration: hidden from assistive technology,
     both as <i> and as the <svg> Font Awesome's script turns them into (it may do so later).
   - "Show code cell source" toggles are labelled "Toggle hidden content": their name comes
     from the text they show.
   - A display equation wider than its column scrolls sideways: a scrolling region must be
     reachable by keyboard (WCAG 2.1.1), so such an equation is focusable (tabindex 0), as
     MathJax's menu, which the book does not load, would make it.
   - So are code blocks, tables and outputs wider than the column (a phone's, a long line):
     each scrolls in its own box, focusable (the theme sets tabindex too, but not when a code cell
     is shown from its toggle) and named as a region ("Code, scrolls sideways"). */
(function () {
  function fix() {
    document.querySelectorAll("button[aria-label] i, button[aria-label] svg").forEach(function (icon) {
      if (icon.getAttribute("aria-hidden") === "true") return;
      icon.removeAttribute("title");
      icon.removeAttribute("role");
      icon.removeAttribute("aria-labelledby");
      icon.querySelectorAll("title").forEach(function (t) { t.remove(); });
      icon.setAttribute("aria-hidden", "true");
    });
    document.querySelectorAll("button.search-button-field[aria-label]").forEach(function (b) {
      b.removeAttribute("aria-label");
    });
    document.querySelectorAll("details > summary[aria-label]").forEach(function (s) {
      if (s.textContent.trim()) s.removeAttribute("aria-label");
    });
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (m) {
      if (m.scrollWidth > m.clientWidth) m.setAttribute("tabindex", "0");
      else if (m.getAttribute("tabindex") === "0") m.removeAttribute("tabindex");
    });
    Object.keys(SCROLLERS).forEach(function (selector) {
      document.querySelectorAll(selector).forEach(function (box) {
        if (box.scrollWidth > box.clientWidth + 1) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", SCROLLERS[selector] + ", scrolls sideways");
        } else if (box.getAttribute("role") === "region") {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
      });
    });
  }
  var SCROLLERS = {".bd-content pre": "Code", ".bd-content .pst-scrollable-table-container": "Table",
                   ".bd-content .cell_output > .output": "Output"};
  function start() {
    fix();
    new MutationObserver(fix).observe(document.body, {childList: true, subtree: true});
    window.addEventListener("resize", fix);
    document.addEventListener("toggle", fix, true);  // a code cell shown from its toggle (details)
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
