// One player on the page: the kernel's traits in, a <video> and two menus out.

import { bytesOf, el, fillSelect, jpegUrl, setAttr } from "../common/dom.js";
import { keepFocus, suppressShortcuts } from "../common/focus.js";
import { isLoopbackUrl } from "../common/loopback.js";
import { listen } from "../common/model.js";
import { describeError, failedUrl, mediaErrorText, probe } from "./diagnosis.js";
import { mseEngine, nativeHlsEngine, progressiveEngine } from "./engines.js";
import {
  NAMES,
  cannotPlay,
  capabilities,
  chooseFormat,
  codedSize,
  engineFor,
  seekBy,
  formatItems,
  playingText,
  progressiveChoice,
  renditionItems,
  renditionLabels,
} from "./formats.js";
import { shared } from "./library.js";
import { playableUrl, proxiedUrl } from "./urls.js";

/** @import { AnyModel } from "@anywidget/types" */
/** @import { Engine } from "./engines.js" */
/** @import { Capabilities, EngineKind, Rendition } from "./formats.js" */

/**
 * @typedef {object} PlayerState the widget's synced traits that the front end reads and sets
 * @property {string} file_code
 * @property {string} format
 * @property {string[]} formats
 * @property {Record<string, string>} manifests
 * @property {Rendition[]} renditions
 * @property {string} rendition
 * @property {string} proxy
 * @property {DataView | null} poster
 * @property {string} status
 * @property {string} error
 */

/** @typedef {AnyModel<PlayerState>} PlayerModel */

/** @param {string} name */
function makeSelect(name) {
  const label = el("label", "", `${name} `);
  const select = el("select", `sv-player-${name.toLowerCase()}`);
  select.setAttribute("aria-label", name);
  label.appendChild(select);
  return { label, select };
}

/** @param {HTMLElement} host */
function buildView(host) {
  const root = el("div", "sv-player sv-themed");
  suppressShortcuts(root); // keys on the video and menus act on them, not on the notebook
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

export class PlayerView {
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
    /** @type {Capabilities} */
    this.caps = capabilities(this.video);
    /** @type {Engine | null} */
    this.engine = null;
    this.generation = 0;
    this.format = "";
    this.url = "";
    this.proxied = false;
    this.triedProxy = false;
    this.failed = false;
    this.diagnosing = false;
    this.reported = "";
    /** @type {string | null} */
    this.posterUrl = null;
    this.scheduled = false;
    this.unlisten = this.bind();
    this.unfocus = keepFocus(this.root, `player:${model.get("file_code")}`); // a redrawn display keeps the focus
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
      e.preventDefault(); // one seek per key, whatever the browser's own controls do
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
      ["change:error", () => this.drawStatus()],
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
    const target = viaProxy
      ? { url: proxiedUrl(src), proxied: true }
      : playableUrl(src, this.model.get("proxy"));
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
      onError: (detail) => this.onLibraryError(detail, generation),
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
    return (choice && choice[format]) || "";
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
        if (playing) video.play().catch(() => {});
      },
      { once: true },
    );
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
    const { width, height } = codedSize(active, this.video);
    const label = active ? active.label : height ? String(height) : "";
    const adaptive = this.engine && this.engine.kind !== "progressive";
    const mode = adaptive ? (this.model.get("rendition") === "auto" ? "auto" : "pinned") : "";
    const text = playingText({
      format: this.format,
      label,
      width,
      height,
      mode,
      proxied: this.proxied,
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
      url: this.url,
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
      this.triedProxy = true; // the direct URL failed: try through the Jupyter server once
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
    if (!this.engine || this.engine.kind === "mse") return; // the library reports its own
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
}
