// The Cancel button's rules. A click always sends "cancel" to the kernel. While a cell is
// blocked waiting for this upload (the kernel reads no widget message until the cell ends),
// the click also interrupts the kernel through the page's own kernel connection: the waiting
// magic turns the interrupt into a clean cancel and says in one line where the file was left.

/** @import { AnyModel } from "@anywidget/types" */

/**
 * @typedef {object} CancelState
 * @property {string} description
 * @property {boolean} disabled
 * @property {boolean} interrupt whether a cell waits for this upload
 */

/**
 * Interrupt the kernel through the page's own connection, where the widget manager has one.
 *
 * @param {AnyModel<CancelState>} model
 * @returns {boolean} whether an interrupt was asked for
 */
export function interruptKernel(model) {
  const manager = /** @type {{ kernel?: { interrupt?: () => Promise<unknown> } } | undefined} */ (
    model.widget_manager
  );
  const kernel = manager && manager.kernel;
  if (kernel && typeof kernel.interrupt === "function") {
    kernel.interrupt().catch(() => {});
    return true;
  }
  return false;
}

/**
 * @param {boolean} interrupt
 * @returns {string} the button's tooltip
 */
export function cancelTitle(interrupt) {
  return interrupt
    ? "Stop the upload (this interrupts the running cell, which is waiting for it)"
    : "Stop the upload";
}

/**
 * What a click does: tell the kernel, and interrupt it when a cell waits for the upload.
 *
 * @param {AnyModel<CancelState>} model
 */
export function cancelClicked(model) {
  model.send({ type: "cancel" });
  if (model.get("interrupt")) interruptKernel(model);
}
