// ThumbnailGallery front end (anywidget ESM), bundled by js/build.js into
// sv_widgets/widgets/static/gallery.js. Images arrive as binary buffers in the `images` trait
// (file name -> DataView) and are shown through object URLs; a click, Enter or Space sends
// {type: "select", name} to Python, which saves the choice and updates `value`, `status` and
// `message`. The thumbnails are one listbox: a single Tab stop, arrow keys move among them
// (a roving tabindex), and focus stays on a thumbnail while the grid is redrawn.

import { bytesOf, el, fillSelect, jpegUrl } from "../common/dom.js";
import { keepFocus, suppressShortcuts } from "../common/focus.js";
import { randomId } from "../common/ids.js";
import { listen } from "../common/model.js";
import { groups, heightItems, moveTo, tileText, wantsSelect } from "./logic.js";

/** @import { AnyModel, Render } from "@anywidget/types" */
/** @import { Thumb } from "./logic.js" */

/**
 * @typedef {object} GalleryState
 * @property {Thumb[]} thumbnails
 * @property {Record<string, DataView>} images
 * @property {number} height
 * @property {string} file_code
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
  const root = el("div", "sv-gallery sv-themed");
  suppressShortcuts(root); // arrows, Enter and letters act on the gallery, not the notebook
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

/**
 * Ask the kernel to save `name` as the file's thumbnail (unless it is already).
 *
 * @param {AnyModel<GalleryState>} model
 * @param {HTMLElement} option
 */
function choose(model, option) {
  const name = option.dataset.name || "";
  if (!wantsSelect(name, model.get("value"), model.get("status"))) return;
  option.classList.add("sv-saving");
  model.send({ type: "select", name });
}

/**
 * One thumbnail, an option of the listbox: its image (or a placeholder until its bytes
 * come), its caption, whether it is the saved choice.
 *
 * @param {AnyModel<GalleryState>} model
 * @param {Map<string, string>} urls file name -> object URL
 * @param {Thumb} t
 */
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
    img.alt = ""; // the option's name says what it shows
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

/**
 * The listbox's keys: arrows, Home and End move the focus (one Tab stop: the focused
 * thumbnail alone has tabindex 0), Enter and Space save the focused thumbnail.
 *
 * @param {AnyModel<GalleryState>} model
 * @param {HTMLElement} grid
 * @param {(name: string) => void} setCurrent
 */
function bindKeys(model, grid, setCurrent) {
  grid.addEventListener("keydown", (e) => {
    const options = /** @type {HTMLElement[]} */ ([...grid.querySelectorAll(".sv-thumb")]);
    const here = options.indexOf(/** @type {HTMLElement} */ (e.target));
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
    const option = /** @type {HTMLElement} */ (e.target);
    if (option.classList.contains("sv-thumb")) setCurrent(option.dataset.name || "");
  });
}

/**
 * The roving Tab stop: which thumbnail holds it, kept across redraws.
 *
 * @param {HTMLElement} grid
 */
function rovingStop(grid) {
  let current = "";
  return {
    /** @param {string} name */
    set(name) {
      current = name;
      for (const node of grid.querySelectorAll(".sv-thumb")) {
        const option = /** @type {HTMLElement} */ (node);
        option.tabIndex = option.dataset.name === name ? 0 : -1;
      }
    },
    get: () => current,
  };
}

/**
 * Draw the groups of thumbnails into the listbox; the focus stays on the thumbnail that held
 * it (a redraw must not drop it to the page).
 *
 * @param {AnyModel<GalleryState>} model
 * @param {HTMLElement} grid
 * @param {Map<string, string>} urls
 * @param {ReturnType<typeof rovingStop>} stop
 */
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
  const option = /** @type {HTMLElement | null} */ (grid.querySelector('.sv-thumb[tabindex="0"]'));
  if (focused && option) option.focus();
}

/** @type {Render<GalleryState>} */
function render({ model, el: host }) {
  /** @type {Map<string, string>} */
  const urls = new Map();
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
    ["change:message", drawStatus],
  ]);
  drawAll();

  // A new view of this gallery (its display refreshed once saved) keeps the focus.
  const unfocus = keepFocus(root, `gallery:${model.get("file_code")}`);

  return () => {
    unfocus();
    unlisten();
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  };
}

export default { render };
