// A view of the upload area: the drop target, a banner, and one row per upload. It draws what
// the kernel's traits and this page's controller say (the texts come from present.js) and
// hands chosen or dropped files, Cancel and Retry to the controller.

import { bytesOf, el, jpegUrl, setAttr, setData, setHidden, setText } from "../common/dom.js";
import { keepFocus, suppressShortcuts } from "../common/focus.js";
import { randomId } from "../common/ids.js";
import { listen } from "../common/model.js";
import {
  announcement,
  bannerText,
  figures,
  headText,
  howText,
  localNote,
  pendingText,
  shown,
} from "./present.js";

/** @import { Controller, DropzoneModel, Row } from "./controller.js" */

/**
 * @param {ParentNode} node
 * @param {string} selector
 * @returns {HTMLElement}
 */
function part(node, selector) {
  return /** @type {HTMLElement} */ (node.querySelector(selector));
}

/**
 * @param {HTMLElement} node
 * @param {Row} row
 * @param {Controller} ctl
 * @param {(id: string) => string | null} thumbs
 */
function drawRow(node, row, ctl, thumbs) {
  const { percent, detail } = figures(row, ctl.transferOf(row));
  const q = (/** @type {string} */ selector) => part(node, selector);
  setData(node, "phase", row.phase);
  setData(node, "transport", row.transport || "");
  const head = headText(row);
  setText(q(".sv-dz-name"), row.name);
  setText(q(".sv-dz-size"), head.size);
  setText(q(".sv-dz-via"), head.via);
  const bar = q(".sv-dz-bar");
  setAttr(bar, "aria-label", `Upload of ${row.name}`);
  if (bar.getAttribute("aria-valuenow") !== percent) {
    bar.setAttribute("aria-valuenow", percent);
    q(".sv-dz-fill").style.width = `${percent}%`;
  }
  setText(q(".sv-dz-detail"), detail);
  setText(q(".sv-dz-transport-note"), row.note || "");
  const note = localNote(ctl, row, ctl.env.now());
  const noteNode = q(".sv-dz-note");
  setText(noteNode, note ? note.text : "");
  setData(noteNode, "kind", note ? note.kind : "");
  setText(q(".sv-dz-error"), row.error || "");
  setText(q(".sv-dz-message"), row.message || "");
  const show = shown(ctl, row);
  setHidden(q(".sv-dz-cancel"), !show.cancel);
  setHidden(q(".sv-dz-retry"), !show.retry);
  setHidden(q(".sv-dz-result"), !show.result);
  setText(q(".sv-dz-code"), row.file_code || "");
  setText(q(".sv-dz-duration"), row.duration || "-");
  drawThumb(/** @type {HTMLImageElement} */ (q(".sv-dz-thumb")), row, thumbs(row.id));
}

/**
 * @param {HTMLImageElement} img
 * @param {Row} row
 * @param {string | null} url
 */
function drawThumb(img, row, url) {
  if (url && img.getAttribute("src") !== url) img.src = url;
  setAttr(img, "alt", `Thumbnail of ${row.file_code || row.name}`);
  setHidden(img, !url);
}

/**
 * @param {string} className
 * @param {string} text
 * @param {() => void} onClick
 */
function button(className, text, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

/**
 * A row's elements, empty; drawRow fills them.
 *
 * @param {Controller} ctl
 * @param {() => Row} getRow the row as the kernel last described it
 */
function rowNode(ctl, getRow) {
  const node = el("li", "sv-dz-row");
  const head = el("div", "sv-dz-head");
  head.append(el("span", "sv-dz-name"), el("span", "sv-dz-size"), el("span", "sv-dz-via"));
  const line = el("div", "sv-dz-line");
  const bar = el("div", "sv-dz-bar");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  bar.append(el("div", "sv-dz-fill"));
  const cancel = button("sv-dz-cancel", "Cancel", () => ctl.cancel(getRow()));
  const retry = button("sv-dz-retry", "Retry", () => ctl.retry(getRow()));
  line.append(bar, cancel, retry);
  const detail = el("div", "sv-dz-detail");
  // Not a live region of its own: the widget has one, which says each row's changes once.
  const notes = el("div", "sv-dz-notes");
  notes.append(
    el("div", "sv-dz-transport-note"),
    el("div", "sv-dz-note"),
    el("div", "sv-dz-error"),
    el("div", "sv-dz-message"),
  );
  const result = el("div", "sv-dz-result");
  const img = el("img", "sv-dz-thumb");
  img.alt = "Thumbnail";
  const facts = el("div", "sv-dz-facts");
  const codeLine = el("div");
  codeLine.append(el("b", "", "File code"), " ", el("code", "sv-dz-code"));
  const durationLine = el("div");
  durationLine.append(el("b", "", "Duration"), " ", el("span", "sv-dz-duration"));
  facts.append(codeLine, durationLine);
  result.append(img, facts);
  node.append(head, line, detail, notes, result);
  return node;
}

/**
 * The drop target: a file input behind a label, and drag and drop of files.
 *
 * @param {Controller} ctl
 */
function dropTarget(ctl) {
  const inputId = `sv-dz-${randomId(6)}`;
  const target = el("div", "sv-dz-target");
  const input = el("input", "sv-dz-input sv-focus-fallback");
  input.type = "file";
  input.id = inputId;
  const choose = el("label", "sv-dz-choose", "Choose files");
  choose.htmlFor = inputId;
  const hint = el("span", "sv-dz-hint", "or drop videos here");
  const how = el("div", "sv-dz-how");
  target.append(input, choose, hint, how);

  // Chrome opens the chooser on Space only; Enter is what a button does, so it does it too.
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    input.click();
  });
  input.addEventListener("change", () => {
    ctl.add(input.files);
    input.value = ""; // choosing the same file again adds it again
  });
  /** @param {DragEvent} e */
  const hasFiles = (e) =>
    e.dataTransfer !== null && Array.from(e.dataTransfer.types || []).includes("Files");
  /** @param {DragEvent} e */
  const over = (e) => {
    if (!hasFiles(e) || !e.dataTransfer) return;
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = "copy";
    target.classList.add("sv-dz-over");
  };
  target.addEventListener("dragenter", over);
  target.addEventListener("dragover", over);
  target.addEventListener("dragleave", () => target.classList.remove("sv-dz-over"));
  target.addEventListener("drop", (e) => {
    if (!hasFiles(e) || !e.dataTransfer) return;
    e.preventDefault();
    e.stopPropagation();
    target.classList.remove("sv-dz-over");
    ctl.add(e.dataTransfer.files);
  });
  return { target, input, how };
}

/**
 * Draw the upload area of `model` into `host`; returns the clean-up.
 *
 * @param {DropzoneModel} model
 * @param {HTMLElement} host
 * @param {Controller | undefined} ctl this page's controller of the model
 * @returns {() => void}
 */
export function renderZone(model, host, ctl) {
  const root = el("div", "sv-dropzone sv-themed");
  suppressShortcuts(root); // keys typed in the upload area act on it, not on the notebook
  host.appendChild(root);
  if (!ctl) {
    root.textContent = "The upload area did not start in this page; re-run the cell.";
    return () => {};
  }
  return drawZone(model, root, ctl);
}

/**
 * The object URLs of the rows' thumbnails (the `thumbnails` trait's bytes), made once each.
 *
 * @param {DropzoneModel} model
 */
function thumbnails(model) {
  /** @type {Map<string, string>} row id -> object URL */
  const urls = new Map();
  return {
    /** @param {string} id */
    url(id) {
      if (!urls.has(id)) {
        const bytes = bytesOf((model.get("thumbnails") || {})[id]);
        if (!bytes) return null;
        urls.set(id, jpegUrl(bytes));
      }
      return urls.get(id) || null;
    },
    clear() {
      for (const url of urls.values()) URL.revokeObjectURL(url);
      urls.clear();
    },
  };
}

/**
 * Drop the elements whose key `keep` refuses.
 *
 * @param {Map<string, HTMLElement>} nodes
 * @param {(key: string) => boolean} keep
 */
function prune(nodes, keep) {
  for (const [key, node] of nodes) {
    if (!keep(key)) {
      node.remove();
      nodes.delete(key);
    }
  }
}

/**
 * The target's settings, the line on how files travel, and the banner.
 *
 * @param {DropzoneModel} model
 * @param {Controller} ctl
 * @param {{ input: HTMLInputElement, how: HTMLElement, banner: HTMLElement }} parts
 */
function drawTarget(model, ctl, { input, how, banner }) {
  input.multiple = Boolean(model.get("multiple"));
  input.accept = model.get("accept") || "";
  input.disabled = Boolean(ctl.lost);
  setText(how, howText(model.get("transport")));
  const problems = bannerText({
    lost: ctl.lost,
    buffers: ctl.buffers(),
    notice: model.get("notice"),
  });
  setText(banner, problems);
  setHidden(banner, problems === "");
}

/**
 * The line of a file sent to the kernel that has no row yet, made once.
 *
 * @param {Map<string, HTMLElement>} nodes key -> element
 * @param {Controller} ctl
 * @param {string} key
 * @param {{ name: string, size: number, since: number }} entry
 */
function drawPending(nodes, ctl, key, entry) {
  let node = nodes.get(key);
  if (!node) {
    node = el("li", "sv-dz-row sv-dz-pending");
    node.dataset.phase = "pending";
    node.append(el("div", "sv-dz-head"), el("div", "sv-dz-note"));
    nodes.set(key, node);
  }
  const text = pendingText(entry, ctl.busy, ctl.env.now());
  const note = part(node, ".sv-dz-note");
  setText(part(node, ".sv-dz-head"), text.head);
  setText(note, text.note);
  setData(note, "kind", text.kind);
  return node;
}

/**
 * The function that draws the rows into `list`: the kernel's, in order, then this page's
 * pending files; each element made once and moved only when its place changed.
 *
 * @param {DropzoneModel} model
 * @param {Controller} ctl
 * @param {HTMLElement} list
 * @param {(id: string) => string | null} thumbs
 * @param {HTMLElement} live the widget's one polite live region
 */
function rowsDrawer(model, ctl, list, thumbs, live) {
  /** @type {Map<string, HTMLElement>} row id -> element */
  const nodes = new Map();
  /** @type {Map<string, string>} row id -> what the live region last said of it */
  const said = new Map();
  /** @type {Map<string, HTMLElement>} key -> element */
  const pendingNodes = new Map();
  return () => {
    const rows = model.get("rows") || [];
    const order = rows.map((row) => {
      let node = nodes.get(row.id);
      if (!node) {
        const current = () => (model.get("rows") || []).find((r) => r.id === row.id) || row;
        node = rowNode(ctl, current);
        node.dataset.id = row.id;
        nodes.set(row.id, node);
      }
      drawRow(node, row, ctl, thumbs);
      return node;
    });
    const seen = new Set(rows.map((row) => row.id));
    prune(nodes, (id) => seen.has(id));
    const news = rows.map(announcement).filter((text, i) => said.get(rows[i].id) !== text);
    rows.forEach((row, i) => said.set(row.id, announcement(rows[i])));
    for (const id of said.keys()) if (!seen.has(id)) said.delete(id);
    if (news.length) setText(live, news.join(". "));
    for (const [key, entry] of ctl.pending) order.push(drawPending(pendingNodes, ctl, key, entry));
    prune(pendingNodes, (key) => ctl.pending.has(key));
    order.forEach((node, i) => {
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
    });
  };
}

/**
 * @param {DropzoneModel} model
 * @param {HTMLElement} root
 * @param {Controller} ctl
 * @returns {() => void}
 */
function drawZone(model, root, ctl) {
  const { target, input, how } = dropTarget(ctl);
  const banner = el("div", "sv-dz-banner");
  banner.setAttribute("role", "alert");
  const list = el("ol", "sv-dz-rows");
  list.setAttribute("aria-label", "Uploads");
  const live = el("div", "sv-visually-hidden");
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  root.append(target, banner, list, live);
  const thumbs = thumbnails(model);
  const drawHead = () => drawTarget(model, ctl, { input, how, banner });
  const drawRows = rowsDrawer(model, ctl, list, thumbs.url, live);
  const draw = () => {
    drawHead();
    drawRows();
  };
  const onThumbs = () => {
    thumbs.clear();
    draw();
  };
  ctl.views.add(draw);
  const unlisten = listen(model, [
    ["change:rows", draw],
    ["change:thumbnails", onThumbs],
    ...["notice", "transport", "multiple", "accept"].map(
      (name) => /** @type {const} */ ([`change:${name}`, drawHead]),
    ),
  ]);
  // For tests and debugging: the page's end of the channel, and this page's id in it.
  Object.assign(root, { svModel: model, svPage: ctl.page });
  draw();
  const unfocus = keepFocus(root, `dropzone:${model.get("_uid")}`);

  return () => {
    unfocus();
    ctl.views.delete(draw);
    unlisten();
    thumbs.clear();
  };
}
