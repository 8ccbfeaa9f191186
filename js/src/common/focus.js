// Keyboard rules every widget shares: JupyterLab's and Notebook's shortcuts stay out of the
// widgets' controls, and focus never falls to the page body when the control that had it is
// hidden, disabled or removed (the next Tab would start at the top of the application).

/**
 * Lumino's command registry looks for a key binding's selector from the key's target up, and
 * stops at an element carrying this attribute (JupyterLab marks its own inputs so). Bindings
 * such as `m` match the focused element itself (`.jp-Notebook.jp-mod-commandMode :focus`),
 * so the attribute must be on the control that has the focus, not only on a container.
 */
export const SUPPRESS_SHORTCUTS = "data-lm-suppress-shortcuts";

/**
 * Keys typed in `node`, or in any control inside it, do what the control says: the node and
 * every element that takes the focus inside it are marked (on focus, before any key).
 *
 * @param {Element} node
 */
export function suppressShortcuts(node) {
  node.setAttribute(SUPPRESS_SHORTCUTS, "true");
  node.addEventListener("focusin", (e) => {
    const target = /** @type {Element} */ (e.target);
    if (!target.hasAttribute(SUPPRESS_SHORTCUTS)) target.setAttribute(SUPPRESS_SHORTCUTS, "true");
  });
}

const CONTROLS =
  'button, input, select, textarea, a[href], video[controls], [tabindex]:not([tabindex="-1"])';

/**
 * Whether `node` can take focus now: in the page, drawn, not disabled.
 *
 * @param {Element} node
 * @returns {boolean}
 */
export function usable(node) {
  if (!node.isConnected || node.getClientRects().length === 0) return false;
  if (node.getAttribute("aria-disabled") === "true") return true;
  return !(/** @type {HTMLButtonElement} */ (node).disabled);
}

/**
 * The control to focus inside `holder`: its first usable `.sv-focus-fallback`, else its first
 * usable control.
 *
 * @param {Element} holder
 * @returns {HTMLElement | null}
 */
export function fallbackIn(holder) {
  for (const selector of [".sv-focus-fallback", CONTROLS]) {
    for (const node of holder.querySelectorAll(selector)) {
      if (node.matches(CONTROLS) && usable(node)) return /** @type {HTMLElement} */ (node);
    }
  }
  return null;
}

/**
 * `node` and its ancestors up to `root`, nearest first.
 *
 * @param {Element} node
 * @param {Element} root
 * @returns {Element[]}
 */
function trailOf(node, root) {
  const trail = [];
  for (let n = /** @type {Element | null} */ (node); n; n = n.parentElement) {
    trail.push(n);
    if (n === root) break;
  }
  return trail;
}

const lostToBody = () =>
  !document.activeElement ||
  document.activeElement === document.body ||
  document.activeElement === document.documentElement;

/**
 * A widget's key -> the control of it that had focus. Keyed by a string from the widget's
 * traits: anywidget hands each view its own wrapper of the model, so no object is shared.
 *
 * @type {Map<string, string>}
 */
const CARRIED = new Map();

/**
 * What identifies a control among a view's controls: its tag and its name.
 *
 * @param {Element} node
 */
function describe(node) {
  const name = node.getAttribute("aria-label") || node.getAttribute("title") || node.textContent;
  return `${node.tagName}|${(name || "").trim()}`;
}

/**
 * In a new view, focus the control described as `wanted` (else the nearest usable one) once
 * the view is in the page and the old view has let the focus go to the page body. Jupyter
 * may attach the new view before it removes the old one: while the old view's same control
 * still has the focus, this waits; if a person moves the focus anywhere else, it gives up.
 *
 * @param {HTMLElement} root
 * @param {string} wanted
 * @returns {() => void} stops waiting
 */
function restore(root, wanted) {
  let frame = 0;
  const attempt = (/** @type {number} */ tries) => {
    const active = document.activeElement;
    const waiting = !root.isConnected || (!lostToBody() && active && describe(active) === wanted);
    if (waiting && !root.contains(active)) {
      if (tries > 0) frame = requestAnimationFrame(() => attempt(tries - 1));
      return;
    }
    if (!lostToBody()) return;
    const same = [...root.querySelectorAll(CONTROLS)].find(
      (n) => describe(n) === wanted && usable(n),
    );
    const next = /** @type {HTMLElement | null} */ (same || fallbackIn(root));
    if (next) next.focus();
  };
  attempt(600);
  return () => cancelAnimationFrame(frame);
}

/**
 * Keep focus inside `root` when the control holding it goes away: it moves to the nearest
 * usable control around where it was (a `.sv-focus-fallback` first). A person who moves focus
 * elsewhere, or clicks the page, keeps it there. With `key` (naming the widget), the focus
 * also survives a new view of the same widget: Jupyter draws a widget again when its
 * display is updated (the static output's refresh), and the new view takes the focus over.
 * Returns the clean-up.
 *
 * @param {HTMLElement} root
 * @param {string} [key]
 * @returns {() => void}
 */
export function keepFocus(root, key) {
  /** @type {Element[]} the control that had focus last, and its ancestors */
  let trail = [];
  const check = () => {
    const [lost] = trail;
    // Chrome keeps a control that was just hidden or disabled as the active element until
    // its next rendering, then drops focus to the body: either way focus is lost.
    if (!lost || !(lostToBody() || document.activeElement === lost)) return;
    if (usable(lost)) {
      if (document.activeElement === lost) return;
      trail = []; // focus left a control that is still there: a person's choice
      if (key) CARRIED.delete(key);
      return;
    }
    for (const holder of trail.slice(1)) {
      const next = holder.isConnected ? fallbackIn(holder) : null;
      if (next) {
        next.focus();
        return;
      }
    }
  };
  /** @param {FocusEvent} e */
  const onIn = (e) => {
    const target = /** @type {Element} */ (e.target);
    trail = trailOf(target, root);
    if (key) CARRIED.set(key, describe(target));
  };
  /** @param {FocusEvent} e */
  const onOut = (e) => {
    const to = /** @type {Node | null} */ (e.relatedTarget);
    if (to && !root.contains(to)) {
      trail = [];
      if (key) CARRIED.delete(key);
    } else if (!to) queueMicrotask(check);
  };
  root.addEventListener("focusin", onIn);
  root.addEventListener("focusout", onOut);
  const observer = new MutationObserver(check);
  observer.observe(root, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["style", "class", "hidden", "disabled"],
  });
  const wanted = key ? CARRIED.get(key) : undefined;
  const stopRestoring = wanted ? restore(root, wanted) : () => {};
  return () => {
    stopRestoring();
    observer.disconnect();
    root.removeEventListener("focusin", onIn);
    root.removeEventListener("focusout", onOut);
  };
}
