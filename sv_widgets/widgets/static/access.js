// Built by js/build.js (esbuild) from js/src/: edit those, then `npm run build` in js/.

// src/common/dom.js
function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

// src/common/focus.js
var SUPPRESS_SHORTCUTS = "data-lm-suppress-shortcuts";
function suppressShortcuts(node) {
  node.setAttribute(SUPPRESS_SHORTCUTS, "true");
  node.addEventListener("focusin", (e) => {
    const target = (
      /** @type {Element} */
      e.target
    );
    if (!target.hasAttribute(SUPPRESS_SHORTCUTS)) target.setAttribute(SUPPRESS_SHORTCUTS, "true");
  });
}
var CONTROLS = 'button, input, select, textarea, a[href], video[controls], [tabindex]:not([tabindex="-1"])';
function usable(node) {
  if (!node.isConnected || node.getClientRects().length === 0) return false;
  if (node.getAttribute("aria-disabled") === "true") return true;
  return !/** @type {HTMLButtonElement} */
  node.disabled;
}
function fallbackIn(holder) {
  for (const selector of [".sv-focus-fallback", CONTROLS]) {
    for (const node of holder.querySelectorAll(selector)) {
      if (node.matches(CONTROLS) && usable(node)) return (
        /** @type {HTMLElement} */
        node
      );
    }
  }
  return null;
}
function trailOf(node, root) {
  const trail = [];
  for (let n = (
    /** @type {Element | null} */
    node
  ); n; n = n.parentElement) {
    trail.push(n);
    if (n === root) break;
  }
  return trail;
}
var lostToBody = () => !document.activeElement || document.activeElement === document.body || document.activeElement === document.documentElement;
var CARRIED = /* @__PURE__ */ new Map();
function describe(node) {
  const name = node.getAttribute("aria-label") || node.getAttribute("title") || node.textContent;
  return `${node.tagName}|${(name || "").trim()}`;
}
function restore(root, wanted) {
  let frame = 0;
  const attempt = (tries) => {
    const active = document.activeElement;
    const waiting = !root.isConnected || !lostToBody() && active && describe(active) === wanted;
    if (waiting && !root.contains(active)) {
      if (tries > 0) frame = requestAnimationFrame(() => attempt(tries - 1));
      return;
    }
    if (!lostToBody()) return;
    const same = [...root.querySelectorAll(CONTROLS)].find(
      (n) => describe(n) === wanted && usable(n)
    );
    const next = (
      /** @type {HTMLElement | null} */
      same || fallbackIn(root)
    );
    if (next) next.focus();
  };
  attempt(600);
  return () => cancelAnimationFrame(frame);
}
function keepFocus(root, key) {
  let trail = [];
  const check = () => {
    const [lost] = trail;
    if (!lost || !(lostToBody() || document.activeElement === lost)) return;
    if (usable(lost)) {
      if (document.activeElement === lost) return;
      trail = [];
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
  const onIn = (e) => {
    const target = (
      /** @type {Element} */
      e.target
    );
    trail = trailOf(target, root);
    if (key) CARRIED.set(key, describe(target));
  };
  const onOut = (e) => {
    const to = (
      /** @type {Node | null} */
      e.relatedTarget
    );
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
    attributeFilter: ["style", "class", "hidden", "disabled"]
  });
  const wanted = key ? CARRIED.get(key) : void 0;
  const stopRestoring = wanted ? restore(root, wanted) : () => {
  };
  return () => {
    stopRestoring();
    observer.disconnect();
    root.removeEventListener("focusin", onIn);
    root.removeEventListener("focusout", onOut);
  };
}

// src/common/ids.js
function randomId(bytes = 9) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

// src/access/logic.js
function thumbnailAlt(code, name) {
  const which = code.trim() || name.trim();
  return which ? `Thumbnail of ${which}` : "Thumbnail";
}

// src/access/index.js
var text = (node) => node && node.textContent || "";
function fix(root, open) {
  for (const img of root.querySelectorAll("img.widget-image")) {
    const scope = img.closest(".sv-file-row, .sv-upload-progress") || root;
    const code = scope.querySelector("code");
    const name = scope.querySelector("b");
    setAttr(img, "alt", thumbnailAlt(code ? text(code) : "", name ? text(name) : ""));
  }
  for (const live of root.querySelectorAll(".sv-live")) {
    setAttr(live, "role", "status");
    setAttr(live, "aria-live", "polite");
  }
  for (const row of root.querySelectorAll(".sv-file-row")) {
    const button = row.querySelector(".sv-details-button");
    const expanded = row.querySelector(".sv-file-details") ? "true" : "false";
    if (button) setAttr(button, "aria-expanded", expanded);
  }
  for (const dialog of root.querySelectorAll(".sv-confirm-delete")) dialogFix(dialog, open);
}
function nameDialog(dialog) {
  setAttr(dialog, "role", "alertdialog");
  setAttr(dialog, "aria-label", "Confirm the delete");
  const body = dialog.querySelector(".sv-confirm-text");
  if (body) {
    if (!body.id) body.id = `sv-confirm-${randomId(6)}`;
    setAttr(dialog, "aria-describedby", body.id);
  }
}
function dialogFix(dialog, open) {
  nameDialog(dialog);
  const shown = dialog.getClientRects().length > 0;
  if (shown && !open.has(dialog)) {
    open.set(dialog, document.activeElement);
    const first = (
      /** @type {HTMLElement | null} */
      dialog.querySelector(".sv-focus-first")
    );
    if (first) first.focus();
  } else if (!shown && open.has(dialog)) {
    const opener = (
      /** @type {HTMLElement | null} */
      open.get(dialog) || null
    );
    open.delete(dialog);
    const active = document.activeElement;
    const lost = !active || active === document.body || dialog.contains(active);
    if (lost && opener && usable(opener)) opener.focus();
  }
}
function watch(root, key) {
  suppressShortcuts(root);
  const open = /* @__PURE__ */ new Map();
  const observer = new MutationObserver(() => fix(root, open));
  observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  const unfocus = keepFocus(root, key);
  fix(root, open);
  return () => {
    observer.disconnect();
    unfocus();
  };
}
function render({ model, el: host }) {
  host.style.display = "none";
  let frame = 0;
  let stop = () => {
  };
  const attach = () => {
    const root = (
      /** @type {HTMLElement | null} */
      host.closest(".sv-access-root")
    );
    if (root) stop = watch(root, `access:${model.get("key")}`);
    else frame = requestAnimationFrame(attach);
  };
  attach();
  return () => {
    cancelAnimationFrame(frame);
    stop();
  };
}
var access_default = { render };
export {
  access_default as default
};
