// Built by js/build.js (esbuild) from js/src/: edit those, then `npm run build` in js/.

// src/dropzone/protocol.js
var KERNEL = Object.freeze({
  WELCOME: "welcome",
  DIRECT: "direct",
  RELAY: "relay",
  ACK: "ack",
  STOP: "stop",
  TICK: "tick"
});
var PAGE = Object.freeze({
  HELLO: "hello",
  ADD: "add",
  CANCEL: "cancel",
  RETRY: "retry",
  CHUNK: "chunk",
  PROGRESS: "progress",
  RESULT: "result",
  FAILED: "failed",
  STOPPED: "stopped",
  ALIVE: "alive",
  BYE: "bye"
});
var FIELDS = Object.freeze({
  kernel: Object.freeze({
    [KERNEL.WELCOME]: ["page", "secret", "buffers"],
    [KERNEL.DIRECT]: ["tid", "page", "key", "url", "name", "size", "fallback"],
    [KERNEL.RELAY]: ["tid", "page", "key", "name", "size", "chunk", "window"],
    [KERNEL.ACK]: ["tid", "offset"],
    [KERNEL.STOP]: ["tid", "page", "reason"],
    [KERNEL.TICK]: ["busy"]
  }),
  page: Object.freeze({
    [PAGE.HELLO]: ["page"],
    [PAGE.ADD]: ["page", "secret", "files"],
    [PAGE.CANCEL]: ["row", "page", "secret"],
    [PAGE.RETRY]: ["row", "page", "secret"],
    [PAGE.CHUNK]: ["tid", "secret", "offset"],
    [PAGE.PROGRESS]: ["tid", "secret", "sent"],
    [PAGE.RESULT]: ["tid", "secret", "status", "body"],
    [PAGE.FAILED]: ["tid", "secret", "sent", "reason", "message"],
    [PAGE.STOPPED]: ["tid", "secret"],
    [PAGE.ALIVE]: ["page", "secret"],
    [PAGE.BYE]: ["page", "secret"]
  })
});
var FILE_FIELDS = Object.freeze(["key", "name", "size", "mime"]);
var FAILURE = Object.freeze({
  MISSING: "missing",
  // this page no longer holds the file
  UNREACHABLE: "unreachable",
  // the page cannot POST to the upload server (loopback, mixed)
  NETWORK: "network",
  // the POST failed on the network or CORS
  READ: "read",
  // the browser could not read the file
  BUFFERS: "buffers"
  // this front end cannot send binary buffers
});
var PROBE = Object.freeze([115, 118, 122, 33]);
var LIMITS = Object.freeze({
  BODY_CHARS: 65536,
  // of the upload server's answer, passed on in `result`
  CHUNK_BYTES: 1048576,
  // a relay's chunk when the kernel names none
  WINDOW: 1,
  // chunks unacknowledged at once when the kernel names none
  KEY_BYTES: 6
  // random bytes of a file's key (a page id has 9)
});
var TIMING = Object.freeze({
  WAIT_NOTE_MS: 1500,
  // unanswered this long: say that we wait for the kernel
  ALIVE_MS: 3e3,
  // while uploads run: a heartbeat after this long without a message
  KERNEL_SILENCE_MS: 2e4,
  // no tick this long while uploading: the kernel is gone
  PROGRESS_MS: 2e3,
  // direct progress reports: this long apart, none the answer overtakes
  DRAW_MS: 500
  // this page's own redraws of a direct upload's progress, at most this often
});
var toKernel = Object.freeze({
  /** @param {string} page */
  hello: (page) => ({ type: PAGE.HELLO, page }),
  /** @param {string} page @param {FileEntry[]} files */
  add: (page, files) => ({ type: PAGE.ADD, page, files }),
  /** @param {string} row @param {string} page */
  cancel: (row, page) => ({ type: PAGE.CANCEL, row, page }),
  /** @param {string} row @param {string} page */
  retry: (row, page) => ({ type: PAGE.RETRY, row, page }),
  /** @param {string} tid @param {number} offset */
  chunk: (tid, offset) => ({ type: PAGE.CHUNK, tid, offset }),
  /** @param {string} tid @param {number} sent */
  progress: (tid, sent) => ({ type: PAGE.PROGRESS, tid, sent }),
  /** @param {string} tid @param {number} status @param {string} body */
  result: (tid, status, body) => ({ type: PAGE.RESULT, tid, status, body }),
  /** @param {string} tid @param {number} sent @param {string} reason @param {string} text */
  failed: (tid, sent, reason, text) => ({ type: PAGE.FAILED, tid, sent, reason, message: text }),
  /** @param {string} tid */
  stopped: (tid) => ({ type: PAGE.STOPPED, tid }),
  /** @param {string} page */
  alive: (page) => ({ type: PAGE.ALIVE, page }),
  /** @param {string} page */
  bye: (page) => ({ type: PAGE.BYE, page })
});

// src/common/loopback.js
var IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
var HEXTET = /^[0-9a-f]{1,4}$/;
function ipv4Octets(text) {
  const m = IPV4.exec(text);
  if (!m) return null;
  const parts = m.slice(1);
  const valid = parts.every((p) => Number(p) <= 255 && (p === "0" || !p.startsWith("0")));
  return valid ? parts.map(Number) : null;
}
function hextets(side, last) {
  if (side === "") return [];
  const parts = side.split(":");
  const groups = [];
  for (const [i, part2] of parts.entries()) {
    const v4 = last && i === parts.length - 1 ? ipv4Octets(part2) : null;
    if (v4) groups.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
    else if (HEXTET.test(part2)) groups.push(parseInt(part2, 16));
    else return null;
  }
  return groups;
}
function ipv6Groups(text) {
  const sides = text.split("::");
  if (sides.length > 2) return null;
  const head = hextets(sides[0], sides.length === 1);
  const tail = sides.length === 2 ? hextets(sides[1], true) : [];
  if (!head || !tail) return null;
  const given = head.length + tail.length;
  if (sides.length === 1) return given === 8 ? head : null;
  if (given > 7) return null;
  return [...head, ...new Array(8 - given).fill(0), ...tail];
}
function isLoopbackHost(host) {
  let name = String(host).toLowerCase();
  if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1);
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const v4 = ipv4Octets(name);
  if (v4) return v4[0] === 127;
  const v6 = ipv6Groups(name);
  return v6 !== null && v6.every((group, i) => group === (i === 7 ? 1 : 0));
}

// src/dropzone/direct.js
function reachable(url, location) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, why: "the upload server's URL is not valid" };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return { ok: false, why: "the upload server's URL is not http(s)" };
  }
  if (isLoopbackHost(u.hostname) && !isLoopbackHost(location.hostname)) {
    return { ok: false, why: "the upload server is on the kernel's own machine (loopback)" };
  }
  if (location.protocol === "https:" && u.protocol === "http:") {
    return { ok: false, why: "this page is HTTPS and the upload server plain HTTP" };
  }
  return { ok: true, why: "" };
}
function reportDue(loaded, total, elapsed, quiet) {
  if (quiet < TIMING.PROGRESS_MS) return false;
  if (loaded <= 0 || elapsed <= 0) return true;
  const left = (total - loaded) * elapsed / loaded;
  return left >= TIMING.PROGRESS_MS;
}
function follow(ctl, xhr, t) {
  const { env, live } = ctl;
  const start = env.now();
  let loaded = 0;
  let reported = start;
  let drawn = -Infinity;
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable || e.total <= 0) return;
    loaded = Math.max(loaded, e.loaded);
    t.sent = Math.min(t.total, Math.round(e.loaded / e.total * t.total));
    const now = env.now();
    if (reportDue(e.loaded, e.total, now - start, now - reported)) {
      reported = now;
      ctl.post(toKernel.progress(t.tid, t.sent));
    }
    if (now - drawn >= TIMING.DRAW_MS) {
      drawn = now;
      ctl.changed();
    }
  });
  xhr.addEventListener("load", () => {
    live.delete(t.tid);
    ctl.answers.set(t.key, env.now());
    const body = String(xhr.responseText || "").slice(0, LIMITS.BODY_CHARS);
    ctl.post(toKernel.result(t.tid, xhr.status, body));
    ctl.changed();
  });
  xhr.addEventListener("error", () => {
    live.delete(t.tid);
    const message = "the upload server could not be reached from this page (network or CORS)";
    ctl.fail(t.tid, FAILURE.NETWORK, message, loaded);
    ctl.changed();
  });
  xhr.addEventListener("abort", () => {
    live.delete(t.tid);
    if (t.stopped) ctl.post(toKernel.stopped(t.tid));
    ctl.changed();
  });
}
function startDirect(ctl, msg) {
  const file = ctl.files.get(msg.key);
  if (!file) return ctl.fail(msg.tid, FAILURE.MISSING, "this page no longer holds the file");
  const reach = reachable(msg.url, ctl.env.location);
  if (!reach.ok) return ctl.fail(msg.tid, FAILURE.UNREACHABLE, reach.why);
  const xhr = ctl.env.request();
  const t = {
    kind: "direct",
    tid: msg.tid,
    key: msg.key,
    sent: 0,
    total: file.size,
    stopped: false,
    stop() {
      t.stopped = true;
      xhr.abort();
    }
  };
  ctl.live.set(msg.tid, t);
  follow(ctl, xhr, t);
  const form = ctl.env.form();
  form.append("file", file, msg.name);
  try {
    xhr.open("POST", msg.url);
    xhr.send(form);
  } catch (e) {
    ctl.live.delete(t.tid);
    ctl.fail(t.tid, FAILURE.NETWORK, `the browser refused the request: ${e}`);
  }
  ctl.changed();
}

// src/dropzone/relay.js
async function pump(ctl, t, file, chunk, windowSize, waitForAck) {
  const slice = (a) => file.slice(a, Math.min(a + chunk, file.size)).arrayBuffer();
  const going = () => !t.stopped && !ctl.lost;
  let offset = 0;
  let next = slice(0);
  while (offset < file.size && going()) {
    while (going() && offset - t.sent >= chunk * windowSize) await waitForAck();
    if (!going()) break;
    let buffer;
    try {
      buffer = await next;
    } catch (e) {
      ctl.live.delete(t.tid);
      ctl.fail(t.tid, FAILURE.READ, `the browser could not read the file: ${e}`, offset);
      break;
    }
    const end = offset + buffer.byteLength;
    next = end < file.size ? slice(end) : Promise.resolve(new ArrayBuffer(0));
    if (!ctl.post(toKernel.chunk(t.tid, offset), [buffer])) {
      ctl.live.delete(t.tid);
      const message = "this front end cannot send binary data to the kernel";
      ctl.fail(t.tid, FAILURE.BUFFERS, message, offset);
      break;
    }
    offset = end;
    t.queued = end;
  }
  if (t.stopped) ctl.post(toKernel.stopped(t.tid));
  ctl.changed();
}
function startRelay(ctl, msg) {
  const { env, live } = ctl;
  const file = ctl.files.get(msg.key);
  if (!file) return ctl.fail(msg.tid, FAILURE.MISSING, "this page no longer holds the file");
  const chunk = Math.max(1, Number(msg.chunk) || LIMITS.CHUNK_BYTES);
  const windowSize = Math.max(1, Number(msg.window) || LIMITS.WINDOW);
  let wake = null;
  const rouse = () => {
    const w = wake;
    wake = null;
    if (w) w();
  };
  const t = {
    kind: "relay",
    tid: msg.tid,
    key: msg.key,
    sent: 0,
    queued: 0,
    heard: env.now(),
    total: file.size,
    stopped: false,
    ack(offset) {
      t.heard = env.now();
      if (typeof offset === "number" && offset > t.sent) t.sent = Math.min(offset, file.size);
      if (t.sent >= file.size) live.delete(t.tid);
      rouse();
    },
    stop() {
      t.stopped = true;
      live.delete(t.tid);
      rouse();
    }
  };
  live.set(msg.tid, t);
  const waitForAck = () => new Promise((resolve) => {
    wake = () => resolve();
  });
  pump(ctl, t, file, chunk, windowSize, waitForAck);
  ctl.changed();
}

// src/common/model.js
function listen(model, events) {
  for (const [name, fn] of events) model.on(name, fn);
  return () => {
    for (const [name, fn] of events) model.off(name, fn);
  };
}

// src/dropzone/controller.js
var ON_KERNEL = /* @__PURE__ */ new Map([
  [
    KERNEL.TICK,
    (ctl, msg) => {
      ctl.busy = Boolean(msg.busy);
      ctl.lastTick = ctl.env.now();
    }
  ],
  [
    KERNEL.WELCOME,
    (ctl, msg, mine) => {
      if (!mine) return;
      ctl.buffersReach = Boolean(msg.buffers);
      if (ctl.secret || typeof msg.secret !== "string" || !msg.secret) return;
      ctl.secret = msg.secret;
      for (const [content, buffers] of ctl.waiting.splice(0)) ctl.post(content, buffers);
    }
  ],
  [
    KERNEL.DIRECT,
    (ctl, msg, mine) => {
      if (!mine) return;
      ctl.lastTick = ctl.env.now();
      startDirect(ctl, msg);
    }
  ],
  [
    KERNEL.RELAY,
    (ctl, msg, mine) => {
      if (!mine) return;
      ctl.lastTick = ctl.env.now();
      startRelay(ctl, msg);
    }
  ],
  [
    KERNEL.ACK,
    (ctl, msg) => {
      const t = ctl.live.get(msg.tid);
      if (t && t.kind === "relay") t.ack(msg.offset);
    }
  ],
  [
    KERNEL.STOP,
    (ctl, msg, mine) => {
      const t = ctl.live.get(msg.tid);
      if (t) t.stop();
      else if (mine) ctl.post(toKernel.stopped(msg.tid));
    }
  ]
]);
function onKernel(ctl, msg) {
  if (!msg || typeof msg !== "object") return;
  const busy = ctl.busy;
  const handle = ON_KERNEL.get(msg.type);
  if (handle) handle(ctl, msg, msg.page === ctl.page);
  if (msg.type === KERNEL.ACK || msg.type === KERNEL.TICK && ctl.busy === busy) return;
  ctl.changed();
}
function lose(ctl, why) {
  if (ctl.lost) return;
  for (const t of ctl.live.values()) t.stop();
  ctl.lost = why;
  ctl.changed();
}
function addFiles(ctl, model, list) {
  let chosen = Array.from(list || []);
  if (!model.get("multiple")) chosen = chosen.slice(0, 1);
  if (!chosen.length || ctl.lost) return;
  const entries = chosen.map((file) => {
    const key = ctl.env.randomId(LIMITS.KEY_BYTES);
    ctl.files.set(key, file);
    ctl.pending.set(key, { name: file.name, size: file.size, since: ctl.env.now() });
    return { key, name: file.name, size: file.size, mime: file.type || "" };
  });
  ctl.post(toKernel.add(ctl.page, entries));
  ctl.changed();
}
function beat(ctl) {
  const quiet = ctl.env.now() - ctl.lastSent >= TIMING.ALIVE_MS;
  if ((ctl.live.size || ctl.pending.size) && quiet) ctl.post(toKernel.alive(ctl.page));
  const silence = ctl.env.now() - ctl.lastTick;
  if (ctl.live.size && ctl.lastTick && silence > TIMING.KERNEL_SILENCE_MS) {
    const seconds = TIMING.KERNEL_SILENCE_MS / 1e3;
    lose(ctl, `no word from the kernel for ${seconds} s (restarted or stopped?)`);
  }
  const relaying = [...ctl.live.values()].some((t) => t.kind === "relay");
  if (relaying || ctl.pending.size || ctl.answers.size) ctl.changed();
}
function onRows(ctl, rows) {
  for (const row of rows) {
    if (row.page === ctl.page) ctl.pending.delete(row.key);
    if (row.phase !== "uploading") ctl.answers.delete(row.key);
  }
  ctl.changed();
}
function newController(model, env) {
  const ctl = {
    page: env.randomId(),
    secret: "",
    waiting: [],
    env,
    files: /* @__PURE__ */ new Map(),
    pending: /* @__PURE__ */ new Map(),
    live: /* @__PURE__ */ new Map(),
    answers: /* @__PURE__ */ new Map(),
    views: /* @__PURE__ */ new Set(),
    busy: false,
    lastTick: 0,
    lastSent: 0,
    lost: "",
    buffersReach: null,
    add: (list) => addFiles(ctl, model, list),
    cancel: (row) => void ctl.post(toKernel.cancel(row.id, ctl.page)),
    retry: (row) => void ctl.post(toKernel.retry(row.id, ctl.page)),
    holds: (row) => row.page === ctl.page && ctl.files.has(row.key),
    transferOf(row) {
      for (const t of ctl.live.values()) if (t.key === row.key && row.page === ctl.page) return t;
      return null;
    },
    buffers: () => ctl.buffersReach,
    post(content, buffers) {
      if (ctl.lost) return false;
      const greeting = content.type === PAGE.HELLO;
      if (!greeting && !ctl.secret) {
        if (content.type === PAGE.ALIVE || content.type === PAGE.BYE) return false;
        ctl.waiting.push([content, buffers]);
        return true;
      }
      try {
        model.send(greeting ? content : { ...content, secret: ctl.secret }, void 0, buffers);
        ctl.lastSent = ctl.env.now();
        return true;
      } catch {
        return false;
      }
    },
    fail(tid, reason, message, sent = 0) {
      ctl.post(toKernel.failed(tid, sent, reason, message));
    },
    changed() {
      for (const draw of ctl.views) draw();
    },
    dispose: () => {
    }
  };
  return ctl;
}
function createController(model, env) {
  const ctl = newController(model, env);
  const gone = () => lose(ctl, "the kernel no longer serves this upload area (restarted, shut down or closed)");
  const unlisten = listen(model, [
    ["msg:custom", (msg) => onKernel(ctl, msg)],
    ["change:rows", () => onRows(ctl, model.get("rows") || [])],
    ["comm_live_update", gone],
    ["comm:close", gone]
  ]);
  const stopHide = env.onPageHide(() => {
    ctl.post(toKernel.bye(ctl.page));
    lose(ctl, "this page is closing");
  });
  const stopBeat = env.every(() => beat(ctl), TIMING.ALIVE_MS / 3);
  ctl.dispose = () => {
    stopBeat();
    stopHide();
    for (const t of ctl.live.values()) t.stop();
    unlisten();
  };
  ctl.lastTick = env.now();
  if (!ctl.post(toKernel.hello(ctl.page), [new Uint8Array(PROBE).buffer])) {
    ctl.buffersReach = false;
  }
  return ctl;
}

// src/common/ids.js
function randomId(bytes = 9) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

// src/dropzone/env.js
function browserEnv() {
  return {
    now: () => performance.now(),
    every(fn, ms) {
      const id = setInterval(fn, ms);
      return () => clearInterval(id);
    },
    onPageHide(fn) {
      window.addEventListener("pagehide", fn);
      return () => window.removeEventListener("pagehide", fn);
    },
    // The casts only narrow what the page passes: in a browser every PageFile is a real File,
    // and the body a request sends is the FormData the same env made.
    request: () => (
      /** @type {Request} */
      /** @type {unknown} */
      new XMLHttpRequest()
    ),
    form: () => (
      /** @type {FormLike} */
      /** @type {unknown} */
      new FormData()
    ),
    location: window.location,
    randomId
  };
}

// src/common/dom.js
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== void 0) node.textContent = text;
  return node;
}
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function setData(node, key, value) {
  if (node.dataset[key] !== value) node.dataset[key] = value;
}
function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}
function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}
function bytesOf(buffer) {
  if (!buffer) return null;
  if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  return new Uint8Array(buffer);
}
function jpegUrl(bytes) {
  const part2 = (
    /** @type {Uint8Array<ArrayBuffer>} */
    bytes
  );
  return URL.createObjectURL(new Blob([part2], { type: "image/jpeg" }));
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

// src/common/bytes.js
var UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];
function fixed(value, digits) {
  if (value >= 1e21) return BigInt(value).toString();
  const text = value.toFixed(digits);
  const halves = value * 2 ** (digits + 1);
  if (!Number.isInteger(halves) || halves % 2 === 0) return text;
  const units = Number(text.replace(".", ""));
  if (units % 2 === 0) return text;
  const even = String(units - 1).padStart(digits + 1, "0");
  return digits ? `${even.slice(0, -digits)}.${even.slice(-digits)}` : even;
}
function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return "?";
  let value = n;
  for (const unit of UNITS) {
    if (value < 1e3 || unit === UNITS[UNITS.length - 1]) {
      if (unit === "B") return `${Math.floor(value)} B`;
      return `${fixed(value, value < 100 ? 1 : 0)} ${unit}`;
    }
    value /= 1e3;
  }
  return "?";
}

// src/dropzone/present.js
var VIA = (
  /** @type {Record<string, string>} */
  {
    direct: "sent directly from this page",
    relay: "relayed through the kernel"
  }
);
var ENDED = ["ready", "failed", "cancelled"];
function howText(mode) {
  if (mode === "direct") return "Files go from this page straight to the upload server.";
  if (mode === "relay") {
    return "Files are relayed to the upload server through the kernel, in chunks.";
  }
  return "Files go straight to the upload server when this page can reach it, else through the kernel.";
}
function bannerText({ lost, buffers, notice }) {
  const problems = [];
  if (lost) problems.push(`Uploads stopped: ${lost}.`);
  if (buffers === false) {
    problems.push(
      "This front end does not send binary data from the page to the kernel: uploads relayed through the kernel cannot work here (direct uploads still can)."
    );
  }
  if (notice) problems.push(notice);
  return problems.join(" ");
}
var whyWaiting = (busy) => busy ? " (a cell is running)" : "";
function figures(row, t) {
  let progress = Number(row.progress) || 0;
  let detail = row.detail || "";
  if (row.phase === "uploading" && t && t.total > 0 && t.sent / t.total > progress) {
    progress = t.sent / t.total;
    detail = `${Math.floor(progress * 100)}% · ${formatBytes(t.sent)} of ${formatBytes(t.total)}`;
  }
  const percent = String(Math.max(0, Math.min(100, Math.round(progress * 100))));
  return { progress, percent, detail };
}
function headText(row) {
  const via = row.transport ? VIA[row.transport] || row.transport : "";
  return {
    size: row.size ? ` · ${formatBytes(row.size)}` : "",
    via: via ? ` · ${via}` : ""
  };
}
function localNote(ctl, row, now) {
  if (ctl.lost && !ENDED.includes(row.phase)) {
    return { text: `stopped: ${ctl.lost}; nothing was stored by this page`, kind: "error" };
  }
  const t = ctl.transferOf(row);
  const answered = ctl.answers.get(row.key);
  const unacked = t !== null && t.kind === "relay" && t.queued > t.sent && now - t.heard > TIMING.WAIT_NOTE_MS;
  const unread = answered !== void 0 && now - answered > TIMING.WAIT_NOTE_MS && row.phase === "uploading";
  if ((unacked || unread) && (ctl.busy || answered !== void 0)) {
    return {
      text: `waiting for the kernel${whyWaiting(ctl.busy)}: the upload carries on when it is free`,
      kind: "waiting"
    };
  }
  return null;
}
function pendingText(entry, busy, now) {
  const late = now - entry.since > TIMING.WAIT_NOTE_MS;
  return {
    head: `${entry.name} · ${formatBytes(entry.size)}`,
    note: late ? `waiting for the kernel${whyWaiting(busy)}: the file is added when it is free` : "adding…",
    kind: late ? "waiting" : ""
  };
}
function shown(ctl, row) {
  return {
    cancel: Boolean(row.can_cancel) && !ctl.lost,
    retry: Boolean(row.can_retry) && ctl.holds(row) && !ctl.lost,
    result: row.phase === "ready" && Boolean(row.file_code)
  };
}
var SAID = { initiating: "starting", uploading: "uploading", converting: "converting" };
function announcement(row) {
  if (row.phase === "ready") {
    return `${row.name}: done${row.file_code ? `, file code ${row.file_code}` : ""}`;
  }
  if (row.phase === "failed") return `${row.name}: failed: ${row.error || row.message}`;
  if (row.phase === "cancelled") return `${row.name}: ${row.message || "cancelled"}`;
  return `${row.name}: ${SAID[row.phase] || row.phase}`;
}

// src/dropzone/view.js
function part(node, selector) {
  return (
    /** @type {HTMLElement} */
    node.querySelector(selector)
  );
}
function drawRow(node, row, ctl, thumbs) {
  const { percent, detail } = figures(row, ctl.transferOf(row));
  const q = (selector) => part(node, selector);
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
  drawThumb(
    /** @type {HTMLImageElement} */
    q(".sv-dz-thumb"),
    row,
    thumbs(row.id)
  );
}
function drawThumb(img, row, url) {
  if (url && img.getAttribute("src") !== url) img.src = url;
  setAttr(img, "alt", `Thumbnail of ${row.file_code || row.name}`);
  setHidden(img, !url);
}
function button(className, text, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
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
  const cancel = button("sv-dz-cancel", "Cancel", () => ctl.cancel(getRow()));
  const retry = button("sv-dz-retry", "Retry", () => ctl.retry(getRow()));
  line.append(bar, cancel, retry);
  const detail = el("div", "sv-dz-detail");
  const notes = el("div", "sv-dz-notes");
  notes.append(
    el("div", "sv-dz-transport-note"),
    el("div", "sv-dz-note"),
    el("div", "sv-dz-error"),
    el("div", "sv-dz-message")
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
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    input.click();
  });
  input.addEventListener("change", () => {
    ctl.add(input.files);
    input.value = "";
  });
  const hasFiles = (e) => e.dataTransfer !== null && Array.from(e.dataTransfer.types || []).includes("Files");
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
function renderZone(model, host, ctl) {
  const root = el("div", "sv-dropzone sv-themed");
  suppressShortcuts(root);
  host.appendChild(root);
  if (!ctl) {
    root.textContent = "The upload area did not start in this page; re-run the cell.";
    return () => {
    };
  }
  return drawZone(model, root, ctl);
}
function thumbnails(model) {
  const urls = /* @__PURE__ */ new Map();
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
    }
  };
}
function prune(nodes, keep) {
  for (const [key, node] of nodes) {
    if (!keep(key)) {
      node.remove();
      nodes.delete(key);
    }
  }
}
function drawTarget(model, ctl, { input, how, banner }) {
  input.multiple = Boolean(model.get("multiple"));
  input.accept = model.get("accept") || "";
  input.disabled = Boolean(ctl.lost);
  setText(how, howText(model.get("transport")));
  const problems = bannerText({
    lost: ctl.lost,
    buffers: ctl.buffers(),
    notice: model.get("notice")
  });
  setText(banner, problems);
  setHidden(banner, problems === "");
}
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
function rowsDrawer(model, ctl, list, thumbs, live) {
  const nodes = /* @__PURE__ */ new Map();
  const said = /* @__PURE__ */ new Map();
  const pendingNodes = /* @__PURE__ */ new Map();
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
      (name) => (
        /** @type {const} */
        [`change:${name}`, drawHead]
      )
    )
  ]);
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

// src/dropzone/index.js
var CONTROLLERS = /* @__PURE__ */ new Map();
function initialize({ model }) {
  const uid = model.get("_uid");
  const ctl = createController(model, browserEnv());
  CONTROLLERS.set(uid, ctl);
  return () => {
    ctl.dispose();
    if (CONTROLLERS.get(uid) === ctl) CONTROLLERS.delete(uid);
  };
}
function render({ model, el: el2 }) {
  return renderZone(model, el2, CONTROLLERS.get(model.get("_uid")));
}
var dropzone_default = { initialize, render };
export {
  dropzone_default as default
};
