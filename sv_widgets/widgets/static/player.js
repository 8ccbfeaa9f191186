// Built by js/build.js (esbuild) from js/src/: edit those, then `npm run build` in js/.

// src/common/dom.js
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== void 0) node.textContent = text;
  return node;
}
function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
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
  for (const [i, part] of parts.entries()) {
    const v4 = last && i === parts.length - 1 ? ipv4Octets(part) : null;
    if (v4) groups.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
    else if (HEXTET.test(part)) groups.push(parseInt(part, 16));
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
function isLoopbackUrl(url) {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

// src/common/model.js
function listen(model, events) {
  for (const [name, fn] of events) model.on(name, fn);
  return () => {
    for (const [name, fn] of events) model.off(name, fn);
  };
}

// src/player/urls.js
function currentPage() {
  const data = document.getElementById("jupyter-config-data");
  return {
    location: window.location,
    baseURI: document.baseURI,
    config: data ? data.textContent : null
  };
}
function jupyterBaseUrl(page) {
  if (page.config !== null) {
    try {
      const base = JSON.parse(page.config || "{}").baseUrl;
      if (base) return new URL(base, page.location.origin).href;
    } catch {
    }
  }
  const path = new URL(page.baseURI).pathname;
  const m = path.match(/^(.*?\/)(lab|notebooks|tree|doc|edit|voila|retro)(\/|$)/);
  return new URL(m ? m[1] : "/", page.location.origin).href;
}
function proxiedUrl(src, page = currentPage()) {
  const u = new URL(src);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const target = /^127\./.test(host) ? `${host}:${port}` : port;
  return `${jupyterBaseUrl(page)}proxy/${target}${u.pathname}${u.search}${u.hash}`;
}
function playableUrl(src, mode, page = currentPage()) {
  if (!src) return { url: "", proxied: false };
  let u;
  try {
    u = new URL(src);
  } catch {
    return { url: src, proxied: false };
  }
  if (mode === "never" || !isLoopbackHost(u.hostname)) return { url: src, proxied: false };
  const pageIsLocal = isLoopbackHost(page.location.hostname);
  const mixed = page.location.protocol === "https:" && u.protocol === "http:";
  if (mode === "always" || !pageIsLocal || mixed) {
    return { url: proxiedUrl(src, page), proxied: true };
  }
  return { url: src, proxied: false };
}
function where(url) {
  try {
    const u = new URL(url);
    const m = u.pathname.match(/\/proxy\/(\d+\.\d+\.\d+\.\d+:\d+|\d+)(\/.*)$/);
    if (m) return `${m[1].includes(":") ? m[1] : `localhost:${m[1]}`}${m[2]}`;
    return `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

// src/player/diagnosis.js
function statusReason(status, url, proxied) {
  if (status === 404 || status === 410) {
    return `HTTP ${status} for ${where(url)} (the file was deleted?)`;
  }
  if (proxied && status >= 500) {
    return `the Jupyter server's proxy answered HTTP ${status} for ${where(url)} (is the server behind it still running?)`;
  }
  return `HTTP ${status} for ${where(url)}`;
}
function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
async function probe(url, proxied, fetcher = fetch) {
  try {
    const reply = await fetcher(url, { headers: { Range: "bytes=0-0" }, cache: "no-store" });
    if (reply.ok) return { ok: true, status: reply.status };
    return { ok: false, status: reply.status, reason: statusReason(reply.status, url, proxied) };
  } catch {
    const reason = proxied ? `no answer from the Jupyter server's proxy for ${where(url)}` : `no answer from ${hostOf(url)} (the server stopped, or refused the connection)`;
    return { ok: false, status: 0, reason };
  }
}
function describeError(error) {
  if (!error) return "";
  const e = (
    /** @type {{ code?: unknown, category?: unknown, message?: unknown }} */
    error
  );
  if (typeof e.code === "number" && typeof e.category === "number") {
    return `shaka-player error ${e.code}`;
  }
  return String(e.message || error);
}
function failedUrl(detail, url) {
  const d = (
    /** @type {{ category?: unknown, data?: unknown[] } | null} */
    detail
  );
  const network = d && d.category === 1 && d.data && typeof d.data[0] === "string";
  return network && d.data ? String(d.data[0]) : url;
}
function mediaErrorText(err) {
  if (!err) return "";
  return `media error ${err.code}${err.message ? `: ${err.message}` : ""}`;
}

// src/player/library.js
var VENDOR = "__svWidgetsPlayerLibrary";
var VENDOR_REQUEST = "vendor-request";
var VENDOR_REPLY = "vendor";
async function importLibrary(bytes) {
  const code = new TextDecoder().decode(bytes);
  const source = `const exports = {};
${code}
export default exports;
`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    const shaka = (await import(url)).default;
    shaka.polyfill.installAll();
    return shaka;
  } finally {
    URL.revokeObjectURL(url);
  }
}
function shared() {
  const scope = (
    /** @type {Record<string, Shared>} */
    /** @type {unknown} */
    globalThis
  );
  return scope[VENDOR] || (scope[VENDOR] = {});
}
function library(model, load = importLibrary) {
  const vendor = shared();
  if (!vendor.promise) {
    const promise = new Promise((resolve, reject) => {
      const onMessage = (msg, buffers) => {
        if (!msg || msg.type !== VENDOR_REPLY || !buffers || !buffers.length) return;
        model.off("msg:custom", onMessage);
        load(buffers[0]).then(resolve, reject);
      };
      model.on("msg:custom", onMessage);
      model.send({ type: VENDOR_REQUEST });
    });
    vendor.promise = promise;
    promise.catch(() => {
      vendor.promise = null;
    });
  }
  return vendor.promise;
}

// src/player/formats.js
var NAMES = { auto: "Auto", hls: "HLS", dash: "DASH", mp4: "MP4", webm: "WebM" };
var PREFERENCE = ["hls", "dash", "mp4", "webm"];
var TYPES = {
  mp4: 'video/mp4; codecs="avc1.42E01E, mp4a.40.2"',
  webm: 'video/webm; codecs="vp9, opus"',
  hls: "application/vnd.apple.mpegurl",
  mse: 'video/mp4; codecs="avc1.42E01E, mp4a.40.2"'
};
function capabilities(video, scope = (
  /** @type {any} */
  window
)) {
  const can = (type) => !!video.canPlayType && video.canPlayType(type) !== "";
  const MS = scope.MediaSource || scope.ManagedMediaSource;
  const mse = !!(MS && MS.isTypeSupported && MS.isTypeSupported(TYPES.mse));
  const nativeHls = can(TYPES.hls);
  return {
    mp4: can(TYPES.mp4),
    webm: can(TYPES.webm),
    hls: mse || nativeHls,
    dash: mse,
    mse,
    nativeHls
  };
}
var plays = (caps, format) => Boolean(
  /** @type {Record<string, boolean>} */
  caps[format]
);
function chooseFormat(requested, formats, caps) {
  if (requested && requested !== "auto") return requested;
  return PREFERENCE.find((f) => formats.includes(f) && caps[f]) || "";
}
function engineFor(format, caps) {
  if (format === "mp4" || format === "webm") return caps[format] ? "progressive" : "";
  if (format === "hls") return caps.mse ? "mse" : caps.nativeHls ? "native" : "";
  if (format === "dash") return caps.mse ? "mse" : "";
  return "";
}
function cannotPlay(format, formats, caps, detail = "") {
  const others = formats.filter((f) => f !== format && plays(caps, f)).map((f) => NAMES[f]);
  const can = others.length ? `it can play ${others.join(", ")}` : "it can play none of this file's other formats";
  const why = detail ? ` (${detail})` : "";
  return `this browser cannot play ${NAMES[format] || format}${why}; ${can}`;
}
function labelText(label) {
  return /^\d+$/.test(label) ? `${label}p` : label;
}
function progressiveChoice(renditions, format, label) {
  const items = renditions.filter((r) => r[format]);
  const chosen = items.find((r) => r.label === label);
  if (chosen) return chosen;
  const fitting = items.filter((r) => Number(r.label) <= 720);
  return fitting[0] || items[items.length - 1] || null;
}
function parseMaster(text, base) {
  const lines = text.split(/\r?\n/);
  const variants = [];
  lines.forEach((line, i) => {
    const m = line.match(/^#EXT-X-STREAM-INF:.*RESOLUTION=(\d+)x(\d+)/);
    const uri = (lines.slice(i + 1).find((l) => l.trim() && !l.startsWith("#")) || "").trim();
    if (m && uri) {
      const url = new URL(uri, base).href;
      variants.push({ label: m[2], width: Number(m[1]), height: Number(m[2]), url });
    }
  });
  return variants;
}
function pickTrack(tracks, label) {
  const height = Number(label);
  const exact = tracks.filter((t) => t.height === height);
  const pool = exact.length ? exact : tracks;
  return pool.reduce(
    (best, t) => !best || t.bandwidth > best.bandwidth ? t : best,
    null
  );
}
function formatItems(formats, caps, playing, requested) {
  const auto = playing && requested === "auto" ? `Auto (${NAMES[playing]})` : "Auto";
  const named = formats.map(
    (f) => (
      /** @type {[string, string]} */
      [
        f,
        plays(caps, f) ? NAMES[f] : `${NAMES[f]} (not in this browser)`
      ]
    )
  );
  return [["auto", auto], ...named];
}
function renditionItems(labels, current) {
  const auto = current ? `Auto (${labelText(current)})` : "Auto";
  return [
    ["auto", auto],
    ...labels.map((l) => (
      /** @type {[string, string]} */
      [l, labelText(l)]
    ))
  ];
}
function renditionLabels(format, fromStream, renditions) {
  const adaptive = format === "hls" || format === "dash";
  if (fromStream.length) return fromStream;
  return renditions.filter((r) => adaptive || /** @type {Record<string, unknown>} */
  r[format]).map((r) => r.label);
}
function playingText({ format, label, width, height, mode, proxied }) {
  const size = width ? ` (${width}×${height})` : "";
  const parts = [
    NAMES[format],
    label ? `${labelText(label)}${size}` : "",
    mode,
    proxied ? "via the Jupyter server" : ""
  ];
  return parts.filter(Boolean).join(" · ");
}
function codedSize(track, video) {
  if (track && track.width && track.height) return { width: track.width, height: track.height };
  return { width: video.videoWidth, height: video.videoHeight };
}
var SEEK = { ArrowLeft: -5, ArrowRight: 5 };
function seekBy(key, at, duration) {
  const step = SEEK[key];
  if (step === void 0) return null;
  const end = Number.isFinite(duration) ? duration : Infinity;
  return Math.max(0, Math.min(end, at + step));
}

// src/player/engines.js
function progressiveEngine(video) {
  let loaded = false;
  return {
    kind: "progressive",
    async load(url) {
      loaded = true;
      video.src = url;
    },
    pin() {
    },
    labels: () => [],
    active: () => null,
    destroy() {
      if (!loaded) return;
      video.removeAttribute("src");
      video.load();
    }
  };
}
async function mseEngine(model, video, hooks) {
  const shaka = await library(model);
  const player = new shaka.Player();
  await player.attach(video);
  player.configure({ streaming: { preferNativeHls: false } });
  player.addEventListener("error", (event) => hooks.onError(event.detail));
  for (const name of ["adaptation", "variantchanged", "trackschanged"]) {
    player.addEventListener(name, () => hooks.onChange());
  }
  const tracks = () => player.getVariantTracks().filter((t) => t.height);
  const engine = {
    kind: "mse",
    async load(url, label) {
      await player.load(url);
      engine.pin(label);
    },
    pin(label) {
      const auto = !label || label === "auto";
      player.configure({ abr: { enabled: auto } });
      if (!auto) {
        const track = pickTrack(tracks(), label);
        if (track && !track.active) player.selectVariantTrack(track, true);
      }
      hooks.onChange();
    },
    labels: () => [...new Set(tracks().map((t) => String(t.height)))].sort((a, b) => Number(b) - Number(a)),
    active() {
      const track = tracks().find((t) => t.active);
      return track ? { label: String(track.height), width: track.width, height: track.height } : null;
    },
    destroy() {
      return player.destroy();
    }
  };
  return engine;
}
function nativeHlsEngine(video, fetcher = fetch) {
  let master = "";
  let variants = [];
  const engine = {
    kind: "native",
    async load(url, label) {
      master = url;
      try {
        const reply = await fetcher(url, { cache: "no-store" });
        variants = reply.ok ? parseMaster(await reply.text(), url) : [];
      } catch {
        variants = [];
      }
      engine.pin(label);
    },
    pin(label) {
      const variant = variants.find((v) => v.label === label);
      const next = variant ? variant.url : master;
      if (video.currentSrc !== next) video.src = next;
    },
    labels: () => variants.map((v) => v.label),
    active: () => null,
    destroy() {
      if (!master) return;
      video.removeAttribute("src");
      video.load();
    }
  };
  return engine;
}

// src/player/view.js
function makeSelect(name) {
  const label = el("label", "", `${name} `);
  const select = el("select", `sv-player-${name.toLowerCase()}`);
  select.setAttribute("aria-label", name);
  label.appendChild(select);
  return { label, select };
}
function buildView(host) {
  const root = el("div", "sv-player sv-themed");
  suppressShortcuts(root);
  const video = el("video");
  video.controls = true;
  video.preload = "metadata";
  video.playsInline = true;
  const bar = el("div", "sv-player-bar");
  const format = makeSelect("Format");
  const rendition = makeSelect("Rendition");
  const note = el("span", "sv-player-note");
  note.setAttribute("role", "status");
  bar.append(format.label, rendition.label, note);
  root.append(video, bar);
  host.appendChild(root);
  return { root, video, note, formatSelect: format.select, renditionSelect: rendition.select };
}
var PlayerView = class {
  /**
   * @param {PlayerModel} model
   * @param {HTMLElement} host
   */
  constructor(model, host) {
    this.model = model;
    const view = buildView(host);
    this.root = view.root;
    this.video = view.video;
    this.note = view.note;
    this.formatSelect = view.formatSelect;
    this.renditionSelect = view.renditionSelect;
    this.caps = capabilities(this.video);
    this.engine = null;
    this.generation = 0;
    this.format = "";
    this.url = "";
    this.proxied = false;
    this.triedProxy = false;
    this.failed = false;
    this.diagnosing = false;
    this.reported = "";
    this.posterUrl = null;
    this.scheduled = false;
    this.unlisten = this.bind();
    this.unfocus = keepFocus(this.root, `player:${model.get("file_code")}`);
    this.drawPoster();
    this.drawStatus();
    this.schedule();
  }
  bind() {
    const { model, video } = this;
    this.formatSelect.addEventListener("change", () => {
      model.set("format", this.formatSelect.value);
      model.save_changes();
    });
    this.renditionSelect.addEventListener("change", () => {
      model.set("rendition", this.renditionSelect.value);
      model.save_changes();
    });
    for (const name of ["loadedmetadata", "resize", "playing"]) {
      video.addEventListener(name, () => this.report());
    }
    video.addEventListener("error", () => this.onVideoError());
    video.addEventListener("keydown", (e) => {
      const to = seekBy(e.key, video.currentTime, video.duration);
      if (to === null) return;
      e.preventDefault();
      video.currentTime = to;
    });
    const restart = () => this.schedule();
    return listen(model, [
      ["change:format", restart],
      ["change:formats", restart],
      ["change:manifests", restart],
      ["change:renditions", restart],
      ["change:proxy", restart],
      ["change:rendition", () => this.onRendition()],
      ["change:poster", () => this.drawPoster()],
      ["change:status", () => this.drawStatus()],
      ["change:error", () => this.drawStatus()]
    ]);
  }
  destroy() {
    this.unfocus();
    this.unlisten();
    this.generation += 1;
    this.teardown();
    if (this.posterUrl) URL.revokeObjectURL(this.posterUrl);
  }
  // One update from the kernel changes several traits at once: start once for all of them.
  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.start();
    });
  }
  /**
   * @param {string} text
   * @param {string} [kind]
   */
  say(text, kind = "") {
    this.note.textContent = text;
    if (kind) this.root.dataset.state = kind;
  }
  // ------------------------------------------------------------------ playing
  async start(viaProxy = false) {
    const generation = ++this.generation;
    const formats = this.model.get("formats") || [];
    const requested = this.model.get("format");
    if (!formats.length) return;
    if (requested !== "auto" && !formats.includes(requested)) {
      await this.teardown();
      this.drawFormats();
      this.drawStatus();
      return;
    }
    this.reset(chooseFormat(requested, formats, this.caps));
    const kind = engineFor(this.format, this.caps);
    if (!this.format || !kind) {
      await this.teardown();
      this.fail("format", cannotPlay(this.format || requested, formats, this.caps));
      return;
    }
    const src = this.sourceUrl();
    if (!src) {
      await this.teardown();
      this.fail("unreachable", `the service gave no ${NAMES[this.format]} URL for this file`);
      return;
    }
    const target = viaProxy ? { url: proxiedUrl(src), proxied: true } : playableUrl(src, this.model.get("proxy"));
    if (!viaProxy) this.triedProxy = false;
    await this.load(kind, target, generation);
  }
  /** @param {string} format */
  reset(format) {
    this.failed = false;
    this.diagnosing = false;
    this.reported = "";
    delete this.root.dataset.errorKind;
    this.format = format;
    this.root.dataset.format = format;
    this.drawFormats();
    this.drawRenditions();
  }
  /**
   * @param {EngineKind} kind
   * @param {{ url: string, proxied: boolean }} target
   * @param {number} generation
   */
  async load(kind, target, generation) {
    this.url = target.url;
    this.proxied = target.proxied;
    this.video.dataset.proxied = target.proxied ? "true" : "false";
    this.root.dataset.engine = kind;
    const fetching = kind === "mse" && !shared().promise;
    this.say(fetching ? "Loading the HLS/DASH player…" : "Loading…", "loading");
    this.resumeAt();
    await this.teardown();
    try {
      const engine = await this.makeEngine(kind, generation);
      if (generation !== this.generation) {
        await engine.destroy();
        return;
      }
      this.engine = engine;
      await engine.load(target.url, this.model.get("rendition"));
    } catch (error) {
      if (generation === this.generation) {
        this.diagnose(target.url, describeError(error), generation);
      }
    }
  }
  /**
   * @param {EngineKind} kind
   * @param {number} generation
   * @returns {Promise<Engine>}
   */
  makeEngine(kind, generation) {
    if (kind === "progressive") return Promise.resolve(progressiveEngine(this.video));
    if (kind === "native") return Promise.resolve(nativeHlsEngine(this.video));
    return mseEngine(this.model, this.video, {
      onChange: () => {
        if (generation === this.generation) this.report();
      },
      onError: (detail) => this.onLibraryError(detail, generation)
    });
  }
  async teardown() {
    const engine = this.engine;
    this.engine = null;
    if (engine) await engine.destroy();
  }
  /** @returns {string} */
  sourceUrl() {
    const format = this.format;
    if (format === "hls" || format === "dash") {
      return (this.model.get("manifests") || {})[format] || "";
    }
    if (format !== "mp4" && format !== "webm") return "";
    const renditions = this.model.get("renditions") || [];
    const choice = progressiveChoice(renditions, format, this.model.get("rendition"));
    return choice && choice[format] || "";
  }
  // After the next load, go back to where the video was, playing if it was.
  resumeAt() {
    const video = this.video;
    const at = video.currentTime || 0;
    const playing = !video.paused && !video.ended;
    if (at <= 0 && !playing) return;
    video.addEventListener(
      "loadedmetadata",
      () => {
        if (at > 0) video.currentTime = Math.min(at, video.duration || at);
        if (playing) video.play().catch(() => {
        });
      },
      { once: true }
    );
  }
  onRendition() {
    this.drawRenditions();
    const engine = this.engine;
    const label = this.model.get("rendition");
    if (engine && engine.kind === "mse") {
      engine.pin(label);
    } else if (engine && engine.kind === "native") {
      this.resumeAt();
      engine.pin(label);
    } else if (this.format === "mp4" || this.format === "webm") {
      const next = playableUrl(this.sourceUrl(), this.model.get("proxy")).url;
      if (next && next !== this.url) this.schedule();
    }
  }
  // ------------------------------------------------------------------ reporting
  describe() {
    const active = this.engine && this.engine.active();
    const { width, height } = codedSize(active, this.video);
    const label = active ? active.label : height ? String(height) : "";
    const adaptive = this.engine && this.engine.kind !== "progressive";
    const mode = adaptive ? this.model.get("rendition") === "auto" ? "auto" : "pinned" : "";
    const text = playingText({
      format: this.format,
      label,
      width,
      height,
      mode,
      proxied: this.proxied
    });
    return { label, width, height, text };
  }
  // What plays, shown beside the menus and told to the kernel (once per change).
  report() {
    if (this.failed || !this.video.videoWidth) return;
    const d = this.describe();
    this.say(d.text, "playing");
    this.root.dataset.rendition = d.label;
    this.drawRenditions();
    const key = `${this.format}|${d.label}|${d.width}x${d.height}|${this.url}`;
    if (key === this.reported) return;
    this.reported = key;
    this.model.send({
      type: "playing",
      format: this.format,
      engine: this.engine ? this.engine.kind : "",
      rendition: d.label,
      width: d.width,
      height: d.height,
      url: this.url
    });
  }
  /**
   * @param {string} kind
   * @param {string} message
   */
  fail(kind, message) {
    this.failed = true;
    this.root.dataset.errorKind = kind;
    this.say(message, "error");
    this.model.send({ type: "media-error", kind, message, format: this.format, url: this.url });
  }
  /**
   * Something did not play: retry through the proxy once, else probe and say why.
   *
   * @param {string} url
   * @param {string} detail
   * @param {number} generation
   */
  async diagnose(url, detail, generation) {
    if (generation !== this.generation || this.failed || this.diagnosing) return;
    const auto = this.model.get("proxy") === "auto";
    if (!this.proxied && !this.triedProxy && auto && isLoopbackUrl(this.sourceUrl())) {
      this.triedProxy = true;
      this.start(true);
      return;
    }
    this.diagnosing = true;
    const result = await probe(url || this.url, this.proxied);
    if (generation !== this.generation) return;
    if (result.ok) {
      const formats = this.model.get("formats") || [];
      this.fail("format", cannotPlay(this.format, formats, this.caps, detail));
    } else {
      this.fail("unreachable", `the media is gone or unreachable: ${result.reason}`);
    }
  }
  onVideoError() {
    if (!this.engine || this.engine.kind === "mse") return;
    this.diagnose(this.url, mediaErrorText(this.video.error), this.generation);
  }
  /**
   * @param {unknown} detail
   * @param {number} generation
   */
  onLibraryError(detail, generation) {
    if (generation !== this.generation) return;
    this.diagnose(failedUrl(detail, this.url), describeError(detail), generation);
  }
  // ------------------------------------------------------------------ drawing
  drawFormats() {
    const formats = this.model.get("formats") || [];
    const items = formatItems(formats, this.caps, this.format, this.model.get("format"));
    fillSelect(this.formatSelect, items, this.model.get("format"));
    this.formatSelect.disabled = formats.length < 1;
  }
  drawRenditions() {
    const adaptive = this.format === "hls" || this.format === "dash";
    const fromStream = adaptive && this.engine ? this.engine.labels() : [];
    const labels = renditionLabels(this.format, fromStream, this.model.get("renditions") || []);
    const items = renditionItems(labels, this.describe().label);
    fillSelect(this.renditionSelect, items, this.model.get("rendition"));
    this.renditionSelect.disabled = labels.length < 2 && !adaptive;
  }
  drawPoster() {
    const buf = this.model.get("poster");
    if (this.posterUrl) URL.revokeObjectURL(this.posterUrl);
    this.posterUrl = null;
    const bytes = bytesOf(buf);
    if (bytes && bytes.byteLength) {
      this.posterUrl = jpegUrl(bytes);
      this.video.poster = this.posterUrl;
    }
  }
  drawStatus() {
    setAttr(this.video, "aria-label", `Video ${this.model.get("file_code") || ""}`.trim());
    const status = this.model.get("status");
    this.root.dataset.status = status;
    if (status === "error") this.say(this.model.get("error"), "error");
    else if (status === "loading") this.note.textContent = "Loading…";
  }
};

// src/player/index.js
function render({ model, el: el2 }) {
  const view = new PlayerView(model, el2);
  return () => view.destroy();
}
var player_default = { render };
export {
  player_default as default
};
