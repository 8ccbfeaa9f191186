// shaka-player, asked of the kernel once per page (every player shares it): the kernel sends
// the vendored build in a binary message; nothing comes from a CDN.

/** @import { AnyModel } from "@anywidget/types" */

export const VENDOR = "__svWidgetsPlayerLibrary";
export const VENDOR_REQUEST = "vendor-request";
const VENDOR_REPLY = "vendor";

/**
 * @typedef {object} ShakaPlayer the parts of shaka.Player the player uses
 * @property {(video: HTMLVideoElement) => Promise<void>} attach
 * @property {(config: object) => void} configure
 * @property {(name: string, fn: (event: any) => void) => void} addEventListener
 * @property {() => Array<import("./formats.js").Track>} getVariantTracks
 * @property {(track: import("./formats.js").Track, clear: boolean) => void} selectVariantTrack
 * @property {(url: string) => Promise<void>} load
 * @property {() => Promise<void>} destroy
 */

/**
 * @typedef {object} Shaka the library's namespace
 * @property {new () => ShakaPlayer} Player
 * @property {{ installAll(): void }} polyfill
 */

/** @typedef {{ promise?: Promise<Shaka> | null }} Shared */

/**
 * Load the library's UMD build from its bytes, as a module.
 *
 * @param {ArrayBuffer | ArrayBufferView} bytes
 * @returns {Promise<Shaka>}
 */
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

/** @returns {Shared} what this page's players share */
export function shared() {
  const scope = /** @type {Record<string, Shared>} */ (/** @type {unknown} */ (globalThis));
  return scope[VENDOR] || (scope[VENDOR] = {});
}

/**
 * The library, asked of the kernel through `model` unless this page has it or asked already.
 *
 * @param {AnyModel<any>} model
 * @param {(bytes: ArrayBuffer | ArrayBufferView) => Promise<Shaka>} [load]
 * @returns {Promise<Shaka>}
 */
export function library(model, load = importLibrary) {
  const vendor = shared();
  if (!vendor.promise) {
    const promise = new Promise((resolve, reject) => {
      /**
       * @param {any} msg
       * @param {DataView[]} buffers
       */
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
