// A running count under text fields with a length limit, so that nobody finds their text cut
// at the limit by surprise. The help text states the limit without JavaScript too.
(function () {
  "use strict";
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  document.querySelectorAll(".char-counter[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.dataset.counterFor);
    if (!field) {
      return;
    }
    var max = Number(counter.dataset.max);
    var update = function () {
      var count = field.value.length;
      counter.textContent = counter.dataset.text
        .replace("{count}", format.format(count))
        .replace("{max}", format.format(max));
      counter.classList.toggle("near-limit", count >= max * 0.9);
    };
    counter.hidden = false;
    field.addEventListener("input", update);
    update();
  });
})();
