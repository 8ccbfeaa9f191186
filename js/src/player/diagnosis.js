// When something fails, the URL is probed before anything is said: media that answers but
// does not play is the browser's limit ("cannot play FORMAT"); media that does not answer is
// gone or unreachable.

import { where } from "./urls.js";

/**
 * @typedef {{ ok: true, status: number } | { ok: false, status: number, reason: string }} Probe
 */

/**
 * @typedef {(url: string, init: RequestInit) => Promise<{ ok: boolean, status: number }>} Fetch
 */

/**
 * Why an answer of HTTP `status` means the media is not there.
 *
 * @param {number} status
 * @param {string} url
 * @param {boolean} proxied
 * @returns {string}
 */
export function statusReason(status, url, proxied) {
  if (status === 404 || status === 410) {
    return `HTTP ${status} for ${where(url)} (the file was deleted?)`;
  }
  if (proxied && status >= 500) {
    return `the Jupyter server's proxy answered HTTP ${status} for ${where(url)} (is the server behind it still running?)`;
  }
  return `HTTP ${status} for ${where(url)}`;
}

/**
 * @param {string} url
 * @returns {string}
 */
function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Ask for the first byte: the media is there (the browser cannot play it) or it is not.
 *
 * @param {string} url
 * @param {boolean} proxied
 * @param {Fetch} [fetcher]
 * @returns {Promise<Probe>}
 */
export async function probe(url, proxied, fetcher = fetch) {
  try {
    const reply = await fetcher(url, { headers: { Range: "bytes=0-0" }, cache: "no-store" });
    if (reply.ok) return { ok: true, status: reply.status };
    return { ok: false, status: reply.status, reason: statusReason(reply.status, url, proxied) };
  } catch {
    const reason = proxied
      ? `no answer from the Jupyter server's proxy for ${where(url)}`
      : `no answer from ${hostOf(url)} (the server stopped, or refused the connection)`;
    return { ok: false, status: 0, reason };
  }
}

/**
 * A failure in a few words: shaka-player's errors by their code, others by their message.
 *
 * @param {unknown} error
 * @returns {string}
 */
export function describeError(error) {
  if (!error) return "";
  const e = /** @type {{ code?: unknown, category?: unknown, message?: unknown }} */ (error);
  if (typeof e.code === "number" && typeof e.category === "number") {
    return `shaka-player error ${e.code}`;
  }
  return String(e.message || error);
}

/**
 * The URL a shaka-player error names: a network error's (category 1) first datum, else `url`.
 *
 * @param {unknown} detail
 * @param {string} url
 * @returns {string}
 */
export function failedUrl(detail, url) {
  const d = /** @type {{ category?: unknown, data?: unknown[] } | null} */ (detail);
  const network = d && d.category === 1 && d.data && typeof d.data[0] === "string";
  return network && d.data ? String(d.data[0]) : url;
}

/**
 * What a media element's error says: "media error 4: ...".
 *
 * @param {{ code: number, message: string } | null} err
 * @returns {string}
 */
export function mediaErrorText(err) {
  if (!err) return "";
  return `media error ${err.code}${err.message ? `: ${err.message}` : ""}`;
}
