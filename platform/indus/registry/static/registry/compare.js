// "Compare selected": open the comparison page as ?versions=<id>,<id> (without this script the
// form still works and sends ?versions=<id>&versions=<id>).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("compare-form");
  if (!form) return;
  form.addEventListener("submit", function (event) {
    var ids = Array.prototype.map.call(form.querySelectorAll("input.compare-version:checked"), function (box) {
      return box.value;
    });
    event.preventDefault();
    window.location.href = form.getAttribute("action") + "?versions=" + ids.join(",");
  });
});
