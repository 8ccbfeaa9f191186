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
 * What a thumbnail shows (`caption`) and its one accessible name (`label`): the option's
 * selected state is said by `aria-selected`, not repeated in the name.
 *
 * @param {Thumb} t
 * @returns {{ caption: string, label: string }}
 */
export function tileText(t) {
  return {
    caption: `${t.height}p · ${String(t.number).padStart(2, "0")}`,
    label: `Thumbnail ${t.number}, ${t.height}p`,
  };
}

/** @type {Record<string, number>} */
const STEPS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

/**
 * Where a key moves the focus among `count` thumbnails from `index` (a listbox's keys:
 * arrows step, Home and End jump); `null` for any other key.
 *
 * @param {string} key
 * @param {number} index
 * @param {number} count
 * @returns {number | null}
 */
export function moveTo(key, index, count) {
  if (count < 1) return null;
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  const step = STEPS[key];
  if (step === undefined) return null;
  return Math.max(0, Math.min(count - 1, index + step));
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
