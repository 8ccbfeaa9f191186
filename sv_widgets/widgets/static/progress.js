// Built by js/build.js (esbuild) from js/src/: edit those, then `npm run build` in js/.

// src/common/dom.js
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== void 0) node.textContent = text;
  return node;
}
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

// src/common/model.js
function listen(model, events) {
  for (const [name, fn] of events) model.on(name, fn);
  return () => {
    for (const [name, fn] of events) model.off(name, fn);
  };
}

// src/progress/logic.js
function barFigures(value, style) {
  const n = Math.max(0, Math.min(100, Math.round((Number(value) || 0) * 100)));
  return {
    percent: String(n),
    width: style === "danger" ? "100%" : `${n}%`,
    text: style === "danger" ? `failed at ${n}%` : `${n}%`
  };
}

// src/progress/index.js
function render({ model, el: host }) {
  const root = el("div", "sv-progress sv-themed");
  const bar = el("div", "sv-progress-bar");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  const fill = el("div", "sv-progress-fill");
  bar.appendChild(fill);
  const live = el("div", "sv-visually-hidden");
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  root.append(bar, live);
  host.appendChild(root);
  function draw() {
    const style = model.get("bar_style") || "info";
    const f = barFigures(model.get("value"), style);
    setAttr(bar, "aria-label", model.get("description") || "Upload");
    setAttr(bar, "aria-valuenow", f.percent);
    setAttr(bar, "aria-valuetext", f.text);
    root.dataset.style = style;
    fill.style.width = f.width;
    setText(live, model.get("status") || "");
  }
  const names = ["value", "bar_style", "description", "status"];
  const unlisten = listen(
    model,
    names.map((name) => (
      /** @type {const} */
      [`change:${name}`, draw]
    ))
  );
  draw();
  return unlisten;
}
var progress_default = { render };
export {
  progress_default as default
};
