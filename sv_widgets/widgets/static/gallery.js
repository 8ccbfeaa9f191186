// Built by js/build.js (esbuild) from js/src/: edit those, then `npm run build` in js/.

// src/common/dom.js
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== void 0) node.textContent = text;
  return node;
}
function fillSelect(select, items, value) {
  select.replaceChildren(
    ...items.map(([v, text, disabled]) => {
      const option = document.createElement("option");
      option.value = v;
      option.textContent = text;
      option.disabled = Boolean(disabled);
      return option;
    })
  );
  select.value = value;
}
function bytesOf(buffer) {
  if (!buffer) return null;
  if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  return new Uint8Array(buffer);
}
function jpegUrl(bytes) {
  const part = (
    /** @type {Uint8Array<ArrayBuffer>} */
    bytes
  );
  return URL.createObjectURL(new Blob([part], { type: "image/jpeg" }));
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

// src/common/model.js
function listen(model, events) {
  for (const [name, fn] of events) model.on(name, fn);
  return () => {
    for (const [name, fn] of events) model.off(name, fn);
  };
}

// src/gallery/logic.js
function heights(thumbs) {
  const seen = /* @__PURE__ */ new Map();
  for (const t of thumbs) seen.set(t.height, (seen.get(t.height) || 0) + 1);
  return [...seen.entries()].sort((a, b) => b[0] - a[0]);
}
function heightItems(thumbs) {
  const items = [["0", `All (${thumbs.length})`]];
  for (const [h, n] of heights(thumbs)) items.push([String(h), `${h}p (${n})`]);
  return items;
}
function groups(thumbs, chosen) {
  return heights(thumbs).filter(([h]) => !chosen || h === chosen).map(([height]) => ({ height, thumbs: thumbs.filter((t) => t.height === height) }));
}
function tileText(t) {
  return {
    caption: `${t.height}p · ${String(t.number).padStart(2, "0")}`,
    label: `Thumbnail ${t.number}, ${t.height}p`
  };
}
var STEPS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
function moveTo(key, index, count) {
  if (count < 1) return null;
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  const step = STEPS[key];
  if (step === void 0) return null;
  return Math.max(0, Math.min(count - 1, index + step));
}
function wantsSelect(name, value, status) {
  return name !== value || status === "error";
}

// src/gallery/index.js
function blobUrl(cache, name, buffer) {
  let url = cache.get(name);
  const bytes = url === void 0 ? bytesOf(buffer) : null;
  if (bytes) {
    url = jpegUrl(bytes);
    cache.set(name, url);
  }
  return url;
}
function buildView(host) {
  const root = el("div", "sv-gallery sv-themed");
  suppressShortcuts(root);
  const toolbar = el("div", "sv-gallery-toolbar");
  const label = el("label", "", "Height ");
  const selector = el("select", "sv-gallery-height");
  selector.setAttribute("aria-label", "Thumbnail height");
  label.appendChild(selector);
  const status = el("span", "sv-gallery-status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  toolbar.append(label, status);
  const grid = el("div", "sv-gallery-groups");
  grid.setAttribute("role", "listbox");
  root.append(toolbar, grid);
  host.appendChild(root);
  return { root, selector, status, grid };
}
function choose(model, option) {
  const name = option.dataset.name || "";
  if (!wantsSelect(name, model.get("value"), model.get("status"))) return;
  option.classList.add("sv-saving");
  model.send({ type: "select", name });
}
function tile(model, urls, t) {
  const option = el("div", "sv-thumb");
  option.setAttribute("role", "option");
  option.dataset.name = t.name;
  option.title = t.name;
  option.tabIndex = -1;
  const text = tileText(t);
  option.setAttribute("aria-label", text.label);
  const url = blobUrl(urls, t.name, (model.get("images") || {})[t.name]);
  if (url) {
    const img = el("img");
    img.src = url;
    img.alt = "";
    img.draggable = false;
    option.appendChild(img);
  } else {
    option.appendChild(el("div", "sv-thumb-placeholder", "loading…"));
    option.classList.add("sv-loading");
  }
  const caption = el("span", "sv-thumb-caption", text.caption);
  caption.setAttribute("aria-hidden", "true");
  option.appendChild(caption);
  const selected = t.name === model.get("value");
  option.classList.toggle("sv-selected", selected);
  option.classList.toggle("sv-saving", t.name === model.get("saving"));
  option.setAttribute("aria-selected", selected ? "true" : "false");
  option.addEventListener("click", () => choose(model, option));
  return option;
}
function bindKeys(model, grid, setCurrent) {
  grid.addEventListener("keydown", (e) => {
    const options = (
      /** @type {HTMLElement[]} */
      [...grid.querySelectorAll(".sv-thumb")]
    );
    const here = options.indexOf(
      /** @type {HTMLElement} */
      e.target
    );
    if (here < 0) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      choose(model, options[here]);
      return;
    }
    const next = moveTo(e.key, here, options.length);
    if (next === null) return;
    e.preventDefault();
    setCurrent(options[next].dataset.name || "");
    options[next].focus();
  });
  grid.addEventListener("focusin", (e) => {
    const option = (
      /** @type {HTMLElement} */
      e.target
    );
    if (option.classList.contains("sv-thumb")) setCurrent(option.dataset.name || "");
  });
}
function rovingStop(grid) {
  let current = "";
  return {
    /** @param {string} name */
    set(name) {
      current = name;
      for (const node of grid.querySelectorAll(".sv-thumb")) {
        const option = (
          /** @type {HTMLElement} */
          node
        );
        option.tabIndex = option.dataset.name === name ? 0 : -1;
      }
    },
    get: () => current
  };
}
function drawGroups(model, grid, urls, stop) {
  const focused = grid.contains(document.activeElement);
  const shown = groups(model.get("thumbnails") || [], Number(model.get("height") || 0));
  const sections = shown.map((group) => {
    const section = el("div", "sv-gallery-group");
    section.setAttribute("role", "group");
    const title = el("div", "sv-gallery-group-title", `${group.height}p`);
    title.id = `sv-gallery-${randomId(6)}`;
    section.setAttribute("aria-labelledby", title.id);
    const tiles = el("div", "sv-gallery-grid");
    tiles.append(...group.thumbs.map((t) => tile(model, urls, t)));
    section.append(title, tiles);
    return section;
  });
  grid.replaceChildren(...sections);
  grid.setAttribute("aria-label", `Thumbnails of ${model.get("file_code") || "the file"}`);
  const names = shown.flatMap((group) => group.thumbs.map((t) => t.name));
  const keep = [stop.get(), model.get("value"), names[0]].find((n) => n && names.includes(n));
  stop.set(keep || "");
  const option = (
    /** @type {HTMLElement | null} */
    grid.querySelector('.sv-thumb[tabindex="0"]')
  );
  if (focused && option) option.focus();
}
function render({ model, el: host }) {
  const urls = /* @__PURE__ */ new Map();
  const { root, selector, status, grid } = buildView(host);
  const stop = rovingStop(grid);
  bindKeys(model, grid, stop.set);
  selector.addEventListener("change", () => {
    model.set("height", Number(selector.value));
    model.save_changes();
  });
  const thumbs = () => model.get("thumbnails") || [];
  const chosenHeight = () => String(model.get("height") || 0);
  function drawSelector() {
    const items = heightItems(thumbs());
    fillSelect(selector, items, chosenHeight());
    selector.disabled = items.length < 2;
  }
  const drawGrid = () => drawGroups(model, grid, urls, stop);
  function drawStatus() {
    const s = model.get("status");
    status.textContent = model.get("message") || "";
    status.dataset.status = s;
    root.dataset.status = s;
  }
  function drawAll() {
    drawSelector();
    drawGrid();
    drawStatus();
  }
  const onHeight = () => {
    selector.value = chosenHeight();
    drawGrid();
  };
  const unlisten = listen(model, [
    ["change:thumbnails", drawAll],
    ["change:images", drawGrid],
    ["change:value", drawGrid],
    ["change:saving", drawGrid],
    ["change:height", onHeight],
    ["change:status", drawStatus],
    ["change:message", drawStatus]
  ]);
  drawAll();
  const unfocus = keepFocus(root, `gallery:${model.get("file_code")}`);
  return () => {
    unfocus();
    unlisten();
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  };
}
var gallery_default = { render };
export {
  gallery_default as default
};
