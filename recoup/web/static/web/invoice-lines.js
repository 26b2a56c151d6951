// "Add a line" on the invoice form: clone the formset's empty row and count it.
// Without JavaScript the form still offers its blank rows; the button stays hidden.
(function () {
  var button = document.getElementById("add-line");
  var template = document.getElementById("empty-line");
  var body = document.getElementById("lines-body");
  var total = document.getElementById("id_lines-TOTAL_FORMS");
  if (!button || !template || !body || !total) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var row = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", row);
    total.value = String(index + 1);
    var first = body.lastElementChild.querySelector("input");
    if (first) first.focus();
  });
})();
