// An upload's progress bar (anywidget ESM), bundled by js/build.js into
// sv_widgets/widgets/static/progress.js: a named `progressbar` with its value, and one polite
// live region that says each new phase of the upload (UploadProgress sets `status`).

import { el, setAttr, setText } from "../common/dom.js";
import { listen } from "../common/model.js";
import { barFigures } from "./logic.js";

/** @import { Render } from "@anywidget/types" */
/** @import { BarState } from "./logic.js" */

/** @type {Render<BarState>} */
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
    names.map((name) => /** @type {const} */ ([`change:${name}`, draw])),
  );
  draw();
  return unlisten;
}

export default { render };
