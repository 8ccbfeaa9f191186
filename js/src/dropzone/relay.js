// relay: this page sends the file as File.slice chunks, each the one binary buffer of a
// custom message, with at most `window` chunks waiting for the kernel's acknowledgement; the
// kernel streams them into its own POST.

import { FAILURE, LIMITS, toKernel } from "./protocol.js";

/** @import { Controller, RelayTransfer } from "./controller.js" */
/** @import { PageFile } from "./env.js" */

/**
 * Send the file's chunks, each read while the one before goes out, at most `windowSize`
 * unacknowledged; `waitForAck` resolves at the next ack or stop. Ends with the file sent, a
 * stop (said with `stopped`), a failure (said with `failed`), or the page lost.
 *
 * @param {Controller} ctl
 * @param {RelayTransfer} t
 * @param {PageFile} file
 * @param {number} chunk
 * @param {number} windowSize
 * @param {() => Promise<void>} waitForAck
 */
async function pump(ctl, t, file, chunk, windowSize, waitForAck) {
  /** @param {number} a */
  const slice = (a) => file.slice(a, Math.min(a + chunk, file.size)).arrayBuffer();
  const going = () => !t.stopped && !ctl.lost;
  let offset = 0;
  let next = slice(0);
  while (offset < file.size && going()) {
    while (going() && offset - t.sent >= chunk * windowSize) await waitForAck();
    if (!going()) break;
    let buffer;
    try {
      buffer = await next;
    } catch (e) {
      ctl.live.delete(t.tid);
      ctl.fail(t.tid, FAILURE.READ, `the browser could not read the file: ${e}`, offset);
      break;
    }
    const end = offset + buffer.byteLength;
    next = end < file.size ? slice(end) : Promise.resolve(new ArrayBuffer(0));
    if (!ctl.post(toKernel.chunk(t.tid, offset), [buffer])) {
      ctl.live.delete(t.tid);
      const message = "this front end cannot send binary data to the kernel";
      ctl.fail(t.tid, FAILURE.BUFFERS, message, offset);
      break;
    }
    offset = end;
    t.queued = end;
  }
  if (t.stopped) ctl.post(toKernel.stopped(t.tid));
  ctl.changed();
}

/**
 * Start sending the chunks the kernel's `relay` message asks for.
 *
 * @param {Controller} ctl
 * @param {{ tid: string, key: string, chunk: unknown, window: unknown }} msg
 */
export function startRelay(ctl, msg) {
  const { env, live } = ctl;
  const file = ctl.files.get(msg.key);
  if (!file) return ctl.fail(msg.tid, FAILURE.MISSING, "this page no longer holds the file");
  const chunk = Math.max(1, Number(msg.chunk) || LIMITS.CHUNK_BYTES);
  const windowSize = Math.max(1, Number(msg.window) || LIMITS.WINDOW);
  /** @type {(() => void) | null} */
  let wake = null;
  const rouse = () => {
    const w = wake;
    wake = null;
    if (w) w();
  };
  /** @type {RelayTransfer} */
  const t = {
    kind: "relay",
    tid: msg.tid,
    key: msg.key,
    sent: 0,
    queued: 0,
    heard: env.now(),
    total: file.size,
    stopped: false,
    ack(offset) {
      t.heard = env.now();
      if (typeof offset === "number" && offset > t.sent) t.sent = Math.min(offset, file.size);
      if (t.sent >= file.size) live.delete(t.tid);
      rouse();
    },
    stop() {
      t.stopped = true;
      live.delete(t.tid);
      rouse();
    },
  };
  live.set(msg.tid, t);
  /** @returns {Promise<void>} */
  const waitForAck = () =>
    new Promise((resolve) => {
      wake = () => resolve();
    });
  pump(ctl, t, file, chunk, windowSize, waitForAck);
  ctl.changed();
}
