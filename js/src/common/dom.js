// DOM helpers every view shares. The setters write only what changed: views redraw often
// (progress, ticks), and an unchanged write still costs the page layout work while the
// browser is busy uploading.

/**
 * A new element with an optional class and text.
 *
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param {Node} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * @param {HTMLElement} node
 * @param {string} key
 * @param {string} value
 */
export function setData(node, key, value) {
  if (node.dataset[key] !== value) node.dataset[key] = value;
}

/**
 * @param {Element} node
 * @param {string} name
 * @param {string} value
 */
export function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/**
 * @param {HTMLElement} node
 * @param {boolean} hidden
 */
export function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}

/**
 * The menu's options, replaced: `[value, text, disabled?]` each; then `value` is chosen.
 *
 * @param {HTMLSelectElement} select
 * @param {ReadonlyArray<readonly [string, string, boolean?]>} items
 * @param {string} value
 */
export function fillSelect(select, items, value) {
  select.replaceChildren(
    ...items.map(([v, text, disabled]) => {
      const option = document.createElement("option");
      option.value = v;
      option.textContent = text;
      option.disabled = Boolean(disabled);
      return option;
    }),
  );
  select.value = value;
}

/**
 * The bytes of a binary trait (a `DataView` from the kernel, or any buffer), without a copy.
 *
 * @param {ArrayBuffer | ArrayBufferView | null | undefined} buffer
 * @returns {Uint8Array | null}
 */
export function bytesOf(buffer) {
  if (!buffer) return null;
  if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  return new Uint8Array(buffer);
}

/**
 * An object URL showing JPEG bytes (revoke it with `URL.revokeObjectURL` when done).
 *
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function jpegUrl(bytes) {
  // A widget's buffers are never a SharedArrayBuffer, which is all the cast rules out.
  const part = /** @type {Uint8Array<ArrayBuffer>} */ (bytes);
  return URL.createObjectURL(new Blob([part], { type: "image/jpeg" }));
}
