// What the controller needs of the browser, in one object, so that tests can hand it fakes
// (a clock they move, a request they answer) and drive the real controller under node.

import { randomId } from "../common/ids.js";

/**
 * @typedef {object} PageFile what the page needs of a chosen `File`
 * @property {string} name
 * @property {number} size
 * @property {string} type
 * @property {(start: number, end: number) => { arrayBuffer(): Promise<ArrayBuffer> }} slice
 */

/**
 * @typedef {object} UploadProgressEvent
 * @property {boolean} lengthComputable
 * @property {number} loaded
 * @property {number} total
 */

/**
 * @typedef {object} Request what the page needs of an `XMLHttpRequest`
 * @property {{ addEventListener(type: "progress", fn: (e: UploadProgressEvent) => void): void }}
 *   upload
 * @property {(type: "load" | "error" | "abort", fn: () => void) => void} addEventListener
 * @property {(method: string, url: string) => void} open
 * @property {(body: FormLike) => void} send
 * @property {() => void} abort
 * @property {number} status
 * @property {string} responseText
 */

/**
 * @typedef {object} FormLike what the page needs of a `FormData`
 * @property {(name: string, file: PageFile, filename: string) => void} append
 */

/**
 * @typedef {object} PageEnv
 * @property {() => number} now milliseconds, monotonic
 * @property {(fn: () => void, ms: number) => () => void} every call `fn` every `ms`; returns
 *   the function that stops it
 * @property {(fn: () => void) => () => void} onPageHide call `fn` when the page goes; returns
 *   the function that stops listening
 * @property {() => Request} request a new request
 * @property {() => FormLike} form a new form body
 * @property {{ hostname: string, protocol: string }} location where this page is
 * @property {(bytes?: number) => string} randomId
 */

/** @returns {PageEnv} the browser's own */
export function browserEnv() {
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
    request: () => /** @type {Request} */ (/** @type {unknown} */ (new XMLHttpRequest())),
    form: () => /** @type {FormLike} */ (/** @type {unknown} */ (new FormData())),
    location: window.location,
    randomId,
  };
}
