// Page-side helpers of tests/browser/test_accessibility_browser.py: our own measurement of
// contrast (axe's colour rule does not evaluate inside JupyterLab, whose layers of
// backgrounds it cannot resolve), run on a widget's output as a person sees it, and a few
// questions about focus and the notebook. Each function needs nothing but this file.

/** @typedef {[number, number, number, number]} Rgba */

/**
 * @param {string} css a computed colour, "rgb(...)" or "rgba(...)"
 * @returns {Rgba}
 */
function parseColor(css) {
  const m = css.match(/rgba?\(([^)]+)\)/);
  if (!m) return [0, 0, 0, 0];
  const parts = m[1]
    .split(/[\s,/]+/)
    .filter(Boolean)
    .map(Number);
  return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
}

/**
 * `top` drawn over the opaque `under`.
 *
 * @param {Rgba} top
 * @param {Rgba} under
 * @returns {Rgba}
 */
function over(top, under) {
  const a = top[3];
  const mix = (/** @type {number} */ i) => top[i] * a + under[i] * (1 - a);
  return [mix(0), mix(1), mix(2), 1];
}

/**
 * The opaque colour behind `node`: its own background and its ancestors', composited from
 * the page up (the page itself white when nothing is opaque).
 *
 * @param {Element} node
 * @returns {Rgba}
 */
function backgroundOf(node) {
  /** @type {Rgba[]} */
  const layers = [];
  for (let n = /** @type {Element | null} */ (node); n; n = n.parentElement) {
    const color = parseColor(getComputedStyle(n).backgroundColor);
    if (color[3] > 0) layers.push(color);
    if (color[3] >= 1) break;
  }
  /** @type {Rgba} */
  let result = [255, 255, 255, 1];
  for (const layer of layers.reverse()) result = over(layer, result);
  return result;
}

/** @param {Rgba} c */
function luminance(c) {
  const [r, g, b] = [0, 1, 2].map((i) => {
    const v = c[i] / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * WCAG's contrast ratio of two opaque colours.
 *
 * @param {Rgba} a
 * @param {Rgba} b
 */
function ratio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** @param {Element} node */
function shown(node) {
  const style = getComputedStyle(node);
  return node.getClientRects().length > 0 && style.visibility !== "hidden";
}

/**
 * Whether `node` is part of a disabled control (WCAG exempts inactive controls' text).
 *
 * @param {Element} node
 */
function inactive(node) {
  return !!node.closest(':disabled, [aria-disabled="true"]');
}

/** @param {Rgba} c */
const hex = (c) =>
  `#${c
    .slice(0, 3)
    .map((v) => Math.round(v).toString(16).padStart(2, "0"))
    .join("")}`;

/**
 * One text's contrast: its colour over its background.
 *
 * @param {Element} node
 * @param {CSSStyleDeclaration} style
 * @param {string} text
 */
function measure(node, style, text) {
  const bg = backgroundOf(node);
  const fg = over(parseColor(style.color), bg);
  const size = parseFloat(style.fontSize);
  const bold = Number(style.fontWeight) >= 700;
  const large = size >= 24 || (bold && size >= 18.66);
  return {
    text: text.trim().slice(0, 60),
    ratio: Math.round(ratio(fg, bg) * 100) / 100,
    needed: large ? 3 : 4.5,
    fg: hex(fg),
    bg: hex(bg),
  };
}

/**
 * An element's generated `::after` text (a badge), measured over its own background.
 *
 * @param {Element} node
 */
function afterText(node) {
  const after = getComputedStyle(node, "::after");
  if (!after.content || after.content === "none" || after.content === '""') return null;
  const bg = parseColor(after.backgroundColor);
  const base = backgroundOf(node);
  const under = bg[3] > 0 ? over(bg, base) : base;
  const fg = over(parseColor(after.color), under);
  const r = Math.round(ratio(fg, under) * 100) / 100;
  return { text: after.content.slice(0, 60), ratio: r, needed: 4.5, fg: hex(fg), bg: hex(under) };
}

/** @param {Element} node */
function ownText(node) {
  return [...node.childNodes]
    .filter((c) => c.nodeType === Node.TEXT_NODE)
    .map((c) => c.textContent || "")
    .join("");
}

/**
 * Every visible text under `root` (each element's own text, a menu's chosen item, and
 * generated `::after` text) with its contrast ratio and the ratio it needs.
 *
 * @param {Element} root
 */
export function contrastReport(root) {
  const found = [];
  for (const node of [root, ...root.querySelectorAll("*")]) {
    if (!shown(node) || inactive(node)) continue;
    const own = node.tagName === "SELECT" ? "(menu)" : ownText(node);
    if (own.trim() && !node.closest("option, .sv-visually-hidden")) {
      found.push(measure(node, getComputedStyle(node), own));
    }
    const badge = afterText(node);
    if (badge) found.push(badge);
  }
  return found;
}

/**
 * The element drawn for a control: the file input's label, else the control.
 *
 * @param {Element} root
 * @param {HTMLElement} control
 * @returns {HTMLElement | null}
 */
function drawnFor(root, control) {
  const input = /** @type {HTMLInputElement} */ (control);
  if (control.tagName !== "INPUT" || input.type !== "file") return control;
  return root.querySelector(`label[for="${control.id}"]`);
}

/**
 * A focused control's ring and edge, measured on `drawn` against what is around it.
 *
 * @param {HTMLElement} drawn
 */
function ringOf(drawn) {
  const style = getComputedStyle(drawn);
  const around = backgroundOf(drawn.parentElement || drawn);
  // The ring is the outline, else a box shadow (ipywidgets forbid outlines on text inputs).
  const shadow = style.boxShadow !== "none" ? style.boxShadow.match(/rgba?\([^)]+\)/) : null;
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const ringColor = outlined ? style.outlineColor : shadow ? shadow[0] : "";
  const ring = ringColor ? ratio(over(parseColor(ringColor), around), around) : 0;
  const fill = over(parseColor(style.backgroundColor), around);
  const bordered = parseFloat(style.borderTopWidth) > 0;
  const border = bordered ? over(parseColor(style.borderTopColor), around) : around;
  return {
    ring: Math.round(ring * 100) / 100,
    ringWidth: outlined ? parseFloat(style.outlineWidth) : shadow ? 2 : 0,
    edge: Math.round(Math.max(ratio(fill, around), ratio(border, around)) * 100) / 100,
  };
}

const CONTROLS = 'button, select, input, video, [tabindex="0"]';

/**
 * Each control's focus ring (focused as the keyboard does: `:focus-visible`) and its edge
 * (border or fill) against its background. `native` marks controls the browser draws
 * itself (checkbox, video) or whose content is their edge (a thumbnail).
 *
 * @param {Element} root
 */
export function ringReport(root) {
  const found = [];
  for (const node of root.querySelectorAll(CONTROLS)) {
    const control = /** @type {HTMLElement} */ (node);
    const drawn = drawnFor(root, control);
    if (!drawn || !shown(drawn) || inactive(control)) continue;
    control.focus(/** @type {FocusOptions} */ ({ focusVisible: true }));
    const name = control.getAttribute("aria-label") || control.textContent || control.className;
    const type = /** @type {HTMLInputElement} */ (control).type;
    const native =
      control.tagName === "VIDEO" ||
      type === "checkbox" ||
      control.getAttribute("role") === "option";
    found.push({
      control: `${control.tagName.toLowerCase()} ${name}`.trim().slice(0, 60),
      native,
      ...ringOf(drawn),
    });
    control.blur();
  }
  return found;
}

/**
 * What has the keyboard focus: its tag, name, classes, and the widget output it is in.
 *
 * @returns {{ tag: string, name: string, classes: string, text: string, inBody: boolean }}
 */
export function focused() {
  const node = document.activeElement;
  if (!node || node === document.body || node === document.documentElement) {
    return { tag: "body", name: "", classes: "", text: "", inBody: true };
  }
  return {
    tag: node.tagName.toLowerCase(),
    name: node.getAttribute("aria-label") || node.getAttribute("title") || "",
    classes: typeof node.className === "string" ? node.className : "",
    text: (node.textContent || "").trim().slice(0, 80),
    inBody: false,
  };
}

/**
 * Whether the focus is inside `root`.
 *
 * @param {Element} root
 */
export function focusWithin(root) {
  return root.contains(document.activeElement);
}

/**
 * The notebook's cell types, in order (a shortcut that fired would make one Markdown).
 *
 * @returns {string[]}
 */
export function cellTypes() {
  const app = window.jupyterapp;
  for (const w of app.shell.widgets("main")) {
    if (w.context && w.context.path === window.__svNotebookPath && w.content) {
      return w.content.widgets.map((cell) => cell.model.type);
    }
  }
  return [];
}

/**
 * Switch the application's theme and report when the page has it.
 *
 * @param {string} theme "JupyterLab Light" or "JupyterLab Dark"
 */
export async function changeTheme(theme) {
  await window.jupyterapp.commands.execute("apputils:change-theme", { theme });
}

/** @param {string} theme */
export function themeApplied(theme) {
  const light = theme === "JupyterLab Light" ? "true" : "false";
  return (
    document.body.dataset.jpThemeName === theme && document.body.dataset.jpThemeLight === light
  );
}
