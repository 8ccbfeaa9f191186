// Built by js/build.js (esbuild) from js/src/: edit those, then `npm run build` in js/.

// src/common/dom.js
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== void 0) node.textContent = text;
  return node;
}

// src/common/focus.js
var SUPPRESS_SHORTCUTS = "data-lm-suppress-shortcuts";
function suppressShortcuts(node) {
  node.setAttribute(SUPPRESS_SHORTCUTS, "true");
  node.addEventListener("focusin", (e) => {
    const target = (
      /** @type {Element} */
      e.target
    );
    if (!target.hasAttribute(SUPPRESS_SHORTCUTS)) target.setAttribute(SUPPRESS_SHORTCUTS, "true");
  });
}

// src/common/model.js
function listen(model, events) {
  for (const [name, fn] of events) model.on(name, fn);
  return () => {
    for (const [name, fn] of events) model.off(name, fn);
  };
}

// src/cancel/logic.js
function interruptKernel(model) {
  const manager = (
    /** @type {{ kernel?: { interrupt?: () => Promise<unknown> } } | undefined} */
    model.widget_manager
  );
  const kernel = manager && manager.kernel;
  if (kernel && typeof kernel.interrupt === "function") {
    kernel.interrupt().catch(() => {
    });
    return true;
  }
  return false;
}
function cancelTitle(interrupt) {
  return interrupt ? "Stop the upload (this interrupts the running cell, which is waiting for it)" : "Stop the upload";
}
function cancelClicked(model) {
  model.send({ type: "cancel" });
  if (model.get("interrupt")) interruptKernel(model);
}

// src/cancel/index.js
function render({ model, el: host }) {
  const button = el("button", "jupyter-button sv-cancel sv-themed");
  button.type = "button";
  suppressShortcuts(button);
  host.appendChild(button);
  const disable = (off) => button.setAttribute("aria-disabled", off ? "true" : "false");
  function draw() {
    button.textContent = model.get("description");
    disable(model.get("disabled"));
    button.title = cancelTitle(model.get("interrupt"));
  }
  button.addEventListener("click", () => {
    if (button.getAttribute("aria-disabled") === "true") return;
    cancelClicked(model);
    disable(true);
  });
  const names = ["change:description", "change:disabled", "change:interrupt"];
  const unlisten = listen(
    model,
    names.map((name) => (
      /** @type {const} */
      [name, draw]
    ))
  );
  draw();
  return unlisten;
}
var cancel_default = { render };
export {
  cancel_default as default
};
