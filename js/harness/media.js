// Page-side helpers of tests/browser/harness.py for what a person looks at: images and
// videos. The harness sends this file's text with each call and runs one of its functions in
// the page, so each function must need nothing but this file and the page.

/**
 * @param {Element} root
 * @param {string} selector
 * @returns {HTMLImageElement[]}
 */
function images(root, selector) {
  return /** @type {HTMLImageElement[]} */ ([...root.querySelectorAll(selector)]);
}

/**
 * Whether `count` images (null: any, at least one) match under `root`, all loaded.
 *
 * @param {[Element, string, number | null]} args
 */
export function imagesLoaded([root, selector, count]) {
  const found = images(root, selector);
  if (count === null ? found.length === 0 : found.length !== count) return false;
  return found.every((i) => i.complete && i.naturalWidth > 0);
}

/**
 * Each matching image's state, for a timeout's message.
 *
 * @param {[Element, string]} args
 */
export function imagesState([root, selector]) {
  return images(root, selector).map((i) => ({
    src: i.currentSrc.slice(0, 60),
    complete: i.complete,
    naturalWidth: i.naturalWidth,
  }));
}

/** @param {[Element, string]} args */
export function countOf([root, selector]) {
  return root.querySelectorAll(selector).length;
}

/**
 * Whether the video has its metadata: readyState at least 1 and a finite duration.
 *
 * @param {HTMLVideoElement} v
 */
export function videoHasMetadata(v) {
  return v.readyState >= 1 && Number.isFinite(v.duration) && v.duration > 0;
}

/**
 * Where a video that did not load stands, for a timeout's message.
 *
 * @param {HTMLVideoElement} v
 */
export function videoLoadState(v) {
  return {
    src: v.currentSrc,
    readyState: v.readyState,
    networkState: v.networkState,
    error: v.error && `${v.error.code} ${v.error.message}`,
  };
}

/** @param {HTMLVideoElement} v */
export function videoFacts(v) {
  return {
    readyState: v.readyState,
    duration: v.duration,
    videoWidth: v.videoWidth,
    videoHeight: v.videoHeight,
    src: v.currentSrc,
  };
}
