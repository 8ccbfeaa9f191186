// Replays a recorded conversation of the upload area against the real controller.
//
// A transcript (transcripts/*.json) is the page protocol as both ends see it, in order, plus
// what happened around the page:
//   {"kernel": MESSAGE, "buffers": [HEX]}  the kernel sends MESSAGE to the page
//   {"page": MESSAGE, "buffers": [HEX]}    the page must send exactly MESSAGE next
//   {"traits": {...}}                      the kernel changes synced traits (rows, ...)
// The kernel's end (tests/uploads/test_transcripts.py) replays these three and ignores the
// rest, which only the page sees (a transcript of the page alone says why in
// "kernel_replay"):
//   {"person": "choose", "files": [{name, size, type?, failAt?}]}, {"person": "cancel" |
//   "retry", "row": ID}, {"browser": "progress", "loaded", "total"}, {"browser": "answer",
//   "status", "body"}, {"browser": "error" | "pagehide" | "heartbeat"}, {"browser":
//   "refuse", "message"} (the next request's send throws), {"clock": MS}, {"comm":
//   "comm:close" | "comm_live_update"}, {"expect": {lost, busy, buffers, live, pending,
//   request}} (what the page holds then).
// Between steps every promise callback runs (the fakes resolve at once); before any step that
// is not the page's, the page must have sent nothing the transcript does not list.

import assert from "node:assert/strict";
import { FIELDS } from "../src/dropzone/protocol.js";
import { createController } from "../src/dropzone/controller.js";
import { FakeModel, fakeBrowser, fakeFile, hex, settle } from "./fakes.js";

/** @import { DropzoneState, Row } from "../src/dropzone/controller.js" */

/** @typedef {{ type: string, [field: string]: unknown }} Message */

/**
 * @typedef {object} Transcript
 * @property {string} about what the conversation shows
 * @property {string} [kernel_replay] why the kernel does not replay it (the page alone)
 * @property {Partial<DropzoneState>} [traits] the zone's traits at the start
 * @property {{ hostname: string, protocol: string }} [location] the page's
 * @property {Array<Record<string, any>>} steps
 */

/** @type {DropzoneState} */
export const ZONE = {
  _uid: "zone",
  rows: [],
  multiple: true,
  accept: "video/*",
  transport: "auto",
  notice: "",
  thumbnails: {},
};

export const TICKET = "http://127.0.0.1:8765/upload?ref=r&token=t";

/**
 * A row of page1's file key2, as the kernel's `rows` trait has it.
 *
 * @param {string} id
 * @param {Partial<Row>} [fields]
 * @returns {Row}
 */
export const row = (id, fields = {}) =>
  /** @type {Row} */ ({ id, key: "key2", page: "page1", phase: "uploading", ...fields });

/**
 * The kernel's `direct` order for page1's file key2.
 *
 * @param {string} tid
 * @param {object} [fields]
 */
export const directOrder = (tid, fields = {}) => ({
  type: "direct",
  tid,
  page: "page1",
  key: "key2",
  url: TICKET,
  name: "clip.mp4",
  size: 10,
  fallback: false,
  ...fields,
});

/**
 * The kernel's `relay` order for page1's file key2 (4-byte chunks, one at a time).
 *
 * @param {string} tid
 * @param {object} [fields]
 */
export const relayOrder = (tid, fields = {}) => ({
  type: "relay",
  tid,
  page: "page1",
  key: "key2",
  name: "clip.mp4",
  size: 10,
  chunk: 4,
  window: 1,
  ...fields,
});

/**
 * A page with the upload area's controller on a fake model and a fake browser.
 *
 * @param {Partial<DropzoneState>} [traits]
 * @param {{ hostname?: string, protocol?: string }} [location]
 * @param {(content: any, buffers: ArrayBuffer[]) => void} [refuse] throws to refuse a send
 */
export function startZone(traits = {}, location = {}, refuse) {
  const model = new FakeModel({ ...ZONE, ...traits });
  if (refuse) model.refuse = refuse;
  const browser = fakeBrowser(location);
  const ctl = createController(model, browser.env);
  return { model, browser, ctl };
}

/**
 * Whether `message` has exactly the fields the protocol declares for its type (`sender`:
 * "page"), or only declared ones ("kernel": the page reads no others).
 *
 * @param {"kernel" | "page"} sender
 * @param {Message} message
 */
export function assertDeclared(sender, message) {
  const declared = /** @type {Record<string, string[]>} */ (FIELDS[sender])[message.type];
  assert.ok(declared, `${sender} message of undeclared type ${JSON.stringify(message.type)}`);
  const fields = Object.keys(message).filter((f) => f !== "type");
  const extra = fields.filter((f) => !declared.includes(f));
  assert.deepEqual(extra, [], `${sender} ${message.type} has undeclared fields`);
  if (sender === "page") assert.deepEqual(fields.sort(), [...declared].sort(), message.type);
}

/**
 * @param {FakeModel<DropzoneState>} model
 * @param {string} id
 * @returns {Row}
 */
function rowOf(model, id) {
  const found = model.get("rows").find((r) => r.id === id);
  assert.ok(found, `no row ${id}`);
  return found;
}

/**
 * @param {ReturnType<typeof startZone>} zone
 * @param {Record<string, any>} expected
 */
function check({ ctl, browser }, expected) {
  const facts = {
    lost: () => ctl.lost,
    busy: () => ctl.busy,
    buffers: () => ctl.buffers(),
    live: () => [...ctl.live.keys()],
    pending: () => [...ctl.pending.keys()],
    request: () => {
      const request = browser.requests[browser.requests.length - 1];
      const form = /** @type {import("./fakes.js").FakeForm | null} */ (request.body);
      return {
        ...request.opened,
        fields: form
          ? form.fields.map(([name, file, filename]) => [name, file.name, filename])
          : [],
        aborted: request.aborted,
      };
    },
  };
  for (const [name, value] of Object.entries(expected)) {
    const fact = /** @type {Record<string, () => unknown>} */ (facts)[name];
    assert.ok(fact, `unknown expectation ${name}`);
    assert.deepEqual(fact(), value, name);
  }
}

/**
 * @param {ReturnType<typeof startZone>} zone
 * @param {Record<string, any>} step
 */
function act(zone, step) {
  const { model, browser, ctl } = zone;
  const request = () => browser.requests[browser.requests.length - 1];
  if ("kernel" in step) {
    assertDeclared("kernel", step.kernel);
    model.receive(
      step.kernel,
      (step.buffers || []).map((/** @type {string} */ h) => Buffer.from(h, "hex").buffer),
    );
  } else if ("traits" in step) {
    model.update(step.traits);
  } else if (step.person === "choose") {
    ctl.add(step.files.map((/** @type {any} */ f) => fakeFile(f.name, f.size, f)));
  } else if (step.person === "cancel") {
    ctl.cancel(rowOf(model, step.row));
  } else if (step.person === "retry") {
    ctl.retry(rowOf(model, step.row));
  } else if (step.browser === "progress") {
    request().progress(step.loaded, step.total);
  } else if (step.browser === "answer") {
    request().answer(step.status, step.body);
  } else if (step.browser === "error") {
    request().fire("error");
  } else if (step.browser === "refuse") {
    browser.nextRequest.refuse = step.message;
  } else if (step.browser === "pagehide") {
    browser.hide();
  } else if (step.browser === "heartbeat") {
    browser.beat();
  } else if ("clock" in step) {
    browser.advance(step.clock);
  } else if ("comm" in step) {
    model.emit(step.comm);
  } else if ("expect" in step) {
    check(zone, step.expect);
  } else {
    assert.fail(`unknown step ${JSON.stringify(step)}`);
  }
}

/**
 * Replay `transcript`; fails at the first step the page does not do as recorded.
 *
 * @param {Transcript} transcript
 */
export async function replay(transcript) {
  const zone = startZone(transcript.traits, transcript.location);
  for (const [i, step] of transcript.steps.entries()) {
    await settle();
    const where = `step ${i} (${JSON.stringify(step).slice(0, 80)})`;
    if ("page" in step) {
      const sent = zone.model.outbox.shift();
      assert.ok(sent, `${where}: the page sent nothing`);
      assert.deepEqual(sent.content, step.page, where);
      assert.deepEqual(sent.buffers.map(hex), step.buffers || [], `${where}: buffers`);
      assertDeclared("page", sent.content);
    } else {
      const unlisted = zone.model.outbox.map((m) => m.content);
      assert.deepEqual(unlisted, [], `${where}: the page sent what the transcript does not list`);
      act(zone, step);
    }
  }
  await settle();
  assert.deepEqual(
    zone.model.outbox.map((m) => m.content),
    [],
    "sent after the last step",
  );
  return zone;
}
