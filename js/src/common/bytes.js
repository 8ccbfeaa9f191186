// Byte counts as people read them, one form in JavaScript. Python's form is
// `sv_widgets.display.format_bytes`; js/test/rules.test.js and tests/test_front_end_rules.py
// hold both to the cases in js/test/cases/format_bytes.json.

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

/**
 * `value` with `digits` decimals, rounded as Python's format does: to the nearest, and an
 * exact tie to the even digit (`toFixed` sends ties up: 1.25 would be 1.3, Python says 1.2).
 *
 * @param {number} value a finite number, at least 0
 * @param {number} digits 0 or 1
 * @returns {string}
 */
function fixed(value, digits) {
  if (value >= 1e21) return BigInt(value).toString(); // toFixed turns to exponents there
  const text = value.toFixed(digits);
  // A decimal tie at `digits` places is a multiple of 2^-(digits + 1), and odd in those units.
  const halves = value * 2 ** (digits + 1);
  if (!Number.isInteger(halves) || halves % 2 === 0) return text;
  const units = Number(text.replace(".", ""));
  if (units % 2 === 0) return text;
  const even = String(units - 1).padStart(digits + 1, "0");
  return digits ? `${even.slice(0, -digits)}.${even.slice(-digits)}` : even;
}

/**
 * A byte count with decimal (SI) units, as file managers and curl show it.
 *
 * @param {number} n bytes; negative or non-finite: "?"
 * @returns {string} e.g. "0 B", "1.5 kB", "73.4 MB"
 */
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return "?";
  let value = n;
  for (const unit of UNITS) {
    if (value < 1000 || unit === UNITS[UNITS.length - 1]) {
      if (unit === "B") return `${Math.floor(value)} B`;
      return `${fixed(value, value < 100 ? 1 : 0)} ${unit}`;
    }
    value /= 1000;
  }
  return "?";
}
