// Player front end (anywidget ESM). Self-contained: no imports, no CDN.
//
// Plays one of a file's formats in a <video>:
// - MP4 and WebM: the rendition's file, in the element itself.
// - HLS and DASH: through Media Source Extensions with shaka-player, which the kernel sends
//   once per page (a binary message; the package ships it, nothing comes from a CDN). Where
//   the browser has native HLS but no Media Source Extensions, HLS plays natively, and
//   pinning a rendition loads that rendition's own playlist.
// A URL on a loopback host (the local emulator) is unreachable from a browser on another
// machine (Binder, JupyterHub), so it is routed through the Jupyter server with
// jupyter-server-proxy: {baseUrl}proxy/{host:}port/path.
// When something fails, the URL is probed before anything is said: media that answers but
// does not play is the browser's limit ("cannot play FORMAT"); media that does not answer is
// gone or unreachable.

const LOOPBACK = /^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;
const NAMES = { auto: "Auto", hls: "HLS", dash: "DASH", mp4: "MP4", webm: "WebM" };
const PREFERENCE = ["hls", "dash", "mp4", "webm"];
const TYPES = {
  mp4: 'video/mp4; codecs="avc1.42E01E, mp4a.40.2"',
  webm: 'video/webm; codecs="vp9, opus"',
  hls: "application/vnd.apple.mpegurl",
  mse: 'video/mp4; codecs="avc1.42E01E, mp4a.40.2"',
};
const VENDOR = "__svWidgetsPlayerLibrary";

// ---------------------------------------------------------------------------- URLs

function isLoopback(hostname) {
  return LOOPBACK.test(hostname);
}

function jupyterBaseUrl() {
  const el = document.getElementById("jupyter-config-data");
  if (el) {
    try {
      const base = JSON.parse(el.textContent || "{}").baseUrl;
      if (base) return new URL(base, window.location.origin).href;
    } catch (_e) {
      // fall through to the path heuristics
    }
  }
  const path = new URL(document.baseURI).pathname;
  const m = path.match(/^(.*?\/)(lab|notebooks|tree|doc|edit|voila|retro)(\/|$)/);
  return new URL(m ? m[1] : "/", window.location.origin).href;
}

export function proxiedUrl(src) {
  const u = new URL(src);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const host = u.hostname.replace(/^\[|\]$/g, "");
  // jupyter-server-proxy: "proxy/PORT" goes to localhost; "proxy/127.0.0.1:PORT" names the
  // address the emulator listens on (in the proxy's default host allowlist).
  const target = /^127\./.test(host) ? `${host}:${port}` : port;
  return `${jupyterBaseUrl()}proxy/${target}${u.pathname}${u.search}${u.hash}`;
}

function loopbackUrl(src) {
  try {
    return isLoopback(new URL(src).hostname);
  } catch (_e) {
    return false;
  }
}

export function playableUrl(src, mode) {
  if (!src) return { url: "", proxied: false };
  let u;
  try {
    u = new URL(src);
  } catch (_e) {
    return { url: src, proxied: false };
  }
  if (mode === "never" || !isLoopback(u.hostname)) return { url: src, proxied: false };
  const pageIsLocal = isLoopback(window.location.hostname);
  const mixed = window.location.protocol === "https:" && u.protocol === "http:";
  if (mode === "always" || !pageIsLocal || mixed) return { url: proxiedUrl(src), proxied: true };
  return { url: src, proxied: false };
}

// ---------------------------------------------------------------------------- what plays

// What this browser can play: MP4 (H.264/AAC), WebM (VP9/Opus), HLS natively, and Media
// Source Extensions for H.264 (HLS and DASH through shaka-player).
export function capabilities(video) {
  const can = (type) => !!video.canPlayType && video.canPlayType(type) !== "";
  const MS = window.MediaSource || window.ManagedMediaSource;
  const mse = !!(MS && MS.isTypeSupported && MS.isTypeSupported(TYPES.mse));
  const nativeHls = can(TYPES.hls);
  return { mp4: can(TYPES.mp4), webm: can(TYPES.webm), hls: mse || nativeHls, dash: mse, mse, nativeHls };
}

// The format to play: the one asked for, or for "auto" the first the file has and the
// browser can play, in the order HLS, DASH, MP4, WebM.
export function chooseFormat(requested, formats, caps) {
  if (requested && requested !== "auto") return requested;
  return PREFERENCE.find((f) => formats.includes(f) && caps[f]) || "";
}

export function engineFor(format, caps) {
  if (format === "mp4" || format === "webm") return caps[format] ? "progressive" : "";
  if (format === "hls") return caps.mse ? "mse" : caps.nativeHls ? "native" : "";
  if (format === "dash") return caps.mse ? "mse" : "";
  return "";
}

// "this browser cannot play WebM (why); it can play MP4, HLS, DASH"
export function cannotPlay(format, formats, caps, detail = "") {
  const others = formats.filter((f) => f !== format && caps[f]).map((f) => NAMES[f]);
  const can = others.length ? `it can play ${others.join(", ")}` : "it can play none of this file's other formats";
  const why = detail ? ` (${detail})` : "";
  return `this browser cannot play ${NAMES[format] || format}${why}; ${can}`;
}

function labelText(label) {
  return /^\d+$/.test(label) ? `${label}p` : label;
}

// The progressive rendition a label asks for ("auto": the highest up to 720p).
export function progressiveChoice(renditions, format, label) {
  const items = renditions.filter((r) => r[format]);
  const chosen = items.find((r) => r.label === label);
  if (chosen) return chosen;
  const fitting = items.filter((r) => Number(r.label) <= 720);
  return fitting[0] || items[items.length - 1] || null;
}

// ---------------------------------------------------------------------------- diagnosis

// host:port/path of a URL, the proxied one named by what it proxies.
function where(url) {
  try {
    const u = new URL(url);
    const m = u.pathname.match(/\/proxy\/(\d+\.\d+\.\d+\.\d+:\d+|\d+)(\/.*)$/);
    if (m) return `${m[1].includes(":") ? m[1] : `localhost:${m[1]}`}${m[2]}`;
    return `${u.host}${u.pathname}`;
  } catch (_e) {
    return url;
  }
}

// Ask for the first byte: the media is there (the browser cannot play it) or it is not.
export async function probe(url, proxied) {
  try {
    const reply = await fetch(url, { headers: { Range: "bytes=0-0" }, cache: "no-store" });
    if (reply.ok) return { ok: true, status: reply.status };
    return { ok: false, status: reply.status, reason: statusReason(reply.status, url, proxied) };
  } catch (_e) {
    const host = (() => { try { return new URL(url).host; } catch (_x) { return url; } })();
    const reason = proxied
      ? `no answer from the Jupyter server's proxy for ${where(url)}`
      : `no answer from ${host} (the server stopped, or refused the connection)`;
    return { ok: false, status: 0, reason };
  }
}

function statusReason(status, url, proxied) {
  if (status === 404 || status === 410) return `HTTP ${status} for ${where(url)} (the file was deleted?)`;
  if (proxied && status >= 500) {
    return `the Jupyter server's proxy answered HTTP ${status} for ${where(url)} (is the server behind it still running?)`;
  }
  return `HTTP ${status} for ${where(url)}`;
}

// ---------------------------------------------------------------------------- the library

async function importLibrary(bytes) {
  const code = new TextDecoder().decode(bytes);
  // The build is UMD: given an `exports` object it fills it instead of touching globals.
  const source = `const exports = {};\n${code}\nexport default exports;\n`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    const shaka = (await import(url)).default;
    shaka.polyfill.installAll();
    return shaka;
  } finally {
    URL.revokeObjectURL(url);
  }
}

// shaka-player, asked of the kernel once per page (every player shares it).
function library(model) {
  const shared = globalThis[VENDOR] || (globalThis[VENDOR] = {});
  if (!shared.promise) {
    shared.promise = new Promise((resolve, reject) => {
      const onMessage = (msg, buffers) => {
        if (!msg || msg.type !== "vendor" || !buffers || !buffers.length) return;
        model.off("msg:custom", onMessage);
        importLibrary(buffers[0]).then(resolve, reject);
      };
      model.on("msg:custom", onMessage);
      model.send({ type: "vendor-request" });
    });
    shared.promise.catch(() => { shared.promise = null; });
  }
  return shared.promise;
}

// ---------------------------------------------------------------------------- engines
// Each engine: load(url, label) -> Promise, pin(label), active() -> {label, width, height},
// labels() -> [label], destroy().

function progressiveEngine(video) {
  let loaded = false;
  return {
    kind: "progressive",
    async load(url) {
      loaded = true;
      video.src = url;
    },
    pin() {},
    labels: () => [],
    active: () => null,
    destroy() {
      if (!loaded) return;
      video.removeAttribute("src");
      video.load();
    },
  };
}

function pickTrack(tracks, label) {
  const height = Number(label);
  const exact = tracks.filter((t) => t.height === height);
  const pool = exact.length ? exact : tracks;
  return pool.reduce((best, t) => (!best || t.bandwidth > best.bandwidth ? t : best), null);
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
  return {
    kind: "mse",
    async load(url, label) {
      await player.load(url);
      this.pin(label);
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
    labels: () => [...new Set(tracks().map((t) => String(t.height)))].sort((a, b) => b - a),
    active() {
      const track = tracks().find((t) => t.active);
      return track ? { label: String(track.height), width: track.width, height: track.height } : null;
    },
    destroy() {
      return player.destroy();
    },
  };
}

// Variants of an HLS master playlist: [{label, width, height, url}].
export function parseMaster(text, base) {
  const lines = text.split(/\r?\n/);
  const variants = [];
  lines.forEach((line, i) => {
    const m = line.match(/^#EXT-X-STREAM-INF:.*RESOLUTION=(\d+)x(\d+)/);
    const uri = (lines.slice(i + 1).find((l) => l.trim() && !l.startsWith("#")) || "").trim();
    if (m && uri) {
      variants.push({ label: m[2], width: Number(m[1]), height: Number(m[2]), url: new URL(uri, base).href });
    }
  });
  return variants;
}

function nativeHlsEngine(video) {
  let master = "";
  let variants = [];
  return {
    kind: "native",
    async load(url, label) {
      master = url;
      try {
        const reply = await fetch(url, { cache: "no-store" });
        variants = reply.ok ? parseMaster(await reply.text(), url) : [];
      } catch (_e) {
        variants = []; // the element reports what it finds; pinning is then unavailable
      }
      this.pin(label);
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
    },
  };
}

// ---------------------------------------------------------------------------- the view

function makeSelect(name) {
  const label = document.createElement("label");
  label.textContent = `${name} `;
  const select = document.createElement("select");
  select.className = `sv-player-${name.toLowerCase()}`;
  select.setAttribute("aria-label", name);
  label.appendChild(select);
  return { label, select };
}

function options(select, items, value) {
  select.replaceChildren(...items.map(([v, text, disabled]) => {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = text;
    o.disabled = !!disabled;
    return o;
  }));
  select.value = value;
}

function buildView(el) {
  const root = document.createElement("div");
  root.className = "sv-player";
  const video = document.createElement("video");
  video.controls = true;
  video.preload = "metadata";
  video.playsInline = true;
  const bar = document.createElement("div");
  bar.className = "sv-player-bar";
  const format = makeSelect("Format");
  const rendition = makeSelect("Rendition");
  const note = document.createElement("span");
  note.className = "sv-player-note";
  note.setAttribute("role", "status");
  bar.append(format.label, rendition.label, note);
  root.append(video, bar);
  el.appendChild(root);
  return { root, video, note, formatSelect: format.select, renditionSelect: rendition.select };
}

// One player on the page: the kernel's traits in, a <video> and two menus out.
class PlayerView {
  constructor(model, el) {
    this.model = model;
    Object.assign(this, buildView(el));
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
    this.bind();
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
    const restart = () => this.schedule();
    this.events = {
      "change:format": restart,
      "change:formats": restart,
      "change:manifests": restart,
      "change:renditions": restart,
      "change:proxy": restart,
      "change:rendition": () => this.onRendition(),
      "change:poster": () => this.drawPoster(),
      "change:status": () => this.drawStatus(),
      "change:error": () => this.drawStatus(),
    };
    for (const [name, fn] of Object.entries(this.events)) model.on(name, fn);
  }

  destroy() {
    for (const [name, fn] of Object.entries(this.events)) this.model.off(name, fn);
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
      await this.teardown(); // the kernel says why ("this file has no DASH stream; ...")
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

  async load(kind, target, generation) {
    this.url = target.url;
    this.proxied = target.proxied;
    this.video.dataset.proxied = target.proxied ? "true" : "false";
    this.root.dataset.engine = kind;
    const fetching = kind === "mse" && !(globalThis[VENDOR] || {}).promise;
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
      if (generation === this.generation) this.diagnose(target.url, describeError(error), generation);
    }
  }

  makeEngine(kind, generation) {
    if (kind === "progressive") return Promise.resolve(progressiveEngine(this.video));
    if (kind === "native") return Promise.resolve(nativeHlsEngine(this.video));
    return mseEngine(this.model, this.video, {
      onChange: () => { if (generation === this.generation) this.report(); },
      onError: (detail) => this.onLibraryError(detail, generation),
    });
  }

  async teardown() {
    const engine = this.engine;
    this.engine = null;
    if (engine) await engine.destroy();
  }

  sourceUrl() {
    const format = this.format;
    if (format === "hls" || format === "dash") return (this.model.get("manifests") || {})[format] || "";
    const choice = progressiveChoice(this.model.get("renditions") || [], format, this.model.get("rendition"));
    return choice ? choice[format] : "";
  }

  // After the next load, go back to where the video was, playing if it was.
  resumeAt() {
    const video = this.video;
    const at = video.currentTime || 0;
    const playing = !video.paused && !video.ended;
    if (at <= 0 && !playing) return;
    video.addEventListener("loadedmetadata", () => {
      if (at > 0) video.currentTime = Math.min(at, video.duration || at);
      if (playing) video.play().catch(() => {});
    }, { once: true });
  }

  onRendition() {
    this.drawRenditions();
    const engine = this.engine;
    const label = this.model.get("rendition");
    if (engine && engine.kind === "mse") {
      engine.pin(label);
    } else if (engine && engine.kind === "native") {
      this.resumeAt(); // a rendition of native HLS is another playlist: keep the position
      engine.pin(label);
    } else if (this.format === "mp4" || this.format === "webm") {
      const next = playableUrl(this.sourceUrl(), this.model.get("proxy")).url;
      if (next && next !== this.url) this.schedule();
    }
  }

  // ------------------------------------------------------------------ reporting

  describe() {
    const active = this.engine && this.engine.active();
    const { videoWidth: width, videoHeight: height } = this.video;
    const label = active ? active.label : height ? String(height) : "";
    const adaptive = this.engine && this.engine.kind !== "progressive";
    const mode = adaptive ? (this.model.get("rendition") === "auto" ? "auto" : "pinned") : "";
    const size = width ? ` (${width}×${height})` : "";
    const parts = [NAMES[this.format], label ? `${labelText(label)}${size}` : "", mode, this.proxied ? "via the Jupyter server" : ""];
    return { label, width, height, text: parts.filter(Boolean).join(" · ") };
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
      url: this.url,
    });
  }

  fail(kind, message) {
    this.failed = true;
    this.root.dataset.errorKind = kind;
    this.say(message, "error");
    this.model.send({ type: "media-error", kind, message, format: this.format, url: this.url });
  }

  // Something did not play: retry through the proxy once, else probe and say why.
  async diagnose(url, detail, generation) {
    if (generation !== this.generation || this.failed || this.diagnosing) return;
    const auto = this.model.get("proxy") === "auto";
    if (!this.proxied && !this.triedProxy && auto && loopbackUrl(this.sourceUrl())) {
      this.triedProxy = true; // the direct URL failed: try through the Jupyter server once
      this.start(true);
      return;
    }
    this.diagnosing = true;
    const result = await probe(url || this.url, this.proxied);
    if (generation !== this.generation) return;
    if (result.ok) {
      this.fail("format", cannotPlay(this.format, this.model.get("formats") || [], this.caps, detail));
    } else {
      this.fail("unreachable", `the media is gone or unreachable: ${result.reason}`);
    }
  }

  onVideoError() {
    if (!this.engine || this.engine.kind === "mse") return; // the library reports its own
    const err = this.video.error;
    const detail = err ? `media error ${err.code}${err.message ? ": " + err.message : ""}` : "";
    this.diagnose(this.url, detail, this.generation);
  }

  onLibraryError(detail, generation) {
    if (generation !== this.generation) return;
    const network = detail && detail.category === 1 && detail.data && typeof detail.data[0] === "string";
    this.diagnose(network ? detail.data[0] : this.url, describeError(detail), generation);
  }

  // ------------------------------------------------------------------ drawing

  drawFormats() {
    const formats = this.model.get("formats") || [];
    const auto = this.format && this.model.get("format") === "auto" ? `Auto (${NAMES[this.format]})` : "Auto";
    const items = [["auto", auto], ...formats.map((f) => [f, this.caps[f] ? NAMES[f] : `${NAMES[f]} (not in this browser)`])];
    options(this.formatSelect, items, this.model.get("format"));
    this.formatSelect.disabled = formats.length < 1;
  }

  drawRenditions() {
    const adaptive = this.format === "hls" || this.format === "dash";
    const fromStream = adaptive && this.engine ? this.engine.labels() : [];
    const labels = fromStream.length
      ? fromStream
      : (this.model.get("renditions") || []).filter((r) => adaptive || r[this.format]).map((r) => r.label);
    const current = this.describe().label;
    const auto = current ? `Auto (${labelText(current)})` : "Auto";
    options(this.renditionSelect, [["auto", auto], ...labels.map((l) => [l, labelText(l)])], this.model.get("rendition"));
    this.renditionSelect.disabled = labels.length < 2 && !adaptive;
  }

  drawPoster() {
    const buf = this.model.get("poster");
    if (this.posterUrl) URL.revokeObjectURL(this.posterUrl);
    this.posterUrl = null;
    if (buf && buf.byteLength) {
      const bytes = new Uint8Array(buf.buffer || buf, buf.byteOffset || 0, buf.byteLength);
      this.posterUrl = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
      this.video.poster = this.posterUrl;
    }
  }

  drawStatus() {
    const status = this.model.get("status");
    this.root.dataset.status = status;
    if (status === "error") this.say(this.model.get("error"), "error");
    else if (status === "loading") this.note.textContent = "Loading…";
  }
}

function describeError(error) {
  if (!error) return "";
  if (typeof error.code === "number" && typeof error.category === "number") {
    return `shaka-player error ${error.code}`;
  }
  return String(error.message || error);
}

function render({ model, el }) {
  const view = new PlayerView(model, el);
  return () => view.destroy();
}

export default { render };
