// The fine-tune form is built from the chosen task: choosing a project, a task or a backbone
// reloads it (GET ?project=&task=&backbone=) so the fields and the defaults fit that choice.
(function () {
  "use strict";
  function reload(form) {
    var params = new URLSearchParams();
    ["project", "task", "backbone"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value) params.set(name, field.value);
    });
    window.location.assign(form.getAttribute("action") + "?" + params.toString());
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("launch-form");
    var load = document.getElementById("load-task");
    if (!form || !load) return;
    ["id_project", "id_task", "id_backbone"].forEach(function (id) {
      var select = document.getElementById(id);
      if (select) select.addEventListener("change", function () { reload(form); });
    });
    // The button is for browsers without JavaScript; here a change of either select reloads.
    load.hidden = true;
  });
})();
