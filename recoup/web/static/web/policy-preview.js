// The policy page's message preview: fit the HTML frame to the whole message, so nothing is cut off.
// (No inline script: the Content-Security-Policy refuses them.) Without this script the frame keeps
// its CSS height and scrolls.
(function () {
  "use strict";
  function fit(frame) {
    var doc = frame.contentDocument;
    if (!doc || !doc.documentElement) { return; }
    frame.style.height = (doc.documentElement.scrollHeight + 2) + "px";
  }
  document.querySelectorAll("iframe.preview-frame").forEach(function (frame) {
    frame.addEventListener("load", function () { fit(frame); });
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") { fit(frame); }
    window.addEventListener("resize", function () { fit(frame); });
  });
})();
