// UploadDropzone front end (anywidget ESM), bundled by js/build.js into
// sv_widgets/widgets/static/dropzone.js. One controller per widget model (initialize) keeps
// the files chosen in this page and runs the transfers; every view (render) draws the drop
// target and the rows.

import { createController } from "./controller.js";
import { browserEnv } from "./env.js";
import { renderZone } from "./view.js";

/** @import { Initialize, Render } from "@anywidget/types" */
/** @import { Controller, DropzoneState } from "./controller.js" */

/** @type {Map<string, Controller>} the widget's _uid -> its controller in this page */
const CONTROLLERS = new Map();

/** @type {Initialize<DropzoneState>} */
function initialize({ model }) {
  const uid = model.get("_uid");
  const ctl = createController(model, browserEnv());
  CONTROLLERS.set(uid, ctl);
  return () => {
    ctl.dispose();
    if (CONTROLLERS.get(uid) === ctl) CONTROLLERS.delete(uid);
  };
}

/** @type {Render<DropzoneState>} */
function render({ model, el }) {
  return renderZone(model, el, CONTROLLERS.get(model.get("_uid")));
}

export default { initialize, render };
