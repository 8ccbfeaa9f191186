// ThumbnailGallery front end (anywidget ESM), bundled by js/build.js into
// sv_widgets/widgets/static/gallery.js. Images arrive as binary buffers in the `images` trait
// (file name -> DataView) and are shown through object URLs; a click sends
// {type: "select", name} to Python, which saves the choice and updates `value`, `status` and
// `message`.

import { bytesOf, el, fillSelect, jpegUrl } from "../common/dom.js";
import { listen } from "../common/model.js";
import { groups, heightItems, tileText, wantsSelect } from "./logic.js";

/** @import { AnyModel, Render } from "@anywidget/types" */
/** @import { Thumb } from "./logic.js" */

/**
 * @typedef {object} GalleryState
 * @property {Thumb[]} thumbnails
 * @property {Record<string, DataView>} images
 * @property {number} height
 * @property {string} value
 * @property {string} saving
 * @property {string} status
 * @property {string} message
 */

/**
 * @param {Map<string, string>} cache
 * @param {string} name
 * @param {DataView | undefined} buffer
 * @returns {string | undefined}
 */
function blobUrl(cache, name, buffer) {
  let url = cache.get(name);
  const bytes = url === undefined ? bytesOf(buffer) : null;
  if (bytes) {
    url = jpegUrl(bytes);
    cache.set(name, url); // a thumbnail's bytes never change for a given file name
  }
  return url;
}

/**
 * The gallery's elements: a toolbar (the height menu, the status) over the groups.
 *
 * @param {HTMLElement} host
 */
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

/**
 * One thumbnail's button: its image (or a placeholder until its bytes come), its caption,
 * whether it is the saved choice; a click asks the kernel to save it.
 *
 * @param {AnyModel<GalleryState>} model
 * @param {Map<string, string>} urls file name -> object URL
 * @param {Thumb} t
 */
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

/** @type {Render<GalleryState>} */
function render({ model, el: host }) {
  /** @type {Map<string, string>} */
  const urls = new Map();
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
    ["change:message", drawStatus],
  ]);
  drawAll();

  return () => {
    unlisten();
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  };
}

export default { render };
