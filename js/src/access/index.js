// The accessibility helper (anywidget ESM), bundled by js/build.js into
// sv_widgets/widgets/static/access.js. ipywidgets gives a widget no way to set ARIA
// attributes, so the widgets built of them (FileBrowser, UploadProgress) each carry one of
// these, invisible: it finds the widget's element (`.sv-access-root`) and keeps it
// keyboard- and screen-reader-friendly as the kernel redraws it: notebook shortcuts stay
// out, focus never falls to the page body, thumbnails have alternative text, the message
// line is a polite live region, the delete confirmation is an alert dialog that takes the
// focus (and gives it back: see keepFocus), and the Details buttons say whether they are open.

import { setAttr } from "../common/dom.js";
import { keepFocus, suppressShortcuts, usable } from "../common/focus.js";
import { randomId } from "../common/ids.js";
import { thumbnailAlt } from "./logic.js";

/** @import { Render } from "@anywidget/types" */

/** @param {Element} node */
const text = (node) => (node && node.textContent) || "";

/**
 * @param {HTMLElement} root
 * @param {Map<Element, Element | null>} open the dialogs shown at the last look -> opener
 */
function fix(root, open) {
  for (const img of root.querySelectorAll("img.widget-image")) {
    const scope = img.closest(".sv-file-row, .sv-upload-progress") || root;
    const code = scope.querySelector("code");
    const name = scope.querySelector("b");
    setAttr(img, "alt", thumbnailAlt(code ? text(code) : "", name ? text(name) : ""));
  }
  for (const live of root.querySelectorAll(".sv-live")) {
    setAttr(live, "role", "status");
    setAttr(live, "aria-live", "polite");
  }
  for (const row of root.querySelectorAll(".sv-file-row")) {
    const button = row.querySelector(".sv-details-button");
    const expanded = row.querySelector(".sv-file-details") ? "true" : "false";
    if (button) setAttr(button, "aria-expanded", expanded);
  }
  for (const dialog of root.querySelectorAll(".sv-confirm-delete")) dialogFix(dialog, open);
}

/** @param {Element} dialog */
function nameDialog(dialog) {
  setAttr(dialog, "role", "alertdialog");
  setAttr(dialog, "aria-label", "Confirm the delete");
  const body = dialog.querySelector(".sv-confirm-text");
  if (body) {
    if (!body.id) body.id = `sv-confirm-${randomId(6)}`;
    setAttr(dialog, "aria-describedby", body.id);
  }
}

/**
 * The confirmation: an alert dialog named and described by its text. Shown, it takes the
 * focus (on its Cancel, the safe choice); closed, it gives the focus back to the control
 * that opened it.
 *
 * @param {Element} dialog
 * @param {Map<Element, Element | null>} open the dialogs shown at the last look -> opener
 */
function dialogFix(dialog, open) {
  nameDialog(dialog);
  const shown = dialog.getClientRects().length > 0;
  if (shown && !open.has(dialog)) {
    open.set(dialog, document.activeElement);
    const first = /** @type {HTMLElement | null} */ (dialog.querySelector(".sv-focus-first"));
    if (first) first.focus();
  } else if (!shown && open.has(dialog)) {
    const opener = /** @type {HTMLElement | null} */ (open.get(dialog) || null);
    open.delete(dialog);
    const active = document.activeElement;
    const lost = !active || active === document.body || dialog.contains(active);
    if (lost && opener && usable(opener)) opener.focus();
  }
}

/**
 * @param {HTMLElement} root
 * @param {string} key the helper's `key`: one per widget, whichever view draws it
 * @returns {() => void}
 */
function watch(root, key) {
  suppressShortcuts(root);
  /** @type {Map<Element, Element | null>} */
  const open = new Map();
  // Before keepFocus's observer: a closing dialog gives the focus back before any fallback.
  const observer = new MutationObserver(() => fix(root, open));
  observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  const unfocus = keepFocus(root, key);
  fix(root, open);
  return () => {
    observer.disconnect();
    unfocus();
  };
}

/** @type {Render<{ key: string }>} */
function render({ model, el: host }) {
  host.style.display = "none";
  let frame = 0;
  let stop = () => {};
  // Rendered before the widget around it is in the page: look once a frame until it is.
  const attach = () => {
    const root = /** @type {HTMLElement | null} */ (host.closest(".sv-access-root"));
    if (root) stop = watch(root, `access:${model.get("key")}`);
    else frame = requestAnimationFrame(attach);
  };
  attach();
  return () => {
    cancelAnimationFrame(frame);
    stop();
  };
}

export default { render };
