// direct: this page POSTs the file to the ticket URL itself (multipart field `file`) and tells
// the kernel its upload progress, then the upload server's answer. No byte goes through the
// kernel.

import { FAILURE, LIMITS, TIMING, toKernel } from "./protocol.js";
import { isLoopbackHost } from "../common/loopback.js";

/** @import { Controller, DirectTransfer } from "./controller.js" */
/** @import { Request } from "./env.js" */

/**
 * Can this page POST to `url` itself? Not to a loopback host unless the page is on one too
 * (the upload server would be the person's own machine, not the kernel's), and not plain HTTP
 * from an HTTPS page (mixed content is blocked).
 *
 * @param {string} url
 * @param {{ hostname: string, protocol: string }} location the page's
 * @returns {{ ok: boolean, why: string }}
 */
export function reachable(url, location) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, why: "the upload server's URL is not valid" };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return { ok: false, why: "the upload server's URL is not http(s)" };
  }
  if (isLoopbackHost(u.hostname) && !isLoopbackHost(location.hostname)) {
    return { ok: false, why: "the upload server is on the kernel's own machine (loopback)" };
  }
  if (location.protocol === "https:" && u.protocol === "http:") {
    return { ok: false, why: "this page is HTTPS and the upload server plain HTTP" };
  }
  return { ok: true, why: "" };
}

/**
 * Whether to tell the kernel how far the POST is: PROGRESS_MS after the last report (or the
 * start), unless the answer will come first at the rate so far; a report the answer overtakes
 * tells the kernel nothing, and costs the POST a little.
 *
 * @param {number} loaded bytes of the request body sent
 * @param {number} total bytes of the request body
 * @param {number} elapsed milliseconds since the POST started
 * @param {number} quiet milliseconds since the last report (or the start)
 * @returns {boolean}
 */
export function reportDue(loaded, total, elapsed, quiet) {
  if (quiet < TIMING.PROGRESS_MS) return false;
  if (loaded <= 0 || elapsed <= 0) return true;
  const left = ((total - loaded) * elapsed) / loaded; // milliseconds, at the rate so far
  return left >= TIMING.PROGRESS_MS;
}

/**
 * Tell the kernel how the POST goes: its progress (see `reportDue`), the upload server's
 * answer, a network failure, a stop obeyed. This page redraws its own progress more often
 * (at most every DRAW_MS). Each message makes the kernel busy for a moment, which the whole
 * of JupyterLab redraws for, on the same cores as the POST: they are kept few.
 *
 * @param {Controller} ctl
 * @param {Request} xhr
 * @param {DirectTransfer} t
 */
function follow(ctl, xhr, t) {
  const { env, live } = ctl;
  const start = env.now();
  let loaded = 0; // of the request body, as the browser counts it
  let reported = start;
  let drawn = -Infinity; // the first event is drawn, whatever the page's clock says
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable || e.total <= 0) return;
    loaded = Math.max(loaded, e.loaded);
    t.sent = Math.min(t.total, Math.round((e.loaded / e.total) * t.total));
    const now = env.now();
    if (reportDue(e.loaded, e.total, now - start, now - reported)) {
      reported = now;
      ctl.post(toKernel.progress(t.tid, t.sent));
    }
    if (now - drawn >= TIMING.DRAW_MS) {
      drawn = now;
      ctl.changed();
    }
  });
  xhr.addEventListener("load", () => {
    live.delete(t.tid);
    ctl.answers.set(t.key, env.now());
    const body = String(xhr.responseText || "").slice(0, LIMITS.BODY_CHARS);
    ctl.post(toKernel.result(t.tid, xhr.status, body));
    ctl.changed();
  });
  xhr.addEventListener("error", () => {
    live.delete(t.tid);
    const message = "the upload server could not be reached from this page (network or CORS)";
    ctl.fail(t.tid, FAILURE.NETWORK, message, loaded);
    ctl.changed();
  });
  xhr.addEventListener("abort", () => {
    live.delete(t.tid);
    if (t.stopped) ctl.post(toKernel.stopped(t.tid));
    ctl.changed();
  });
}

/**
 * Start the POST the kernel's `direct` message asks for.
 *
 * @param {Controller} ctl
 * @param {{ tid: string, key: string, url: string, name: string }} msg
 */
export function startDirect(ctl, msg) {
  const file = ctl.files.get(msg.key);
  if (!file) return ctl.fail(msg.tid, FAILURE.MISSING, "this page no longer holds the file");
  const reach = reachable(msg.url, ctl.env.location);
  if (!reach.ok) return ctl.fail(msg.tid, FAILURE.UNREACHABLE, reach.why);
  const xhr = ctl.env.request();
  /** @type {DirectTransfer} */
  const t = {
    kind: "direct",
    tid: msg.tid,
    key: msg.key,
    sent: 0,
    total: file.size,
    stopped: false,
    stop() {
      t.stopped = true;
      xhr.abort();
    },
  };
  ctl.live.set(msg.tid, t);
  follow(ctl, xhr, t);
  const form = ctl.env.form();
  form.append("file", file, msg.name);
  try {
    xhr.open("POST", msg.url);
    xhr.send(form);
  } catch (e) {
    ctl.live.delete(t.tid);
    ctl.fail(t.tid, FAILURE.NETWORK, `the browser refused the request: ${e}`);
  }
  ctl.changed();
}
