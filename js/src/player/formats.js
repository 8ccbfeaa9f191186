// What this browser plays and how: the format to play, the engine for it, the rendition to
// pin, what the menus list, and what to say when nothing plays. Pure functions of the
// browser's capabilities and the kernel's traits.

/** @typedef {"hls" | "dash" | "mp4" | "webm"} Format */

/**
 * @typedef {object} Capabilities what this browser can play
 * @property {boolean} mp4 H.264/AAC in MP4
 * @property {boolean} webm VP9/Opus in WebM
 * @property {boolean} hls natively or through Media Source Extensions
 * @property {boolean} dash through Media Source Extensions
 * @property {boolean} mse Media Source Extensions for H.264
 * @property {boolean} nativeHls
 */

/**
 * @typedef {object} Rendition one progressive rendition, as the `renditions` trait lists it
 * @property {string} label its height ("720"), or a name
 * @property {string} [mp4] its MP4 URL ("" or missing: none)
 * @property {string} [webm]
 */

/** @typedef {"progressive" | "mse" | "native"} EngineKind */

/** @type {Record<string, string>} */
export const NAMES = { auto: "Auto", hls: "HLS", dash: "DASH", mp4: "MP4", webm: "WebM" };
/** @type {Format[]} */
const PREFERENCE = ["hls", "dash", "mp4", "webm"];
const TYPES = {
  mp4: 'video/mp4; codecs="avc1.42E01E, mp4a.40.2"',
  webm: 'video/webm; codecs="vp9, opus"',
  hls: "application/vnd.apple.mpegurl",
  mse: 'video/mp4; codecs="avc1.42E01E, mp4a.40.2"',
};

/**
 * @typedef {{ isTypeSupported?: (type: string) => boolean }} MediaSourceLike
 */

/**
 * What this browser can play: MP4 (H.264/AAC), WebM (VP9/Opus), HLS natively, and Media
 * Source Extensions for H.264 (HLS and DASH through shaka-player).
 *
 * @param {{ canPlayType?: (type: string) => string }} video
 * @param {{ MediaSource?: MediaSourceLike, ManagedMediaSource?: MediaSourceLike }} [scope]
 * @returns {Capabilities}
 */
export function capabilities(video, scope = /** @type {any} */ (window)) {
  const can = (/** @type {string} */ type) => !!video.canPlayType && video.canPlayType(type) !== "";
  const MS = scope.MediaSource || scope.ManagedMediaSource;
  const mse = !!(MS && MS.isTypeSupported && MS.isTypeSupported(TYPES.mse));
  const nativeHls = can(TYPES.hls);
  return {
    mp4: can(TYPES.mp4),
    webm: can(TYPES.webm),
    hls: mse || nativeHls,
    dash: mse,
    mse,
    nativeHls,
  };
}

/**
 * @param {Capabilities} caps
 * @param {string} format
 * @returns {boolean}
 */
const plays = (caps, format) => Boolean(/** @type {Record<string, boolean>} */ (caps)[format]);

/**
 * The format to play: the one asked for, or for "auto" the first the file has and the
 * browser can play, in the order HLS, DASH, MP4, WebM.
 *
 * @param {string} requested
 * @param {string[]} formats
 * @param {Capabilities} caps
 * @returns {string}
 */
export function chooseFormat(requested, formats, caps) {
  if (requested && requested !== "auto") return requested;
  return PREFERENCE.find((f) => formats.includes(f) && caps[f]) || "";
}

/**
 * @param {string} format
 * @param {Capabilities} caps
 * @returns {EngineKind | ""}
 */
export function engineFor(format, caps) {
  if (format === "mp4" || format === "webm") return caps[format] ? "progressive" : "";
  if (format === "hls") return caps.mse ? "mse" : caps.nativeHls ? "native" : "";
  if (format === "dash") return caps.mse ? "mse" : "";
  return "";
}

/**
 * "this browser cannot play WebM (why); it can play MP4, HLS, DASH"
 *
 * @param {string} format
 * @param {string[]} formats
 * @param {Capabilities} caps
 * @param {string} [detail]
 * @returns {string}
 */
export function cannotPlay(format, formats, caps, detail = "") {
  const others = formats.filter((f) => f !== format && plays(caps, f)).map((f) => NAMES[f]);
  const can = others.length
    ? `it can play ${others.join(", ")}`
    : "it can play none of this file's other formats";
  const why = detail ? ` (${detail})` : "";
  return `this browser cannot play ${NAMES[format] || format}${why}; ${can}`;
}

/**
 * "720" -> "720p"; a name stays as it is.
 *
 * @param {string} label
 * @returns {string}
 */
export function labelText(label) {
  return /^\d+$/.test(label) ? `${label}p` : label;
}

/**
 * The progressive rendition a label asks for ("auto": the highest up to 720p).
 *
 * @param {Rendition[]} renditions
 * @param {"mp4" | "webm"} format
 * @param {string} label
 * @returns {Rendition | null}
 */
export function progressiveChoice(renditions, format, label) {
  const items = renditions.filter((r) => r[format]);
  const chosen = items.find((r) => r.label === label);
  if (chosen) return chosen;
  const fitting = items.filter((r) => Number(r.label) <= 720);
  return fitting[0] || items[items.length - 1] || null;
}

/**
 * @typedef {object} Variant one variant of an HLS master playlist
 * @property {string} label
 * @property {number} width
 * @property {number} height
 * @property {string} url
 */

/**
 * Variants of an HLS master playlist.
 *
 * @param {string} text
 * @param {string} base the playlist's URL
 * @returns {Variant[]}
 */
export function parseMaster(text, base) {
  const lines = text.split(/\r?\n/);
  /** @type {Variant[]} */
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

/**
 * @typedef {object} Track a variant track as shaka-player lists it
 * @property {number} height
 * @property {number} width
 * @property {number} bandwidth
 * @property {boolean} active
 */

/**
 * The track to pin for a label: the best of that height, else the best of all.
 *
 * @template {Track} T
 * @param {T[]} tracks
 * @param {string} label
 * @returns {T | null}
 */
export function pickTrack(tracks, label) {
  const height = Number(label);
  const exact = tracks.filter((t) => t.height === height);
  const pool = exact.length ? exact : tracks;
  return pool.reduce(
    (/** @type {T | null} */ best, t) => (!best || t.bandwidth > best.bandwidth ? t : best),
    null,
  );
}

/**
 * The format menu's items: Auto (naming what it chose), then each of the file's formats.
 *
 * @param {string[]} formats
 * @param {Capabilities} caps
 * @param {string} playing the format chosen ("" before one is)
 * @param {string} requested the `format` trait
 * @returns {Array<[string, string]>}
 */
export function formatItems(formats, caps, playing, requested) {
  const auto = playing && requested === "auto" ? `Auto (${NAMES[playing]})` : "Auto";
  const named = formats.map(
    (f) =>
      /** @type {[string, string]} */ ([
        f,
        plays(caps, f) ? NAMES[f] : `${NAMES[f]} (not in this browser)`,
      ]),
  );
  return [["auto", auto], ...named];
}

/**
 * The rendition menu's items: Auto (naming what plays), then each label.
 *
 * @param {string[]} labels
 * @param {string} current the label playing ("" when none is known)
 * @returns {Array<[string, string]>}
 */
export function renditionItems(labels, current) {
  const auto = current ? `Auto (${labelText(current)})` : "Auto";
  return [
    ["auto", auto],
    ...labels.map((l) => /** @type {[string, string]} */ ([l, labelText(l)])),
  ];
}

/**
 * The labels the rendition menu lists: the stream's own (adaptive formats, once loaded), else
 * the kernel's renditions that have this format.
 *
 * @param {string} format
 * @param {string[]} fromStream the stream's labels ([] for a progressive format)
 * @param {Rendition[]} renditions
 * @returns {string[]}
 */
export function renditionLabels(format, fromStream, renditions) {
  const adaptive = format === "hls" || format === "dash";
  if (fromStream.length) return fromStream;
  return renditions
    .filter((r) => adaptive || /** @type {Record<string, unknown>} */ (r)[format])
    .map((r) => r.label);
}

/**
 * What plays, in words: "HLS · 720p (1280×720) · auto · via the Jupyter server".
 *
 * @param {object} facts
 * @param {string} facts.format
 * @param {string} facts.label
 * @param {number} facts.width
 * @param {number} facts.height
 * @param {string} facts.mode "auto", "pinned", or "" (progressive)
 * @param {boolean} facts.proxied
 * @returns {string}
 */
export function playingText({ format, label, width, height, mode, proxied }) {
  const size = width ? ` (${width}×${height})` : "";
  const parts = [
    NAMES[format],
    label ? `${labelText(label)}${size}` : "",
    mode,
    proxied ? "via the Jupyter server" : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

/**
 * The size a rendition is coded at: the stream's track says it (a manifest's width and
 * height); the element's own size is the displayed one, which a sample aspect ratio widens
 * (an 854x480 source's 360p is coded 640x360 and shown 641 wide), so it is the fallback.
 *
 * @param {{ width: number, height: number } | null} track
 * @param {{ videoWidth: number, videoHeight: number }} video
 * @returns {{ width: number, height: number }}
 */
export function codedSize(track, video) {
  if (track && track.width && track.height) return { width: track.width, height: track.height };
  return { width: video.videoWidth, height: video.videoHeight };
}

/** @type {Record<string, number>} */
const SEEK = { ArrowLeft: -5, ArrowRight: 5 };

/**
 * Where an arrow key moves a video: 5 s back or on, within the video; `null` for other keys.
 *
 * @param {string} key
 * @param {number} at the current time
 * @param {number} duration
 * @returns {number | null}
 */
export function seekBy(key, at, duration) {
  const step = SEEK[key];
  if (step === undefined) return null;
  const end = Number.isFinite(duration) ? duration : Infinity;
  return Math.max(0, Math.min(end, at + step));
}
