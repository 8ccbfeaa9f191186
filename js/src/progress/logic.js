// An upload's progress bar, as numbers and words: pure, so that it is tested without a DOM.

/**
 * @typedef {object} BarState the ProgressBar widget's synced traits
 * @property {number} value 0..1
 * @property {string} bar_style "info", "success", "danger" or "warning"
 * @property {string} description what the bar is the progress of (its accessible name)
 * @property {string} status what the bar's live region says (a new phase, not each percent)
 */

/**
 * The bar's figures: `percent` for `aria-valuenow`, `width` for the fill. A failed upload's
 * bar fills red whatever its progress was, and says how far it got.
 *
 * @param {number} value
 * @param {string} style
 * @returns {{ percent: string, width: string, text: string }}
 */
export function barFigures(value, style) {
  const n = Math.max(0, Math.min(100, Math.round((Number(value) || 0) * 100)));
  return {
    percent: String(n),
    width: style === "danger" ? "100%" : `${n}%`,
    text: style === "danger" ? `failed at ${n}%` : `${n}%`,
  };
}
