// What the gallery shows and when a click asks the kernel: pure functions of its traits.

/**
 * @typedef {object} Thumb one thumbnail, as the `thumbnails` trait lists it
 * @property {string} name its file name, the key of its bytes in `images`
 * @property {number} height
 * @property {number} number its place in the file's series
 */

/**
 * The heights the thumbnails come in, tallest first, with how many of each.
 *
 * @param {Thumb[]} thumbs
 * @returns {Array<[number, number]>}
 */
export function heights(thumbs) {
  /** @type {Map<number, number>} */
  const seen = new Map();
  for (const t of thumbs) seen.set(t.height, (seen.get(t.height) || 0) + 1);
  return [...seen.entries()].sort((a, b) => b[0] - a[0]);
}

/**
 * The height menu's items: all, then each height with its count.
 *
 * @param {Thumb[]} thumbs
 * @returns {Array<[string, string]>}
 */
export function heightItems(thumbs) {
  /** @type {Array<[string, string]>} */
  const items = [["0", `All (${thumbs.length})`]];
  for (const [h, n] of heights(thumbs)) items.push([String(h), `${h}p (${n})`]);
  return items;
}

/**
 * The groups to show: each height (tallest first) with its thumbnails; only `chosen` when it
 * is not 0.
 *
 * @param {Thumb[]} thumbs
 * @param {number} chosen
 * @returns {Array<{ height: number, thumbs: Thumb[] }>}
 */
export function groups(thumbs, chosen) {
  return heights(thumbs)
    .filter(([h]) => !chosen || h === chosen)
    .map(([height]) => ({ height, thumbs: thumbs.filter((t) => t.height === height) }));
}

/**
 * @param {Thumb} t
 * @returns {{ caption: string, alt: string }}
 */
export function tileText(t) {
  return {
    caption: `${t.height}p · ${String(t.number).padStart(2, "0")}`,
    alt: `Thumbnail ${t.number} at ${t.height}p`,
  };
}

/**
 * Whether a click on `name` asks the kernel to save it: not when it is the saved choice
 * already, unless saving failed.
 *
 * @param {string} name
 * @param {string} value the `value` trait (the saved choice)
 * @param {string} status the `status` trait
 * @returns {boolean}
 */
export function wantsSelect(name, value, status) {
  return name !== value || status === "error";
}
