// The Cancel button of an upload (anywidget ESM), bundled by js/build.js into
// sv_widgets/widgets/static/cancel.js. What a click does is in logic.js.

import { el } from "../common/dom.js";
import { listen } from "../common/model.js";
import { cancelClicked, cancelTitle } from "./logic.js";

/** @import { Render } from "@anywidget/types" */
/** @import { CancelState } from "./logic.js" */

/** @type {Render<CancelState>} */
function render({ model, el: host }) {
  const button = el("button", "jupyter-button mod-warning sv-cancel");
  button.type = "button";
  host.appendChild(button);

  function draw() {
    button.textContent = model.get("description");
    button.disabled = model.get("disabled");
    button.title = cancelTitle(model.get("interrupt"));
  }

  button.addEventListener("click", () => {
    cancelClicked(model);
    button.disabled = true;
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
