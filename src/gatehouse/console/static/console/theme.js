// Applies the theme before the page paints: "auto" follows the system setting.
(function () {
  "use strict";
  var root = document.documentElement;
  function apply() {
    var choice = root.getAttribute("data-theme-choice") || "auto";
    var dark = choice === "dark" || (choice === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
    root.setAttribute("data-bs-theme", dark ? "dark" : "light");
  }
  apply();
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", apply);
  window.gatehouseApplyTheme = apply;
})();
