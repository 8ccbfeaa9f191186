// The upload area's page protocol, as this page speaks it: every message type both ways, the
// fields each carries, the reasons a page gives up, and the limits and timings it keeps. The
// controller spells no message type or field anywhere else. The declaration is the kernel's,
// in sv_widgets/uploads/_protocol.py (docs/wire-contract.md is written from it), and
// tests/uploads/test_protocol_front_end.py holds this module to it, both ways.

/** Messages the kernel sends to the page. */
export const KERNEL = Object.freeze({
  WELCOME: "welcome",
  DIRECT: "direct",
  RELAY: "relay",
  ACK: "ack",
  STOP: "stop",
  TICK: "tick",
});

/** Messages the page sends to the kernel. */
export const PAGE = Object.freeze({
  HELLO: "hello",
  ADD: "add",
  CANCEL: "cancel",
  RETRY: "retry",
  CHUNK: "chunk",
  PROGRESS: "progress",
  RESULT: "result",
  FAILED: "failed",
  STOPPED: "stopped",
  ALIVE: "alive",
  BYE: "bye",
});

/**
 * The fields of each message besides `type`, by sender: the page reads only these of the
 * kernel's, and sends exactly these of its own. Every page message after the hello carries
 * the `secret` of this page's welcome, which the controller adds as it posts.
 */
export const FIELDS = Object.freeze({
  kernel: Object.freeze({
    [KERNEL.WELCOME]: ["page", "secret", "buffers"],
    [KERNEL.DIRECT]: ["tid", "page", "key", "url", "name", "size", "fallback"],
    [KERNEL.RELAY]: ["tid", "page", "key", "name", "size", "chunk", "window"],
    [KERNEL.ACK]: ["tid", "offset"],
    [KERNEL.STOP]: ["tid", "page", "reason"],
    [KERNEL.TICK]: ["busy"],
  }),
  page: Object.freeze({
    [PAGE.HELLO]: ["page"],
    [PAGE.ADD]: ["page", "secret", "files"],
    [PAGE.CANCEL]: ["row", "page", "secret"],
    [PAGE.RETRY]: ["row", "page", "secret"],
    [PAGE.CHUNK]: ["tid", "secret", "offset"],
    [PAGE.PROGRESS]: ["tid", "secret", "sent"],
    [PAGE.RESULT]: ["tid", "secret", "status", "body"],
    [PAGE.FAILED]: ["tid", "secret", "sent", "reason", "message"],
    [PAGE.STOPPED]: ["tid", "secret"],
    [PAGE.ALIVE]: ["page", "secret"],
    [PAGE.BYE]: ["page", "secret"],
  }),
});

/** The fields of each file an `add` message lists. */
export const FILE_FIELDS = Object.freeze(["key", "name", "size", "mime"]);

/** Why the page gave up on an upload (`failed.reason`). */
export const FAILURE = Object.freeze({
  MISSING: "missing", // this page no longer holds the file
  UNREACHABLE: "unreachable", // the page cannot POST to the upload server (loopback, mixed)
  NETWORK: "network", // the POST failed on the network or CORS
  READ: "read", // the browser could not read the file
  BUFFERS: "buffers", // this front end cannot send binary buffers
});

/** "svz!" in the `hello` message's one buffer: proves binary buffers reach the kernel. */
export const PROBE = Object.freeze([115, 118, 122, 33]);

export const LIMITS = Object.freeze({
  BODY_CHARS: 65536, // of the upload server's answer, passed on in `result`
  CHUNK_BYTES: 1048576, // a relay's chunk when the kernel names none
  WINDOW: 1, // chunks unacknowledged at once when the kernel names none
  KEY_BYTES: 6, // random bytes of a file's key (a page id has 9)
});

export const TIMING = Object.freeze({
  WAIT_NOTE_MS: 1500, // unanswered this long: say that we wait for the kernel
  ALIVE_MS: 3000, // while uploads run: a heartbeat after this long without a message
  KERNEL_SILENCE_MS: 20000, // no tick this long while uploading: the kernel is gone
  PROGRESS_MS: 2000, // direct progress reports: this long apart, none the answer overtakes
  DRAW_MS: 500, // this page's own redraws of a direct upload's progress, at most this often
});

/**
 * @typedef {object} FileEntry a file of an `add` message
 * @property {string} key
 * @property {string} name
 * @property {number} size
 * @property {string} mime
 */

/**
 * @typedef {{ type: string, [field: string]: unknown }} Message
 */

// -- the page's messages, built in one place (the controller adds the secret) -------------

export const toKernel = Object.freeze({
  /** @param {string} page */
  hello: (page) => ({ type: PAGE.HELLO, page }),
  /** @param {string} page @param {FileEntry[]} files */
  add: (page, files) => ({ type: PAGE.ADD, page, files }),
  /** @param {string} row @param {string} page */
  cancel: (row, page) => ({ type: PAGE.CANCEL, row, page }),
  /** @param {string} row @param {string} page */
  retry: (row, page) => ({ type: PAGE.RETRY, row, page }),
  /** @param {string} tid @param {number} offset */
  chunk: (tid, offset) => ({ type: PAGE.CHUNK, tid, offset }),
  /** @param {string} tid @param {number} sent */
  progress: (tid, sent) => ({ type: PAGE.PROGRESS, tid, sent }),
  /** @param {string} tid @param {number} status @param {string} body */
  result: (tid, status, body) => ({ type: PAGE.RESULT, tid, status, body }),
  /** @param {string} tid @param {number} sent @param {string} reason @param {string} text */
  failed: (tid, sent, reason, text) => ({ type: PAGE.FAILED, tid, sent, reason, message: text }),
  /** @param {string} tid */
  stopped: (tid) => ({ type: PAGE.STOPPED, tid }),
  /** @param {string} page */
  alive: (page) => ({ type: PAGE.ALIVE, page }),
  /** @param {string} page */
  bye: (page) => ({ type: PAGE.BYE, page }),
});
