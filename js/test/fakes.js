// Fakes for driving the real front-end modules under node: a widget model, the browser's
// parts the upload area's controller uses (clock, heartbeat, pagehide, XMLHttpRequest,
// FormData), and files whose slices are read at once. Nothing here waits on time: the clock
// moves only when a test moves it, and the heartbeat beats only when a test says so.

import { LIMITS } from "../src/dropzone/protocol.js";

/** @import { AnyModel } from "@anywidget/types" */
/** @import { FormLike, PageEnv, PageFile, Request, UploadProgressEvent } from "../src/dropzone/env.js" */

/** @typedef {(...args: any[]) => void} Handler */

/**
 * A widget model as anywidget hands it to a front end: traits to get and set, events, and
 * custom messages both ways. What the front end sends is kept in `outbox`.
 *
 * @template {Record<string, any>} T
 * @implements {AnyModel<T>}
 */
export class FakeModel {
  /** @param {T} state */
  constructor(state) {
    /** @type {T} */
    this.state = { ...state };
    /** @type {Map<string, Set<Handler>>} */
    this.handlers = new Map();
    /** @type {Array<{ content: any, buffers: ArrayBuffer[] }>} what the front end sent */
    this.outbox = [];
    /** @type {Array<Partial<T>>} what the front end saved, one entry per save_changes */
    this.saved = [];
    /** @type {Partial<T>} set but not yet saved */
    this.unsaved = {};
    /** @type {((content: any, buffers: ArrayBuffer[]) => void) | null} throws to refuse a send */
    this.refuse = null;
    this.widget_manager = {
      /** @returns {Promise<any>} */
      get_model: () => Promise.reject(new Error("no other models here")),
    };
  }

  /**
   * @template {keyof T} K
   * @param {K} key
   * @returns {T[K]}
   */
  get(key) {
    return this.state[key];
  }

  /**
   * The front end sets a trait (as a person's choice does); it fires `change:key`.
   *
   * @template {keyof T} K
   * @param {K} key
   * @param {T[K]} value
   */
  set(key, value) {
    this.state[key] = value;
    this.unsaved[key] = value;
    this.emit(`change:${String(key)}`);
  }

  save_changes() {
    this.saved.push(this.unsaved);
    this.unsaved = {};
  }

  /**
   * @param {string} eventName
   * @param {Handler} callback
   */
  on(eventName, callback) {
    const set = this.handlers.get(eventName) || new Set();
    set.add(callback);
    this.handlers.set(eventName, set);
  }

  /**
   * @param {string | null} [eventName]
   * @param {Handler | null} [callback]
   */
  off(eventName, callback) {
    if (!eventName) {
      this.handlers.clear();
    } else if (!callback) {
      this.handlers.delete(eventName);
    } else {
      this.handlers.get(eventName)?.delete(callback);
    }
  }

  /**
   * @param {any} content
   * @param {any} [_callbacks]
   * @param {ArrayBuffer[] | ArrayBufferView[]} [buffers]
   */
  send(content, _callbacks, buffers) {
    const copies = (buffers || []).map((b) =>
      ArrayBuffer.isView(b) ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b,
    );
    const list = /** @type {ArrayBuffer[]} */ (copies);
    if (this.refuse) this.refuse(content, list);
    this.outbox.push({ content, buffers: list });
  }

  /**
   * Fire an event at the front end's listeners.
   *
   * @param {string} eventName
   * @param {...any} args
   */
  emit(eventName, ...args) {
    for (const fn of [...(this.handlers.get(eventName) || [])]) fn(...args);
  }

  /**
   * The kernel sends a custom message.
   *
   * @param {any} content
   * @param {ArrayBuffer[]} [buffers]
   */
  receive(content, buffers = []) {
    this.emit(
      "msg:custom",
      content,
      buffers.map((b) => new DataView(b)),
    );
  }

  /**
   * The kernel changes traits (one update, then a change event for each).
   *
   * @param {Partial<T>} changes
   */
  update(changes) {
    Object.assign(this.state, changes);
    for (const key of Object.keys(changes)) this.emit(`change:${key}`);
  }

  /** @returns {number} how many listeners are attached, all events together */
  listeners() {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }

  /** @returns {Array<{ content: any, buffers: ArrayBuffer[] }>} what was sent since the last take */
  take() {
    return this.outbox.splice(0);
  }
}

/** Let every pending promise callback run (no timers involved: fakes resolve at once). */
export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A request the test answers: it records what the page asked and fires the events a browser
 * would, synchronously, as `abort()` does in browsers.
 *
 * @implements {Request}
 */
export class FakeRequest {
  /** @param {{ refuse?: string }} [options] `refuse`: `send` throws this message */
  constructor(options = {}) {
    /** @type {Map<string, Array<() => void>>} */
    this.listeners = new Map();
    /** @type {Array<(e: UploadProgressEvent) => void>} */
    this.progressListeners = [];
    this.upload = {
      /**
       * @param {"progress"} _type
       * @param {(e: UploadProgressEvent) => void} fn
       */
      addEventListener: (_type, fn) => void this.progressListeners.push(fn),
    };
    this.status = 0;
    this.responseText = "";
    /** @type {{ method: string, url: string } | null} */
    this.opened = null;
    /** @type {FormLike | null} */
    this.body = null;
    this.aborted = false;
    this.refuse = options.refuse || "";
  }

  /**
   * @param {"load" | "error" | "abort"} type
   * @param {() => void} fn
   */
  addEventListener(type, fn) {
    this.listeners.set(type, [...(this.listeners.get(type) || []), fn]);
  }

  /**
   * @param {string} method
   * @param {string} url
   */
  open(method, url) {
    this.opened = { method, url };
  }

  /** @param {FormLike} body */
  send(body) {
    if (this.refuse) throw new Error(this.refuse);
    this.body = body;
  }

  abort() {
    this.aborted = true;
    this.fire("abort");
  }

  /** @param {string} type */
  fire(type) {
    for (const fn of this.listeners.get(type) || []) fn();
  }

  /**
   * The browser reports upload progress.
   *
   * @param {number} loaded
   * @param {number} total
   * @param {boolean} [lengthComputable]
   */
  progress(loaded, total, lengthComputable = true) {
    for (const fn of this.progressListeners) fn({ lengthComputable, loaded, total });
  }

  /**
   * The upload server answers.
   *
   * @param {number} status
   * @param {string} body
   */
  answer(status, body) {
    this.status = status;
    this.responseText = body;
    this.fire("load");
  }
}

/** @implements {FormLike} */
export class FakeForm {
  constructor() {
    /** @type {Array<[string, PageFile, string]>} */
    this.fields = [];
  }

  /**
   * @param {string} name
   * @param {PageFile} file
   * @param {string} filename
   */
  append(name, file, filename) {
    this.fields.push([name, file, filename]);
  }
}

/**
 * A chosen file of `size` bytes (byte i is i % 256). `failAt`: reading the slice that starts
 * there fails, as when the file changed or vanished on the disk.
 *
 * @param {string} name
 * @param {number} size
 * @param {{ type?: string, failAt?: number }} [options]
 * @returns {PageFile & { reads: number[] }}
 */
export function fakeFile(name, size, options = {}) {
  /** @type {number[]} */
  const reads = [];
  return {
    name,
    size,
    type: options.type ?? "video/mp4",
    reads,
    slice(start, end) {
      return {
        arrayBuffer() {
          reads.push(start);
          if (start === options.failAt) return Promise.reject(new Error("NotReadableError"));
          const bytes = Uint8Array.from({ length: end - start }, (_, i) => (start + i) % 256);
          return Promise.resolve(bytes.buffer);
        },
      };
    },
  };
}

/**
 * The browser, faked: a clock that moves when `advance` says, a heartbeat that beats when
 * `beat` says, a page that goes when `hide` says, and the requests the page made.
 *
 * @param {{ hostname?: string, protocol?: string, start?: number }} [page]
 */
export function fakeBrowser(page = {}) {
  let time = page.start ?? 1000; // a page's clock is never 0 once it runs
  let ids = 0;
  /** @type {Set<() => void>} */
  const beats = new Set();
  /** @type {Set<() => void>} */
  const hides = new Set();
  /** @type {FakeRequest[]} */
  const requests = [];
  /** @type {{ refuse?: string }} */
  const nextRequest = {};
  /** @type {PageEnv} */
  const env = {
    now: () => time,
    every(fn) {
      beats.add(fn);
      return () => beats.delete(fn);
    },
    onPageHide(fn) {
      hides.add(fn);
      return () => hides.delete(fn);
    },
    request() {
      const request = new FakeRequest({ ...nextRequest });
      requests.push(request);
      return request;
    },
    form: () => new FakeForm(),
    location: { hostname: page.hostname ?? "127.0.0.1", protocol: page.protocol ?? "http:" },
    randomId: (bytes = 9) => `${bytes === LIMITS.KEY_BYTES ? "key" : "page"}${++ids}`,
  };
  return {
    env,
    requests,
    nextRequest,
    /** @param {number} ms */
    advance(ms) {
      time += ms;
    },
    beat() {
      for (const fn of [...beats]) fn();
    },
    hide() {
      for (const fn of [...hides]) fn();
    },
    beating: () => beats.size,
    hiding: () => hides.size,
  };
}

/**
 * @param {ArrayBuffer} buffer
 * @returns {string} its bytes in hex
 */
export function hex(buffer) {
  return Buffer.from(buffer).toString("hex");
}
