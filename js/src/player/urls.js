// Where the player fetches media from. A URL on a loopback host (the local emulator) is
// unreachable from a browser on another machine (Binder, JupyterHub), so it is routed through
// the Jupyter server with jupyter-server-proxy: {baseUrl}proxy/{host:}port/path.

import { isLoopbackHost } from "../common/loopback.js";

/**
 * @typedef {object} PageFacts what the routing needs to know of this page
 * @property {{ hostname: string, protocol: string, origin: string }} location
 * @property {string} baseURI
 * @property {string | null} config the text of #jupyter-config-data, if the page has it
 */

/** @returns {PageFacts} this page's, read now */
export function currentPage() {
  const data = document.getElementById("jupyter-config-data");
  return {
    location: window.location,
    baseURI: document.baseURI,
    config: data ? data.textContent : null,
  };
}

/**
 * The Jupyter server's base URL: from its config data, else guessed from the page's path.
 *
 * @param {PageFacts} page
 * @returns {string}
 */
export function jupyterBaseUrl(page) {
  if (page.config !== null) {
    try {
      const base = JSON.parse(page.config || "{}").baseUrl;
      if (base) return new URL(base, page.location.origin).href;
    } catch {
      // fall through to the path heuristics
    }
  }
  const path = new URL(page.baseURI).pathname;
  const m = path.match(/^(.*?\/)(lab|notebooks|tree|doc|edit|voila|retro)(\/|$)/);
  return new URL(m ? m[1] : "/", page.location.origin).href;
}

/**
 * `src` through the Jupyter server's proxy.
 *
 * @param {string} src
 * @param {PageFacts} [page]
 * @returns {string}
 */
export function proxiedUrl(src, page = currentPage()) {
  const u = new URL(src);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const host = u.hostname.replace(/^\[|\]$/g, "");
  // jupyter-server-proxy: "proxy/PORT" goes to localhost; "proxy/127.0.0.1:PORT" names the
  // address the emulator listens on (in the proxy's default host allowlist).
  const target = /^127\./.test(host) ? `${host}:${port}` : port;
  return `${jupyterBaseUrl(page)}proxy/${target}${u.pathname}${u.search}${u.hash}`;
}

/**
 * The URL to play `src` from, by the `proxy` trait ("auto", "always", "never").
 *
 * @param {string} src
 * @param {string} mode
 * @param {PageFacts} [page]
 * @returns {{ url: string, proxied: boolean }}
 */
export function playableUrl(src, mode, page = currentPage()) {
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

/**
 * host:port/path of a URL, the proxied one named by what it proxies.
 *
 * @param {string} url
 * @returns {string}
 */
export function where(url) {
  try {
    const u = new URL(url);
    const m = u.pathname.match(/\/proxy\/(\d+\.\d+\.\d+\.\d+:\d+|\d+)(\/.*)$/);
    if (m) return `${m[1].includes(":") ? m[1] : `localhost:${m[1]}`}${m[2]}`;
    return `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}
