// The Cancel button of an upload (anywidget ESM). Self-contained: no imports, no CDN.
// A click always sends "cancel" to the kernel. While a cell is blocked waiting for this
// upload (the kernel reads no widget message until the cell ends), the click also interrupts
// the kernel through the page's own kernel connection: the waiting magic turns the interrupt
// into a clean cancel and says in one line where the file was left.

function interruptKernel(model) {
  const manager = model.widget_manager;
  const kernel = manager && manager.kernel;
  if (kernel && typeof kernel.interrupt === "function") {
    kernel.interrupt().catch(() => {});
    return true;
  }
  return false;
}

function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "jupyter-button mod-warning sv-cancel";
  el.appendChild(button);

  function draw() {
    button.textContent = model.get("description");
    button.disabled = model.get("disabled");
    button.title = model.get("interrupt")
      ? "Stop the upload (this interrupts the running cell, which is waiting for it)"
      : "Stop the upload";
  }

  button.addEventListener("click", () => {
    model.send({ type: "cancel" });
    if (model.get("interrupt")) interruptKernel(model);
    button.disabled = true;
  });

  const events = ["change:description", "change:disabled", "change:interrupt"];
  for (const name of events) model.on(name, draw);
  draw();
  return () => {
    for (const name of events) model.off(name, draw);
  };
}

export default { render };
