// The member list's search box: filters the list as one types (the form's submit does the same without JS).
(function () {
  "use strict";
  var box = document.getElementById("member-search");
  var list = document.getElementById("member-list");
  var count = document.getElementById("member-count");
  if (!box || !list) { return; }
  var total = list.getAttribute("data-matched");
  box.addEventListener("input", function () {
    var q = box.value.trim().toLowerCase();
    var shown = 0;
    var items = list.querySelectorAll("li");
    for (var i = 0; i < items.length; i++) {
      var hit = items[i].getAttribute("data-search").indexOf(q) !== -1;
      items[i].hidden = !hit;
      if (hit) { shown++; }
    }
    if (count) { count.textContent = q ? shown + " / " + total : total; }
  });
}());
