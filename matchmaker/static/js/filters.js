// Browse filters: folded behind one <details> control on phones, where they would fill the
// first screen; on wide screens there is room, so they are opened. Without JavaScript the
// control works all the same.
(function () {
  "use strict";
  if (!window.matchMedia("(min-width: 768px)").matches) {
    return;
  }
  document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
    details.open = true;
  });
})();
