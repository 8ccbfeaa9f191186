// One controller per widget model in this page: it keeps the File objects chosen here, runs
// the transfers the kernel asks for, and handles every message of the page protocol
// (protocol.js). The kernel initiates each upload and keeps the keys: this page only ever gets
// the ticket URL of one upload at a time, in a custom message (never in a synced trait).
//   direct (direct.js): XMLHttpRequest POST of FormData {file} to the ticket URL.
//   relay (relay.js): File.slice chunks as binary buffers of custom messages, at most
//     `window` waiting for the kernel's acknowledgement.
// Views (view.js) draw what the controller holds and call add, cancel and retry.

import { KERNEL, LIMITS, PAGE, PROBE, TIMING, toKernel } from "./protocol.js";
import { startDirect } from "./direct.js";
import { startRelay } from "./relay.js";
import { listen } from "../common/model.js";

/** @import { AnyModel } from "@anywidget/types" */
/** @import { PageEnv, PageFile } from "./env.js" */
/** @import { Message } from "./protocol.js" */

/**
 * @typedef {object} Row one upload as the kernel's `rows` trait describes it
 * @property {string} id
 * @property {string} key
 * @property {string} page
 * @property {string} phase
 * @property {string} name
 * @property {number} size
 * @property {string} transport
 * @property {number} progress
 * @property {string} detail
 * @property {string} note
 * @property {string} error
 * @property {string} message
 * @property {boolean} can_cancel
 * @property {boolean} can_retry
 * @property {string} file_code
 * @property {string} duration
 */

/**
 * @typedef {object} DropzoneState the widget's synced traits that the front end reads
 * @property {string} _uid
 * @property {Row[]} rows
 * @property {boolean} multiple
 * @property {string} accept
 * @property {string} transport
 * @property {string} notice
 * @property {Record<string, DataView>} thumbnails
 */

/** @typedef {AnyModel<DropzoneState>} DropzoneModel */

/**
 * @typedef {object} DirectTransfer a POST running in this page
 * @property {"direct"} kind
 * @property {string} tid
 * @property {string} key
 * @property {number} sent bytes of the file sent, as the browser reports
 * @property {number} total
 * @property {boolean} stopped
 * @property {() => void} stop
 */

/**
 * @typedef {object} RelayTransfer chunks this page sends to the kernel
 * @property {"relay"} kind
 * @property {string} tid
 * @property {string} key
 * @property {number} sent bytes the kernel acknowledged
 * @property {number} queued bytes handed to the channel
 * @property {number} heard when the kernel last acknowledged (or the start)
 * @property {number} total
 * @property {boolean} stopped
 * @property {() => void} stop
 * @property {(offset: unknown) => void} ack
 */

/** @typedef {DirectTransfer | RelayTransfer} Transfer */

/**
 * @typedef {object} Controller
 * @property {string} page this page's id in the protocol
 * @property {string} secret the secret of this page's welcome ("" until it comes)
 * @property {Array<[Message, ArrayBuffer[] | undefined]>} waiting posted before the welcome
 * @property {PageEnv} env
 * @property {Map<string, PageFile>} files key -> file chosen in this page
 * @property {Map<string, {name: string, size: number, since: number}>} pending sent, no row yet
 * @property {Map<string, Transfer>} live tid -> transfer in this page
 * @property {Map<string, number>} answers key -> when a direct answer went to the kernel
 * @property {Set<() => void>} views each view's redraw
 * @property {boolean} busy the kernel's last tick said a cell runs
 * @property {number} lastTick
 * @property {number} lastSent when this page last sent the kernel a message
 * @property {string} lost why this page stopped sending ("" while it has not)
 * @property {(list: Iterable<PageFile> | ArrayLike<PageFile> | null) => void} add
 * @property {(row: Row) => void} cancel
 * @property {(row: Row) => void} retry
 * @property {(row: Row) => boolean} holds whether this page holds the row's file
 * @property {(row: Row) => Transfer | null} transferOf
 * @property {boolean | null} buffersReach whether binary buffers reach the kernel (null: unknown)
 * @property {() => boolean | null} buffers the same, for views
 * @property {(content: Message, buffers?: ArrayBuffer[]) => boolean} post
 * @property {(tid: string, reason: string, message: string, sent?: number) => void} fail
 * @property {() => void} changed
 * @property {() => void} dispose
 */

/**
 * What the kernel's messages do to this page's controller, by type; `mine`: the message
 * names this page.
 *
 * @type {Map<unknown, (ctl: Controller, msg: any, mine: boolean) => void>}
 */
const ON_KERNEL = new Map([
  [
    KERNEL.TICK,
    (ctl, msg) => {
      ctl.busy = Boolean(msg.busy);
      ctl.lastTick = ctl.env.now();
    },
  ],
  [
    KERNEL.WELCOME,
    (ctl, msg, mine) => {
      if (!mine) return;
      ctl.buffersReach = Boolean(msg.buffers);
      if (ctl.secret || typeof msg.secret !== "string" || !msg.secret) return;
      ctl.secret = msg.secret; // the one welcome of this page: a later one changes nothing
      for (const [content, buffers] of ctl.waiting.splice(0)) ctl.post(content, buffers);
    },
  ],
  [
    KERNEL.DIRECT,
    (ctl, msg, mine) => {
      if (!mine) return;
      ctl.lastTick = ctl.env.now();
      startDirect(ctl, msg);
    },
  ],
  [
    KERNEL.RELAY,
    (ctl, msg, mine) => {
      if (!mine) return;
      ctl.lastTick = ctl.env.now();
      startRelay(ctl, msg);
    },
  ],
  [
    KERNEL.ACK,
    (ctl, msg) => {
      const t = ctl.live.get(msg.tid);
      if (t && t.kind === "relay") t.ack(msg.offset);
    },
  ],
  [
    KERNEL.STOP,
    (ctl, msg, mine) => {
      const t = ctl.live.get(msg.tid);
      if (t) t.stop();
      else if (mine) ctl.post(toKernel.stopped(msg.tid));
    },
  ],
]);

/**
 * Take one message from the kernel; anything not an object is ignored.
 *
 * @param {Controller} ctl
 * @param {any} msg
 */
function onKernel(ctl, msg) {
  if (!msg || typeof msg !== "object") return;
  const busy = ctl.busy;
  const handle = ON_KERNEL.get(msg.type);
  if (handle) handle(ctl, msg, msg.page === ctl.page);
  // The kernel's rows redraw the progress. An ack alone changes nothing shown, nor does a
  // tick unless a cell started or ended: a tick comes every second, during a direct POST too.
  if (msg.type === KERNEL.ACK || (msg.type === KERNEL.TICK && ctl.busy === busy)) return;
  ctl.changed();
}

/**
 * The kernel went away (restart, shutdown, widget closed) or the page is going: stop
 * sending. A relayed body is cut off with the kernel's connection; a direct POST is aborted
 * here. Nothing is stored.
 *
 * @param {Controller} ctl
 * @param {string} why
 */
function lose(ctl, why) {
  if (ctl.lost) return;
  for (const t of ctl.live.values()) t.stop();
  ctl.lost = why;
  ctl.changed();
}

/**
 * The files a person chose or dropped, sent to the kernel in one `add` message.
 *
 * @param {Controller} ctl
 * @param {DropzoneModel} model
 * @param {Iterable<PageFile> | ArrayLike<PageFile> | null} list
 */
function addFiles(ctl, model, list) {
  let chosen = Array.from(list || []);
  if (!model.get("multiple")) chosen = chosen.slice(0, 1);
  if (!chosen.length || ctl.lost) return;
  const entries = chosen.map((file) => {
    const key = ctl.env.randomId(LIMITS.KEY_BYTES);
    ctl.files.set(key, file);
    ctl.pending.set(key, { name: file.name, size: file.size, since: ctl.env.now() });
    return { key, name: file.name, size: file.size, mime: file.type || "" };
  });
  ctl.post(toKernel.add(ctl.page, entries));
  ctl.changed();
}

/**
 * The heartbeat: `alive` while anything is under way, and the end of a kernel silent too long
 * during a transfer.
 *
 * @param {Controller} ctl
 */
function beat(ctl) {
  const quiet = ctl.env.now() - ctl.lastSent >= TIMING.ALIVE_MS;
  if ((ctl.live.size || ctl.pending.size) && quiet) ctl.post(toKernel.alive(ctl.page));
  const silence = ctl.env.now() - ctl.lastTick;
  if (ctl.live.size && ctl.lastTick && silence > TIMING.KERNEL_SILENCE_MS) {
    const seconds = TIMING.KERNEL_SILENCE_MS / 1000;
    lose(ctl, `no word from the kernel for ${seconds} s (restarted or stopped?)`);
  }
  // Time-based notes ("waiting for the kernel") can change only while a relay runs, a file
  // waits for its row or an answer waits to be read: otherwise the area is not redrawn (a
  // direct POST redraws itself as it goes, and an idle area has nothing to change).
  const relaying = [...ctl.live.values()].some((t) => t.kind === "relay");
  if (relaying || ctl.pending.size || ctl.answers.size) ctl.changed();
}

/**
 * The rows the kernel lists end the pending lines of this page's files, and answers of
 * uploads that moved on are no longer waited for.
 *
 * @param {Controller} ctl
 * @param {Row[]} rows
 */
function onRows(ctl, rows) {
  for (const row of rows) {
    if (row.page === ctl.page) ctl.pending.delete(row.key);
    if (row.phase !== "uploading") ctl.answers.delete(row.key);
  }
  ctl.changed();
}

/**
 * A controller of `model` in this page, not yet listening.
 *
 * @param {DropzoneModel} model
 * @param {PageEnv} env
 * @returns {Controller}
 */
function newController(model, env) {
  /** @type {Controller} */
  const ctl = {
    page: env.randomId(),
    secret: "",
    waiting: [],
    env,
    files: new Map(),
    pending: new Map(),
    live: new Map(),
    answers: new Map(),
    views: new Set(),
    busy: false,
    lastTick: 0,
    lastSent: 0,
    lost: "",
    buffersReach: null,
    add: (list) => addFiles(ctl, model, list),
    cancel: (row) => void ctl.post(toKernel.cancel(row.id, ctl.page)),
    retry: (row) => void ctl.post(toKernel.retry(row.id, ctl.page)),
    holds: (row) => row.page === ctl.page && ctl.files.has(row.key),
    transferOf(row) {
      for (const t of ctl.live.values()) if (t.key === row.key && row.page === ctl.page) return t;
      return null;
    },
    buffers: () => ctl.buffersReach,
    post(content, buffers) {
      if (ctl.lost) return false;
      const greeting = content.type === PAGE.HELLO;
      if (!greeting && !ctl.secret) {
        // Before the welcome the kernel knows no file of this page: nothing to keep alive or
        // to say goodbye to; the rest goes once the welcome names this page's secret.
        if (content.type === PAGE.ALIVE || content.type === PAGE.BYE) return false;
        ctl.waiting.push([content, buffers]);
        return true;
      }
      try {
        model.send(greeting ? content : { ...content, secret: ctl.secret }, undefined, buffers);
        ctl.lastSent = ctl.env.now();
        return true;
      } catch {
        return false;
      }
    },
    fail(tid, reason, message, sent = 0) {
      ctl.post(toKernel.failed(tid, sent, reason, message));
    },
    changed() {
      for (const draw of ctl.views) draw();
    },
    dispose: () => {},
  };
  return ctl;
}

/**
 * The controller of `model` in this page: listening, beating and greeted (`hello`).
 *
 * @param {DropzoneModel} model
 * @param {PageEnv} env
 * @returns {Controller}
 */
export function createController(model, env) {
  const ctl = newController(model, env);
  const gone = () =>
    lose(ctl, "the kernel no longer serves this upload area (restarted, shut down or closed)");
  const unlisten = listen(model, [
    ["msg:custom", (msg) => onKernel(ctl, msg)],
    ["change:rows", () => onRows(ctl, model.get("rows") || [])],
    ["comm_live_update", gone],
    ["comm:close", gone],
  ]);
  const stopHide = env.onPageHide(() => {
    ctl.post(toKernel.bye(ctl.page));
    lose(ctl, "this page is closing");
  });
  const stopBeat = env.every(() => beat(ctl), TIMING.ALIVE_MS / 3);
  ctl.dispose = () => {
    stopBeat();
    stopHide();
    for (const t of ctl.live.values()) t.stop();
    unlisten();
  };
  ctl.lastTick = env.now();
  if (!ctl.post(toKernel.hello(ctl.page), [new Uint8Array(PROBE).buffer])) {
    ctl.buffersReach = false;
  }
  return ctl;
}
