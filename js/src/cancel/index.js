// The Cancel button of an upload (anywidget ESM), bundled by js/build.js into
// sv_widgets/widgets/static/cancel.js. What a click does is in logic.js. A disabled Cancel
// says so with aria-disabled rather than the `disabled` property: a disabled button drops
// the keyboard focus to the page body, and the button keeps it until the row shows Retry.

import { el } from "../common/dom.js";
import { suppressShortcuts } from "../common/focus.js";
import { listen } from "../common/model.js";
import { cancelClicked, cancelTitle } from "./logic.js";

/** @import { Render } from "@anywidget/types" */
/** @import { CancelState } from "./logic.js" */

/** @type {Render<CancelState>} */
function render({ model, el: host }) {
  const button = el("button", "jupyter-button sv-cancel sv-themed");
  button.type = "button";
  suppressShortcuts(button);
  host.appendChild(button);

  /** @param {boolean} off */
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
    names.map((name) => /** @type {const} */ ([name, draw])),
  );
  draw();
  return unlisten;
}

export default { render };
