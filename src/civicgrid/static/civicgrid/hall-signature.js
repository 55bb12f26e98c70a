// The resident signs on the grid worker's phone: a canvas drawn with a finger (pointer events), sent as a PNG with a
// transparent background (the server lays it on white). Choosing "photo" shows the camera input instead.
(function () {
  "use strict";
  var form = document.getElementById("deliver-form");
  if (!form) { return; }
  var box = document.getElementById("signature-pad");
  var canvas = box.querySelector("canvas");
  var field = document.getElementById("signature-data");
  var context = canvas.getContext("2d");
  var drawing = false;
  var drawn = false;

  context.lineWidth = 5;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#111";

  function point(event) {
    var rect = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - rect.left) * canvas.width / rect.width,
      y: (event.clientY - rect.top) * canvas.height / rect.height
    };
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    var p = point(event);
    context.beginPath();
    context.moveTo(p.x, p.y);
    context.lineTo(p.x + 0.1, p.y + 0.1);
    context.stroke();
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event);
    context.lineTo(p.x, p.y);
    context.stroke();
    drawn = true;
    box.classList.add("signed");
    event.preventDefault();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  document.getElementById("signature-clear").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    box.classList.remove("signed");
    field.value = "";
  });

  function showKind() {
    var chosen = form.querySelector("input[name=proof_kind]:checked");
    var kind = chosen ? chosen.value : "signature";
    form.querySelectorAll("[data-proof]").forEach(function (node) {
      node.hidden = node.getAttribute("data-proof") !== kind;
    });
  }
  form.querySelectorAll("input[name=proof_kind]").forEach(function (input) { input.addEventListener("change", showKind); });
  showKind();

  form.addEventListener("submit", function () {
    field.value = drawn ? canvas.toDataURL("image/png") : "";
  });
})();
