// Appended to the wasm-bindgen no-modules glue inside one function scope, so
// neither adds a global. It must never throw: the page's links work without us.
try {
  var script = document.currentScript;
  var root = document.documentElement;
  // A snippet pasted twice must not count the page view twice.
  if (script && root && !root.hasAttribute("data-chatrail-loaded")) {
    root.setAttribute("data-chatrail-loaded", "");
    var site = script.getAttribute("data-site") || "";
    // Everything before the script's own file name: the collector's prefix.
    var base = script.src.replace(/\/[^\/?#]*([?#].*)?$/, "");
    // The collector replaces the placeholder with a content-hashed path.
    wasm_bindgen({ module_or_path: base + "__CHATRAIL_WASM_PATH__" })
      .then(function () {
        wasm_bindgen.start(site, base);
      })
      .catch(function () {});
  }
} catch (e) {}
