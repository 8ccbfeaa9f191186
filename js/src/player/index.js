// Player front end (anywidget ESM), bundled by js/build.js into
// sv_widgets/widgets/static/player.js. Plays one of a file's formats in a <video>: MP4 and
// WebM as files, HLS and DASH through shaka-player (which the kernel sends once per page) or,
// where the browser has only native HLS, natively.

import { PlayerView } from "./view.js";

/** @import { Render } from "@anywidget/types" */
/** @import { PlayerState } from "./view.js" */

/** @type {Render<PlayerState>} */
function render({ model, el }) {
  const view = new PlayerView(model, el);
  return () => view.destroy();
}

export default { render };
