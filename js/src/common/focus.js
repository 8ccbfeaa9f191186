// Keyboard rules every widget shares: JupyterLab's and Notebook's shortcuts stay out of the
// widgets' controls, and focus never falls to the page body when the control that had it is
// hidden, disabled or removed (the next Tab would start at the top of the application).

/**
 * Lumino's command registry stops looking for a key binding at an element carrying this
 * attribute (JupyterLab marks its own inputs so): keys typed inside do what the control says.
 */
export const SUPPRESS_SHORTCUTS = "data-lm-suppress-shortcuts";

/** @param {Element} node */
export function suppressShortcuts(node) {
  node.setAttribute(SUPPRESS_SHORTCUTS, "true");
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
 * Keep focus inside `root` when the control holding it goes away: it moves to the nearest
 * usable control around where it was (a `.sv-focus-fallback` first). A person who moves focus
 * elsewhere, or clicks the page, keeps it there. Returns the clean-up.
 *
 * @param {HTMLElement} root
 * @returns {() => void}
 */
export function keepFocus(root) {
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
    trail = trailOf(/** @type {Element} */ (e.target), root);
  };
  /** @param {FocusEvent} e */
  const onOut = (e) => {
    const to = /** @type {Node | null} */ (e.relatedTarget);
    if (to && !root.contains(to)) trail = [];
    else if (!to) queueMicrotask(check);
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
  return () => {
    observer.disconnect();
    root.removeEventListener("focusin", onIn);
    root.removeEventListener("focusout", onOut);
  };
}
