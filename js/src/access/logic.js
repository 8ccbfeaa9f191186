// What the accessibility helper writes into a widget built of ipywidgets: pure functions of
// the text around an element, tested without a DOM.

/**
 * The alternative text of a row's thumbnail: the file's code when the row shows one, else
 * the file's name.
 *
 * @param {string} code
 * @param {string} name
 * @returns {string}
 */
export function thumbnailAlt(code, name) {
  const which = code.trim() || name.trim();
  return which ? `Thumbnail of ${which}` : "Thumbnail";
}
