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
    alt: `Thumbnail ${t.number} at ${t.height}p`
  };
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
  const root = el("div", "sv-gallery");
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
  root.append(toolbar, grid);
  host.appendChild(root);
  return { root, selector, status, grid };
}
function tile(model, urls, t) {
  const button = el("button", "sv-thumb");
  button.type = "button";
  button.dataset.name = t.name;
  button.title = t.name;
  const text = tileText(t);
  const url = blobUrl(urls, t.name, (model.get("images") || {})[t.name]);
  if (url) {
    const img = el("img");
    img.src = url;
    img.alt = text.alt;
    img.draggable = false;
    button.appendChild(img);
  } else {
    button.appendChild(el("div", "sv-thumb-placeholder", "loading…"));
    button.classList.add("sv-loading");
  }
  button.appendChild(el("span", "sv-thumb-caption", text.caption));
  const selected = t.name === model.get("value");
  button.classList.toggle("sv-selected", selected);
  button.classList.toggle("sv-saving", t.name === model.get("saving"));
  button.setAttribute("aria-pressed", selected ? "true" : "false");
  button.addEventListener("click", () => {
    if (!wantsSelect(t.name, model.get("value"), model.get("status"))) return;
    button.classList.add("sv-saving");
    model.send({ type: "select", name: t.name });
  });
  return button;
}
function render({ model, el: host }) {
  const urls = /* @__PURE__ */ new Map();
  const { root, selector, status, grid } = buildView(host);
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
  function drawGrid() {
    const sections = groups(thumbs(), Number(model.get("height") || 0)).map((group) => {
      const section = el("section", "sv-gallery-group");
      const tiles = el("div", "sv-gallery-grid");
      tiles.append(...group.thumbs.map((t) => tile(model, urls, t)));
      section.append(el("h4", "", `${group.height}p`), tiles);
      return section;
    });
    grid.replaceChildren(...sections);
  }
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
  return () => {
    unlisten();
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  };
}
var gallery_default = { render };
export {
  gallery_default as default
};
