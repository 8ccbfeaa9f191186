// UploadDropzone front end (anywidget ESM). Self-contained: no imports, no CDN.
//
// One controller per widget model (initialize) keeps the File objects chosen in this page and
// runs the transfers the kernel asks for; every view (render) draws the drop target and the
// rows. The kernel initiates each upload and keeps the keys: this page only ever gets the
// ticket URL of one upload at a time, in a custom message (never in a synced trait).
//   direct: XMLHttpRequest POST of FormData {file} to the ticket URL, with upload progress.
//   relay:  File.slice chunks as binary buffers of custom messages, at most `window` waiting
//           for the kernel's acknowledgement; the kernel streams them into its own POST.
// The protocol is described in sv_widgets/uploads/_browser.py.

const LOOPBACK = /^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;
const PROBE = [115, 118, 122, 33]; // "svz!": proves binary buffers reach the kernel
const WAIT_NOTE_MS = 1500; // unanswered this long: say that we wait for the kernel
const ALIVE_MS = 3000; // heartbeat while uploads run
const KERNEL_SILENCE_MS = 20000; // no tick this long while uploading: the kernel is gone
const PROGRESS_MS = 500; // direct progress reports to the kernel, at most this often
const CONTROLLERS = new Map(); // the widget's _uid -> its controller in this page

const now = () => performance.now();

function randomId(bytes = 9) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a); // available on plain-http pages too, unlike randomUUID
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

function isLoopback(hostname) {
  return LOOPBACK.test(hostname);
}

// Can this page POST to `url` itself? Not to a loopback host unless the page is on one too
// (the upload server would be the person's own machine, not the kernel's), and not plain HTTP
// from an HTTPS page (mixed content is blocked).
export function reachable(url, location = window.location) {
  let u;
  try {
    u = new URL(url);
  } catch (_e) {
    return { ok: false, why: "the upload server's URL is not valid" };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return { ok: false, why: "the upload server's URL is not http(s)" };
  }
  if (isLoopback(u.hostname) && !isLoopback(location.hostname)) {
    return { ok: false, why: "the upload server is on the kernel's own machine (loopback)" };
  }
  if (location.protocol === "https:" && u.protocol === "http:") {
    return { ok: false, why: "this page is HTTPS and the upload server plain HTTP" };
  }
  return { ok: true, why: "" };
}

export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return "?";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  for (const unit of units) {
    if (v < 1000 || unit === "TB") {
      if (unit === "B") return `${Math.floor(v)} B`;
      return v < 100 ? `${v.toFixed(1)} ${unit}` : `${v.toFixed(0)} ${unit}`;
    }
    v /= 1000;
  }
  return "?";
}

// ------------------------------------------------------------------------------ controller
function createController(model) {
  const page = randomId();
  const files = new Map(); // key -> File chosen in this page
  const pending = new Map(); // key -> {name, size, since}: sent to the kernel, no row yet
  const live = new Map(); // tid -> transfer in this page
  const answers = new Map(); // key -> time a direct answer went to the kernel
  const views = new Set();
  const ctl = { page, files, pending, live, answers, views, busy: false, lastTick: 0, lost: "" };
  let buffersOk = null;

  const changed = () => { for (const draw of views) draw(); };

  function post(content, buffers) {
    if (ctl.lost) return false;
    try {
      model.send(content, undefined, buffers);
      return true;
    } catch (_e) {
      return false;
    }
  }

  ctl.add = (list) => {
    let chosen = Array.from(list || []);
    if (!model.get("multiple")) chosen = chosen.slice(0, 1);
    if (!chosen.length || ctl.lost) return;
    const entries = chosen.map((file) => {
      const key = randomId(6);
      files.set(key, file);
      pending.set(key, { name: file.name, size: file.size, since: now() });
      return { key, name: file.name, size: file.size, mime: file.type || "" };
    });
    post({ type: "add", page, files: entries });
    changed();
  };
  ctl.cancel = (row) => post({ type: "cancel", row: row.id });
  ctl.retry = (row) => post({ type: "retry", row: row.id, page });
  ctl.holds = (row) => row.page === page && files.has(row.key);
  ctl.transferOf = (row) => {
    for (const t of live.values()) if (t.key === row.key && row.page === page) return t;
    return null;
  };
  ctl.buffers = () => buffersOk;

  function fail(tid, reason, message, sent = 0) {
    post({ type: "failed", tid, sent, reason, message });
  }

  // -- direct: the page POSTs the file itself ---------------------------------------------
  function startDirect(msg) {
    const file = files.get(msg.key);
    if (!file) return fail(msg.tid, "missing", "this page no longer holds the file");
    const reach = reachable(msg.url);
    if (!reach.ok) return fail(msg.tid, "unreachable", reach.why);
    const xhr = new XMLHttpRequest();
    const t = { tid: msg.tid, key: msg.key, kind: "direct", sent: 0, total: file.size };
    t.stop = () => { t.stopped = true; xhr.abort(); };
    live.set(msg.tid, t);
    let loaded = 0;
    let reported = 0;
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable || e.total <= 0) return;
      loaded = Math.max(loaded, e.loaded);
      t.sent = Math.min(file.size, Math.round((e.loaded / e.total) * file.size));
      if (now() - reported >= PROGRESS_MS) {
        reported = now();
        post({ type: "progress", tid: t.tid, sent: t.sent });
        changed();
      }
    });
    xhr.addEventListener("load", () => {
      live.delete(t.tid);
      answers.set(t.key, now());
      const body = String(xhr.responseText || "").slice(0, 65536);
      post({ type: "result", tid: t.tid, status: xhr.status, body });
      changed();
    });
    xhr.addEventListener("error", () => {
      live.delete(t.tid);
      const message = "the upload server could not be reached from this page (network or CORS)";
      fail(t.tid, "network", message, loaded);
      changed();
    });
    xhr.addEventListener("abort", () => {
      live.delete(t.tid);
      if (t.stopped) post({ type: "stopped", tid: t.tid });
      changed();
    });
    const form = new FormData();
    form.append("file", file, msg.name);
    try {
      xhr.open("POST", msg.url);
      xhr.send(form);
    } catch (e) {
      live.delete(t.tid);
      fail(t.tid, "network", `the browser refused the request: ${e}`);
    }
    changed();
  }

  // -- relay: chunks over the widget's channel, acknowledged by the kernel -------------------
  function startRelay(msg) {
    const file = files.get(msg.key);
    if (!file) return fail(msg.tid, "missing", "this page no longer holds the file");
    const chunk = Math.max(1, Number(msg.chunk) || 1048576);
    const window = Math.max(1, Number(msg.window) || 1);
    const t = { tid: msg.tid, key: msg.key, kind: "relay", sent: 0, queued: 0, total: file.size };
    t.heard = now(); // the kernel's last acknowledgement (or the start)
    let wake = null;
    const rouse = () => { if (wake) { const w = wake; wake = null; w(); } };
    t.ack = (offset) => {
      t.heard = now();
      if (typeof offset === "number" && offset > t.sent) t.sent = Math.min(offset, file.size);
      if (t.sent >= file.size) live.delete(t.tid);
      rouse();
    };
    t.stop = () => { t.stopped = true; live.delete(t.tid); rouse(); };
    live.set(msg.tid, t);
    const slice = (a) => file.slice(a, Math.min(a + chunk, file.size)).arrayBuffer();
    (async () => {
      let offset = 0;
      let next = slice(0);
      while (offset < file.size && !t.stopped && !ctl.lost) {
        while (!t.stopped && !ctl.lost && offset - t.sent >= chunk * window) {
          await new Promise((resolve) => { wake = resolve; });
        }
        if (t.stopped || ctl.lost) break;
        let buffer;
        try {
          buffer = await next;
        } catch (e) {
          live.delete(t.tid);
          fail(t.tid, "read", `the browser could not read the file: ${e}`, offset);
          break;
        }
        const end = offset + buffer.byteLength;
        next = end < file.size ? slice(end) : null;
        if (!post({ type: "chunk", tid: t.tid, offset }, [buffer])) {
          live.delete(t.tid);
          fail(t.tid, "buffers", "this front end cannot send binary data to the kernel", offset);
          break;
        }
        offset = end;
        t.queued = end;
      }
      if (t.stopped) post({ type: "stopped", tid: t.tid });
      changed();
    })();
    changed();
  }

  // -- the kernel's messages ------------------------------------------------------------
  function onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "tick") {
      ctl.busy = Boolean(msg.busy);
      ctl.lastTick = now();
    } else if (msg.type === "welcome" && msg.page === page) {
      buffersOk = Boolean(msg.buffers);
    } else if (msg.type === "direct" && msg.page === page) {
      ctl.lastTick = now();
      startDirect(msg);
    } else if (msg.type === "relay" && msg.page === page) {
      ctl.lastTick = now();
      startRelay(msg);
    } else if (msg.type === "ack") {
      const t = live.get(msg.tid);
      if (t && t.ack) t.ack(msg.offset);
      return; // the kernel's rows redraw the progress; an ack alone changes nothing shown
    } else if (msg.type === "stop") {
      const t = live.get(msg.tid);
      if (t) t.stop();
      else if (msg.page === page) post({ type: "stopped", tid: msg.tid });
    }
    changed();
  }

  // The kernel went away (restart, shutdown, widget closed): stop sending. A relayed body is
  // cut off with the kernel's connection; a direct POST is aborted here. Nothing is stored.
  function lose(why) {
    if (ctl.lost) return;
    for (const t of live.values()) {
      if (t.stop) t.stop();
    }
    ctl.lost = why;
    changed();
  }

  const onRows = () => {
    for (const row of model.get("rows") || []) {
      if (row.page === page) pending.delete(row.key);
      if (row.phase !== "uploading") answers.delete(row.key);
    }
    changed();
  };
  const onLive = () => lose("the kernel no longer serves this upload area (restarted, shut down or closed)");
  const onGone = () => { post({ type: "bye", page }); lose("this page is closing"); };
  const events = [
    ["msg:custom", onMessage],
    ["change:rows", onRows],
    ["comm_live_update", onLive],
    ["comm:close", onLive],
  ];
  for (const [name, fn] of events) model.on(name, fn);
  window.addEventListener("pagehide", onGone);
  const heartbeat = setInterval(() => {
    if (live.size || pending.size) post({ type: "alive", page });
    if (live.size && ctl.lastTick && now() - ctl.lastTick > KERNEL_SILENCE_MS) {
      lose("no word from the kernel for 20 s (restarted or stopped?)");
    }
    changed(); // time-based notes ("waiting for the kernel")
  }, ALIVE_MS / 3);
  ctl.lastTick = now();
  if (!post({ type: "hello", page }, [new Uint8Array(PROBE).buffer])) buffersOk = false;

  ctl.dispose = () => {
    clearInterval(heartbeat);
    window.removeEventListener("pagehide", onGone);
    for (const t of live.values()) if (t.stop) t.stop();
    for (const [name, fn] of events) model.off(name, fn);
  };
  return ctl;
}

function initialize({ model }) {
  const uid = model.get("_uid");
  const ctl = createController(model);
  CONTROLLERS.set(uid, ctl);
  return () => {
    ctl.dispose();
    if (CONTROLLERS.get(uid) === ctl) CONTROLLERS.delete(uid);
  };
}

// ------------------------------------------------------------------------------ view
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Write to the DOM only what changed: the rows are redrawn often (progress, ticks), and an
// unchanged write still costs the page layout work while the browser is busy uploading.
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setData(node, key, value) {
  if (node.dataset[key] !== value) node.dataset[key] = value;
}

function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}

function bytesOf(buffer) {
  if (!buffer) return null;
  if (buffer instanceof DataView || ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  return new Uint8Array(buffer);
}

const VIA = {
  direct: "sent directly from this page",
  relay: "relayed through the kernel",
};

// What the page adds to the kernel's row: why it may look stuck.
function localNote(ctl, row) {
  if (ctl.lost && !["ready", "failed", "cancelled"].includes(row.phase)) {
    return { text: `stopped: ${ctl.lost}; nothing was stored by this page`, kind: "error" };
  }
  // The kernel is not taking in what this page sends: chunks wait unacknowledged, or the
  // upload server's answer waits to be read. Whether a running cell is the reason, the
  // kernel's tick says; where widget messages keep flowing while a cell runs, nothing waits
  // and nothing is said.
  const t = ctl.transferOf(row);
  const answered = ctl.answers.get(row.key);
  const stalled = (t && t.kind === "relay" && t.queued > t.sent && now() - t.heard > WAIT_NOTE_MS)
    || (answered !== undefined && now() - answered > WAIT_NOTE_MS && row.phase === "uploading");
  if (stalled && (ctl.busy || answered !== undefined)) {
    const why = ctl.busy ? " (a cell is running)" : "";
    return {
      text: `waiting for the kernel${why}: the upload carries on when it is free`,
      kind: "waiting",
    };
  }
  return null;
}

function drawRow(node, row, ctl, thumbs) {
  const t = ctl.transferOf(row);
  let progress = Number(row.progress) || 0;
  let detail = row.detail || "";
  if (row.phase === "uploading" && t && t.total > 0 && t.sent / t.total > progress) {
    progress = t.sent / t.total; // this page knows more than the kernel has heard yet
    detail = `${Math.floor(progress * 100)}% · ${formatBytes(t.sent)} of ${formatBytes(t.total)}`;
  }
  const q = (selector) => node.querySelector(selector);
  setData(node, "phase", row.phase);
  setData(node, "transport", row.transport || "");
  setText(q(".sv-dz-name"), row.name);
  setText(q(".sv-dz-size"), row.size ? ` · ${formatBytes(row.size)}` : "");
  const via = row.transport ? VIA[row.transport] || row.transport : "";
  setText(q(".sv-dz-via"), via ? ` · ${via}` : "");
  const bar = q(".sv-dz-bar");
  const pct = String(Math.max(0, Math.min(100, Math.round(progress * 100))));
  if (bar.getAttribute("aria-valuenow") !== pct) {
    bar.setAttribute("aria-valuenow", pct);
    q(".sv-dz-fill").style.width = `${pct}%`;
  }
  setText(q(".sv-dz-detail"), detail);
  setText(q(".sv-dz-transport-note"), row.note || "");
  const note = localNote(ctl, row);
  const noteNode = q(".sv-dz-note");
  setText(noteNode, note ? note.text : "");
  setData(noteNode, "kind", note ? note.kind : "");
  setText(q(".sv-dz-error"), row.error || "");
  setText(q(".sv-dz-message"), row.message || "");
  setHidden(q(".sv-dz-cancel"), !row.can_cancel || Boolean(ctl.lost));
  setHidden(q(".sv-dz-retry"), !row.can_retry || !ctl.holds(row) || Boolean(ctl.lost));
  setHidden(q(".sv-dz-result"), !(row.phase === "ready" && row.file_code));
  setText(q(".sv-dz-code"), row.file_code || "");
  setText(q(".sv-dz-duration"), row.duration || "-");
  const img = q(".sv-dz-thumb");
  const url = thumbs(row.id);
  if (url && img.getAttribute("src") !== url) img.src = url;
  setHidden(img, !url);
}

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
  const cancel = el("button", "sv-dz-cancel", "Cancel");
  cancel.type = "button";
  cancel.addEventListener("click", () => ctl.cancel(getRow()));
  const retry = el("button", "sv-dz-retry", "Retry");
  retry.type = "button";
  retry.addEventListener("click", () => ctl.retry(getRow()));
  line.append(bar, cancel, retry);
  const detail = el("div", "sv-dz-detail");
  const notes = el("div", "sv-dz-notes");
  notes.setAttribute("role", "status");
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

function render({ model, el: host }) {
  const ctl = CONTROLLERS.get(model.get("_uid"));
  const root = el("div", "sv-dropzone");
  host.appendChild(root);
  if (!ctl) {
    root.textContent = "The upload area did not start in this page; re-run the cell.";
    return () => {};
  }
  const inputId = `sv-dz-${randomId(6)}`;
  const target = el("div", "sv-dz-target");
  const input = el("input", "sv-dz-input");
  input.type = "file";
  input.id = inputId;
  const choose = el("label", "sv-dz-choose", "Choose files");
  choose.htmlFor = inputId;
  const hint = el("span", "sv-dz-hint", "or drop videos here");
  const how = el("div", "sv-dz-how");
  target.append(input, choose, hint, how);
  const banner = el("div", "sv-dz-banner");
  banner.setAttribute("role", "alert");
  const list = el("ol", "sv-dz-rows");
  root.append(target, banner, list);

  const nodes = new Map(); // row id -> element
  const pendingNodes = new Map(); // key -> element
  const urls = new Map(); // row id -> object URL of its thumbnail
  const thumbs = (id) => {
    if (!urls.has(id)) {
      const bytes = bytesOf((model.get("thumbnails") || {})[id]);
      if (!bytes) return null;
      urls.set(id, URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" })));
    }
    return urls.get(id);
  };

  input.addEventListener("change", () => {
    ctl.add(input.files);
    input.value = ""; // choosing the same file again adds it again
  });
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
  const over = (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = "copy";
    target.classList.add("sv-dz-over");
  };
  target.addEventListener("dragenter", over);
  target.addEventListener("dragover", over);
  target.addEventListener("dragleave", () => target.classList.remove("sv-dz-over"));
  target.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.stopPropagation();
    target.classList.remove("sv-dz-over");
    ctl.add(e.dataTransfer.files);
  });

  function drawTarget() {
    input.multiple = Boolean(model.get("multiple"));
    input.accept = model.get("accept") || "";
    input.disabled = Boolean(ctl.lost);
    const mode = model.get("transport");
    setText(how, mode === "direct"
      ? "Files go from this page straight to the upload server."
      : mode === "relay"
        ? "Files are relayed to the upload server through the kernel, in chunks."
        : "Files go straight to the upload server when this page can reach it, else through the kernel.");
    const problems = [];
    if (ctl.lost) problems.push(`Uploads stopped: ${ctl.lost}.`);
    if (ctl.buffers() === false) {
      problems.push("This front end does not send binary data from the page to the kernel: "
        + "uploads relayed through the kernel cannot work here (direct uploads still can).");
    }
    if (model.get("notice")) problems.push(model.get("notice"));
    setText(banner, problems.join(" "));
    setHidden(banner, problems.length === 0);
  }

  function drawRows() {
    const rows = model.get("rows") || [];
    const seen = new Set();
    const order = [];
    for (const row of rows) {
      seen.add(row.id);
      let node = nodes.get(row.id);
      if (!node) {
        node = rowNode(ctl, () => (model.get("rows") || []).find((r) => r.id === row.id) || row);
        node.dataset.id = row.id;
        nodes.set(row.id, node);
      }
      drawRow(node, row, ctl, thumbs);
      order.push(node);
    }
    for (const [id, node] of nodes) if (!seen.has(id)) { node.remove(); nodes.delete(id); }
    for (const [key, entry] of ctl.pending) {
      let node = pendingNodes.get(key);
      if (!node) {
        node = el("li", "sv-dz-row sv-dz-pending");
        node.dataset.phase = "pending";
        node.append(el("div", "sv-dz-head"), el("div", "sv-dz-note"));
        pendingNodes.set(key, node);
      }
      setText(node.firstChild, `${entry.name} · ${formatBytes(entry.size)}`);
      const late = now() - entry.since > WAIT_NOTE_MS;
      const why = ctl.busy ? " (a cell is running)" : "";
      setText(node.lastChild, late
        ? `waiting for the kernel${why}: the file is added when it is free`
        : "adding…");
      setData(node.lastChild, "kind", late ? "waiting" : "");
      order.push(node);
    }
    for (const [key, node] of pendingNodes) {
      if (!ctl.pending.has(key)) { node.remove(); pendingNodes.delete(key); }
    }
    order.forEach((node, i) => {
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
    });
  }

  const draw = () => { drawTarget(); drawRows(); };
  const onThumbs = () => { for (const url of urls.values()) URL.revokeObjectURL(url); urls.clear(); draw(); };
  ctl.views.add(draw);
  const events = [
    ["change:rows", draw],
    ["change:thumbnails", onThumbs],
    ...["notice", "transport", "multiple", "accept"].map((name) => [`change:${name}`, drawTarget]),
  ];
  for (const [name, fn] of events) model.on(name, fn);
  root.svModel = model; // for tests and debugging: the page's end of the channel,
  root.svPage = ctl.page; // and this page's id in it
  draw();

  return () => {
    ctl.views.delete(draw);
    for (const [name, fn] of events) model.off(name, fn);
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  };
}

export default { initialize, render };
