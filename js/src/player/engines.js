// How a format plays in the <video>. Each engine: load(url, label), pin(label),
// labels() -> the stream's rendition labels, active() -> what plays, destroy().
// - progressive (MP4, WebM): the rendition's file, in the element itself;
// - mse (HLS, DASH): Media Source Extensions through shaka-player;
// - native (HLS where the browser has it but no Media Source Extensions): pinning a
//   rendition loads that rendition's own playlist.

import { library } from "./library.js";
import { parseMaster, pickTrack } from "./formats.js";

/** @import { AnyModel } from "@anywidget/types" */
/** @import { EngineKind, Variant } from "./formats.js" */

/**
 * @typedef {object} Engine
 * @property {EngineKind} kind
 * @property {(url: string, label: string) => Promise<void>} load
 * @property {(label: string) => void} pin
 * @property {() => string[]} labels
 * @property {() => { label: string, width: number, height: number } | null} active
 * @property {() => void | Promise<void>} destroy
 */

/**
 * @typedef {object} EngineHooks
 * @property {() => void} onChange what plays changed
 * @property {(detail: unknown) => void} onError the library failed
 */

/**
 * @param {HTMLVideoElement} video
 * @returns {Engine}
 */
export function progressiveEngine(video) {
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

/**
 * @param {AnyModel<any>} model
 * @param {HTMLVideoElement} video
 * @param {EngineHooks} hooks
 * @returns {Promise<Engine>}
 */
export async function mseEngine(model, video, hooks) {
  const shaka = await library(model);
  const player = new shaka.Player();
  await player.attach(video);
  player.configure({ streaming: { preferNativeHls: false } });
  player.addEventListener("error", (event) => hooks.onError(event.detail));
  for (const name of ["adaptation", "variantchanged", "trackschanged"]) {
    player.addEventListener(name, () => hooks.onChange());
  }
  const tracks = () => player.getVariantTracks().filter((t) => t.height);
  /** @type {Engine} */
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
    labels: () =>
      [...new Set(tracks().map((t) => String(t.height)))].sort((a, b) => Number(b) - Number(a)),
    active() {
      const track = tracks().find((t) => t.active);
      return track
        ? { label: String(track.height), width: track.width, height: track.height }
        : null;
    },
    destroy() {
      return player.destroy();
    },
  };
  return engine;
}

/**
 * @param {HTMLVideoElement} video
 * @param {typeof fetch} [fetcher]
 * @returns {Engine}
 */
export function nativeHlsEngine(video, fetcher = fetch) {
  let master = "";
  /** @type {Variant[]} */
  let variants = [];
  /** @type {Engine} */
  const engine = {
    kind: "native",
    async load(url, label) {
      master = url;
      try {
        const reply = await fetcher(url, { cache: "no-store" });
        variants = reply.ok ? parseMaster(await reply.text(), url) : [];
      } catch {
        variants = []; // the element reports what it finds; pinning is then unavailable
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
    },
  };
  return engine;
}
