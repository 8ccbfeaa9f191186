// The upload area's controller, path by path: what it sends, holds and refuses. The recorded
// conversations are in dropzone-transcripts.test.js; these are the paths around them.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { reachable, reportDue } from "../src/dropzone/direct.js";
import { FAILURE, PROBE, TIMING } from "../src/dropzone/protocol.js";
import { fakeFile, hex, settle } from "./fakes.js";
import { TICKET, directOrder as direct, relayOrder as relay, row, startZone } from "./replay.js";

/** @import { DropzoneState } from "../src/dropzone/controller.js" */

const SECRET = "secret1";

/** @param {any} _content @param {ArrayBuffer[]} buffers */
const noBuffers = (_content, buffers) => {
  if (buffers.length) throw new Error("this front end cannot send buffers");
};

/**
 * The kernel welcomes the zone's page (with buffers reaching it unless said otherwise).
 *
 * @param {{ model: import("./fakes.js").FakeModel<DropzoneState>, ctl: { page: string } }} zone
 * @param {boolean} [buffers]
 */
function welcome(zone, buffers = true) {
  zone.model.receive({ type: "welcome", page: zone.ctl.page, secret: SECRET, buffers });
}

/**
 * A started zone, welcomed, holding one chosen file (its key is "key2"); what it sent so far
 * is taken.
 *
 * @param {object} [options]
 * @param {number} [options.size]
 * @param {number} [options.failAt]
 * @param {Partial<DropzoneState>} [options.traits]
 * @param {{ hostname?: string, protocol?: string }} [options.location]
 * @param {(content: any, buffers: ArrayBuffer[]) => void} [options.refuse]
 */
function zoneWithFile({ size = 10, failAt, traits, location, refuse } = {}) {
  const zone = startZone(traits, location, refuse);
  welcome(zone);
  zone.ctl.add([fakeFile("clip.mp4", size, failAt === undefined ? {} : { failAt })]);
  zone.model.take();
  return zone;
}

/**
 * What the page sent since the last take, each message but a hello checked to carry the
 * secret of its welcome, and shown without it.
 *
 * @param {ReturnType<typeof startZone>} zone
 */
const sent = (zone) =>
  zone.model.take().map(({ content }) => {
    if (content.type === "hello") return content;
    const { secret, ...rest } = content;
    assert.equal(secret, SECRET, `${content.type} carries the secret`);
    return rest;
  });

/**
 * The page's `failed` message.
 *
 * @param {string} tid
 * @param {number} bytes
 * @param {string} reason
 * @param {string} message
 */
const failure = (tid, bytes, reason, message) => ({
  type: "failed",
  tid,
  sent: bytes,
  reason,
  message,
});

describe("hello", () => {
  test("the page says hello with the probe as its one buffer", () => {
    const { model, ctl } = startZone();
    const [hello] = model.take();
    assert.deepEqual(hello.content, { type: "hello", page: ctl.page });
    assert.deepEqual(hello.buffers.map(hex), [Buffer.from(PROBE).toString("hex")]);
    assert.equal(ctl.buffers(), null); // not known until the kernel's welcome
  });

  test("a welcome for this page says whether buffers reach the kernel", () => {
    const { model, ctl } = startZone();
    model.receive({ type: "welcome", page: ctl.page, buffers: false });
    assert.equal(ctl.buffers(), false);
    model.receive({ type: "welcome", page: ctl.page, buffers: true });
    assert.equal(ctl.buffers(), true);
  });

  test("a front end that cannot send buffers knows it before any welcome", () => {
    const { model, ctl } = startZone({}, {}, noBuffers);
    assert.deepEqual(model.outbox, []);
    assert.equal(ctl.buffers(), false);
  });

  test("messages that are not objects are ignored", () => {
    const { model, ctl } = startZone();
    for (const junk of [null, 7, "tick", undefined]) model.receive(junk);
    assert.equal(ctl.busy, false);
    assert.equal(model.take().length, 1); // the hello only
  });
});

describe("choosing files", () => {
  test("each file gets a key and is listed in one add message", () => {
    const zone = startZone();
    welcome(zone);
    zone.model.take();
    const files = [fakeFile("a.mp4", 5), fakeFile("b.webm", 7, { type: "" })];
    zone.ctl.add(files);
    assert.deepEqual(sent(zone), [
      {
        type: "add",
        page: "page1",
        files: [
          { key: "key2", name: "a.mp4", size: 5, mime: "video/mp4" },
          { key: "key3", name: "b.webm", size: 7, mime: "" },
        ],
      },
    ]);
    assert.deepEqual([...zone.ctl.pending.keys()], ["key2", "key3"]);
    assert.equal(zone.ctl.files.get("key3"), files[1]);
  });

  test("a zone that takes one file at a time adds the first only", () => {
    const zone = startZone({ multiple: false });
    welcome(zone);
    zone.model.take();
    zone.ctl.add([fakeFile("a.mp4", 5), fakeFile("b.mp4", 5)]);
    const [add] = sent(zone);
    assert.deepEqual(
      add.files.map((/** @type {any} */ f) => f.name),
      ["a.mp4"],
    );
  });

  test("no files, or a page that stopped, adds nothing", () => {
    const zone = startZone();
    welcome(zone);
    zone.model.take();
    zone.ctl.add(null);
    zone.ctl.add([]);
    zone.browser.hide();
    zone.model.take(); // the bye
    zone.ctl.add([fakeFile("a.mp4", 5)]);
    assert.deepEqual(sent(zone), []);
    assert.equal(zone.ctl.pending.size, 0);
  });

  test("a row for the file ends its pending line; a row of another page does not", () => {
    const zone = startZone();
    zone.ctl.add([fakeFile("a.mp4", 5), fakeFile("b.mp4", 5)]);
    zone.model.update({ rows: [row("f1", { page: "another", key: "key3" })] });
    assert.deepEqual([...zone.ctl.pending.keys()], ["key2", "key3"]);
    zone.model.update({ rows: [row("f1", { key: "key2" })] });
    assert.deepEqual([...zone.ctl.pending.keys()], ["key3"]);
  });

  test("Cancel and Retry name the row and this page", () => {
    const zone = startZone();
    welcome(zone);
    zone.model.take();
    zone.ctl.cancel(row("f4"));
    zone.ctl.retry(row("f5"));
    assert.deepEqual(sent(zone), [
      { type: "cancel", row: "f4", page: "page1" },
      { type: "retry", row: "f5", page: "page1" },
    ]);
  });

  test("what the page posts before its welcome waits for the secret, then goes in order", () => {
    const zone = startZone();
    zone.model.take();
    zone.ctl.add([fakeFile("a.mp4", 5)]);
    zone.ctl.cancel(row("f1"));
    zone.browser.beat(); // no alive before the welcome: the kernel holds nothing of this page
    assert.deepEqual(zone.model.take(), []);
    zone.model.receive({ type: "welcome", page: "another", secret: "other", buffers: true });
    assert.deepEqual(zone.model.take(), []);
    welcome(zone);
    assert.deepEqual(
      sent(zone).map((m) => m.type),
      ["add", "cancel"],
    );
    zone.model.receive({ type: "welcome", page: zone.ctl.page, secret: "later", buffers: true });
    zone.ctl.cancel(row("f1"));
    assert.deepEqual(sent(zone), [{ type: "cancel", row: "f1", page: "page1" }]);
  });

  test("the page holds a row's file only if it chose it here", () => {
    const { ctl } = zoneWithFile();
    assert.equal(ctl.holds(row("f1")), true);
    assert.equal(ctl.holds(row("f1", { page: "another" })), false);
    assert.equal(ctl.holds(row("f1", { key: "key9" })), false);
  });
});

describe("reportDue", () => {
  const P = TIMING.PROGRESS_MS;
  /** @type {Array<[number, number, number, number, boolean, string]>} */
  const cases = [
    [50, 100, P, P - 1, false, "too soon after the last report"],
    [0, 100, P, P, true, "nothing sent yet: the kernel hears it is under way"],
    [50, 100, P, P, true, "as long again to go"],
    [80, 100, P, P, false, "the answer comes in a quarter of PROGRESS_MS"],
    [100, 100, 3 * P, P, false, "all sent, the answer on its way"],
    [10, 100, P / 2, P, true, "nine times as long to go"],
  ];
  for (const [loaded, total, elapsed, quiet, due, why] of cases) {
    test(`${loaded}/${total} after ${elapsed} ms, ${quiet} ms quiet: ${why}`, () => {
      assert.equal(reportDue(loaded, total, elapsed, quiet), due);
    });
  }
});

describe("direct", () => {
  test("the POST carries the file under the name the kernel gives", () => {
    const zone = zoneWithFile();
    zone.model.receive(direct("t1", { name: "clean name.mp4" }));
    const [request] = zone.browser.requests;
    assert.deepEqual(request.opened, { method: "POST", url: TICKET });
    const form = /** @type {import("./fakes.js").FakeForm} */ (request.body);
    assert.deepEqual(
      form.fields.map(([name, file, filename]) => [name, file.name, filename]),
      [["file", "clip.mp4", "clean name.mp4"]],
    );
    assert.equal(zone.ctl.transferOf(row("f1"))?.kind, "direct");
  });

  test("progress without a known length is not reported", () => {
    const zone = zoneWithFile();
    zone.model.receive(direct("t1"));
    zone.browser.requests[0].progress(5, 10, false);
    zone.browser.requests[0].progress(5, 0);
    assert.deepEqual(sent(zone), []);
    assert.equal(zone.ctl.live.get("t1")?.sent, 0);
  });

  test("progress is reported every PROGRESS_MS from the POST's start, not at its first byte", () => {
    const zone = zoneWithFile({ size: 100 });
    zone.model.receive(direct("t1", { size: 100 }));
    const [request] = zone.browser.requests;
    request.progress(10, 100);
    request.progress(20, 100);
    zone.browser.advance(TIMING.PROGRESS_MS - 1);
    request.progress(30, 100);
    assert.deepEqual(sent(zone), []);
    zone.browser.advance(1);
    request.progress(40, 100);
    zone.browser.advance(TIMING.PROGRESS_MS - 1);
    request.progress(50, 100);
    zone.browser.advance(1);
    request.progress(60, 100);
    assert.deepEqual(
      sent(zone).map((m) => m.sent),
      [40, 60],
    );
  });

  test("a report the answer would overtake is left out; a slower POST is reported again", () => {
    const zone = zoneWithFile({ size: 100 });
    zone.model.receive(direct("t1", { size: 100 }));
    const [request] = zone.browser.requests;
    zone.browser.advance(TIMING.PROGRESS_MS);
    request.progress(80, 100); // the rest comes in a quarter of the time so far
    assert.deepEqual(sent(zone), []);
    zone.browser.advance(5 * TIMING.PROGRESS_MS); // then it slows down
    request.progress(85, 100);
    assert.deepEqual(
      sent(zone).map((m) => m.sent),
      [85],
    );
    request.answer(200, '{"status": "success", "code": "1700000000-AbCdEf"}');
    assert.deepEqual(
      sent(zone).map((m) => m.type),
      ["result"],
    );
  });

  test("the page redraws its own progress at most every DRAW_MS, and more often than it reports", () => {
    const zone = zoneWithFile({ size: 1000 });
    let draws = 0;
    zone.ctl.views.add(() => (draws += 1));
    zone.model.receive(direct("t1", { size: 1000 }));
    draws = 0;
    const [request] = zone.browser.requests;
    const step = TIMING.DRAW_MS / 5;
    for (let at = 0; at <= TIMING.PROGRESS_MS; at += step) {
      request.progress(at / 10 + 1, 1000);
      zone.browser.advance(step);
    }
    const periods = TIMING.PROGRESS_MS / TIMING.DRAW_MS;
    assert.equal(draws, periods + 1); // one at the first event, then one per DRAW_MS
    assert.equal(sent(zone).length, 1); // the kernel heard of it once, after PROGRESS_MS
    assert.ok(TIMING.DRAW_MS < TIMING.PROGRESS_MS);
  });

  test("a long answer is cut to what the kernel reads", () => {
    const zone = zoneWithFile();
    zone.model.receive(direct("t1"));
    zone.browser.requests[0].answer(500, "x".repeat(70000));
    const [result] = sent(zone);
    assert.equal(result.status, 500);
    assert.equal(result.body.length, 65536);
  });

  test("an answer waiting to be read is kept until the row moves on", () => {
    const zone = zoneWithFile();
    zone.model.receive(direct("t1"));
    zone.browser.requests[0].answer(200, "{}");
    assert.ok(zone.ctl.answers.has("key2"));
    zone.model.update({ rows: [row("f1")] });
    assert.ok(zone.ctl.answers.has("key2"));
    zone.model.update({ rows: [row("f1", { phase: "converting" })] });
    assert.ok(!zone.ctl.answers.has("key2"));
  });

  test("a browser that refuses the request says so as a network failure", () => {
    const zone = zoneWithFile();
    zone.browser.nextRequest.refuse = "blocked by the page's policy";
    zone.model.receive(direct("t1"));
    const why = "the browser refused the request: Error: blocked by the page's policy";
    assert.deepEqual(sent(zone), [failure("t1", 0, FAILURE.NETWORK, why)]);
    assert.equal(zone.ctl.live.size, 0);
  });

  test("an abort the kernel did not ask for says nothing", () => {
    const zone = zoneWithFile();
    zone.model.receive(direct("t1"));
    zone.browser.requests[0].fire("abort");
    assert.deepEqual(sent(zone), []);
    assert.equal(zone.ctl.live.size, 0);
  });
});

describe("reachable", () => {
  const local = { hostname: "127.0.0.1", protocol: "http:" };
  const hub = { hostname: "hub.example", protocol: "https:" };
  /** @type {Array<[string, { hostname: string, protocol: string }, boolean, string]>} */
  const cases = [
    [TICKET, local, true, ""],
    ["https://up.example/upload", hub, true, ""],
    ["not a url", local, false, "the upload server's URL is not valid"],
    ["ftp://up.example/upload", local, false, "the upload server's URL is not http(s)"],
    [TICKET, hub, false, "the upload server is on the kernel's own machine (loopback)"],
    [
      "http://[::1]:9/upload",
      hub,
      false,
      "the upload server is on the kernel's own machine (loopback)",
    ],
    ["http://up.example/upload", hub, false, "this page is HTTPS and the upload server plain HTTP"],
    [
      "http://localhost:9/upload",
      { hostname: "localhost", protocol: "https:" },
      false,
      "this page is HTTPS and the upload server plain HTTP",
    ],
  ];
  for (const [url, page, ok, why] of cases) {
    test(`${url} from ${page.protocol}//${page.hostname}`, () => {
      assert.deepEqual(reachable(url, page), { ok, why });
    });
  }
});

describe("relay", () => {
  test("chunks of the size the kernel names, no more than the window unacknowledged", async () => {
    const zone = zoneWithFile({ size: 10 });
    zone.model.receive(relay("t1", { chunk: 3, window: 2 }));
    await settle();
    assert.deepEqual(
      sent(zone).map((m) => m.offset),
      [0, 3],
    );
    zone.model.receive({ type: "ack", tid: "t1", offset: 3 });
    await settle();
    assert.deepEqual(
      zone.model.take().map((m) => [m.content.offset, hex(m.buffers[0])]),
      [[6, "060708"]],
    );
    zone.model.receive({ type: "ack", tid: "t1", offset: 9 });
    await settle();
    assert.deepEqual(
      zone.model.take().map((m) => [m.content.offset, hex(m.buffers[0])]),
      [[9, "09"]],
    );
  });

  test("a relay message without chunk or window sends 1 MiB chunks one at a time", async () => {
    const zone = zoneWithFile({ size: 3 * 1048576 });
    zone.model.receive(relay("t1", { chunk: undefined, window: "none", size: 3 * 1048576 }));
    await settle();
    const [first] = zone.model.take();
    assert.equal(first.buffers[0].byteLength, 1048576);
  });

  test("acks that say nothing new, or past the end, are taken for what they are", async () => {
    const zone = zoneWithFile({ size: 10 });
    zone.model.receive(relay("t1", { chunk: 4, window: 1 }));
    await settle();
    zone.model.take();
    const t = zone.ctl.live.get("t1");
    assert.ok(t && t.kind === "relay");
    zone.browser.advance(100);
    zone.model.receive({ type: "ack", tid: "t1", offset: "4" }); // not a number: heard, no more
    assert.equal(t.sent, 0);
    assert.equal(t.heard, zone.browser.env.now());
    zone.model.receive({ type: "ack", tid: "t1", offset: 99 }); // past the end: the end
    assert.equal(t.sent, 10);
    assert.equal(zone.ctl.live.size, 0);
    await settle(); // the window is open: the rest goes out without waiting
    assert.deepEqual(
      sent(zone).map((m) => m.offset),
      [4, 8],
    );
    zone.model.receive({ type: "ack", tid: "t7", offset: 4 }); // an upload this page has not
    await settle();
    assert.deepEqual(sent(zone), []);
  });

  test("a file the browser cannot read fails at the chunk it could not read", async () => {
    const zone = zoneWithFile({ size: 10, failAt: 4 });
    zone.model.receive(relay("t1", { chunk: 4, window: 4 }));
    await settle();
    const messages = sent(zone);
    assert.deepEqual(
      messages.map((m) => m.type),
      ["chunk", "failed"],
    );
    const why = "the browser could not read the file: Error: NotReadableError";
    assert.deepEqual(messages[1], failure("t1", 4, FAILURE.READ, why));
    assert.equal(zone.ctl.live.size, 0);
  });

  test("a front end that cannot send a chunk's buffer says so", async () => {
    const zone = zoneWithFile({ refuse: noBuffers });
    zone.model.receive(relay("t1"));
    await settle();
    const why = "this front end cannot send binary data to the kernel";
    assert.deepEqual(sent(zone), [failure("t1", 0, FAILURE.BUFFERS, why)]);
    assert.equal(zone.ctl.live.size, 0);
  });

  test("a stop while the window is full ends the loop with one stopped", async () => {
    const zone = zoneWithFile();
    zone.model.receive(relay("t1", { window: 1 }));
    await settle();
    zone.model.take();
    zone.model.receive({ type: "stop", tid: "t1", page: "page1", reason: "cancelled" });
    await settle();
    assert.deepEqual(sent(zone), [{ type: "stopped", tid: "t1" }]);
  });
});

describe("stop", () => {
  test("a stop for an upload this page does not run is answered, for this page only", () => {
    const zone = startZone();
    welcome(zone);
    zone.model.take();
    zone.model.receive({ type: "stop", tid: "t3", page: "page1", reason: "x" });
    zone.model.receive({ type: "stop", tid: "t4", page: "another", reason: "x" });
    assert.deepEqual(sent(zone), [{ type: "stopped", tid: "t3" }]);
  });
});

describe("ticks and the heartbeat", () => {
  test("a tick says whether a cell runs", () => {
    const zone = startZone();
    zone.model.receive({ type: "tick", busy: true });
    assert.equal(zone.ctl.busy, true);
    zone.model.receive({ type: "tick", busy: 0 });
    assert.equal(zone.ctl.busy, false);
  });

  test("a tick redraws only when a cell starts or ends", () => {
    const zone = zoneWithFile();
    zone.model.receive(direct("t1"));
    let draws = 0;
    zone.ctl.views.add(() => (draws += 1));
    zone.model.receive({ type: "tick", busy: false });
    zone.model.receive({ type: "tick", busy: false });
    assert.equal(draws, 0); // every second of a POST: nothing shown changes
    zone.model.receive({ type: "tick", busy: true });
    assert.equal(draws, 1); // "a cell is running" may now be shown
    zone.model.receive({ type: "tick", busy: true });
    zone.model.receive({ type: "tick", busy: false });
    assert.equal(draws, 2);
  });

  test("an idle page's heartbeat sends nothing", () => {
    const zone = startZone();
    welcome(zone);
    zone.model.take();
    zone.browser.advance(60000);
    zone.browser.beat();
    assert.deepEqual(sent(zone), []);
    assert.equal(zone.ctl.lost, ""); // silence with nothing live is no loss
  });

  test("a direct upload's POST counts as word from the kernel until it falls silent", () => {
    const zone = zoneWithFile();
    zone.browser.advance(TIMING.KERNEL_SILENCE_MS * 2); // silence before: the order resets it
    zone.model.receive(direct("t1"));
    zone.browser.advance(TIMING.KERNEL_SILENCE_MS);
    zone.browser.beat();
    assert.equal(zone.ctl.lost, "");
    zone.browser.advance(1);
    zone.browser.beat();
    assert.match(zone.ctl.lost, /^no word from the kernel for 20 s/);
    assert.equal(zone.browser.requests[0].aborted, true);
  });

  test("the heartbeat speaks only after ALIVE_MS without a message to the kernel", () => {
    const zone = zoneWithFile(); // its add is pending: the page has something under way
    zone.browser.beat();
    assert.deepEqual(sent(zone), []); // the add itself was word enough
    zone.browser.advance(TIMING.ALIVE_MS - 1);
    zone.browser.beat();
    assert.deepEqual(sent(zone), []);
    zone.browser.advance(1);
    zone.browser.beat();
    assert.deepEqual(sent(zone), [{ type: "alive", page: "page1" }]);
    zone.browser.advance(TIMING.ALIVE_MS / 3);
    zone.browser.beat();
    assert.deepEqual(sent(zone), []); // the alive counts as word too
  });

  test("a direct upload's progress reports stand in for the heartbeat", () => {
    const zone = zoneWithFile({ size: 100 });
    zone.model.receive(direct("t1", { size: 100 }));
    const [request] = zone.browser.requests;
    for (let loaded = 10; loaded < 100; loaded += 10) {
      zone.browser.advance(TIMING.PROGRESS_MS);
      request.progress(loaded, 100);
      zone.browser.beat();
    }
    const types = new Set(sent(zone).map((m) => m.type));
    assert.deepEqual([...types], ["progress"]);
  });

  test("a beat redraws the views while a file is under way (time-based notes)", () => {
    const zone = zoneWithFile(); // its add is pending
    let draws = 0;
    zone.ctl.views.add(() => (draws += 1));
    zone.browser.beat();
    zone.browser.beat();
    assert.equal(draws, 2);
  });

  test("a beat leaves a direct POST's drawing to its progress", () => {
    const zone = zoneWithFile();
    zone.model.receive(direct("t1"));
    zone.model.update({ rows: [row("f1", { transport: "direct" })] }); // the add has its row
    let draws = 0;
    zone.ctl.views.add(() => (draws += 1));
    zone.browser.beat();
    zone.browser.beat();
    assert.equal(draws, 0);
    zone.browser.requests[0].progress(5, 10);
    assert.equal(draws, 1);
  });

  test("a beat redraws a running relay (its chunks may wait for the kernel)", () => {
    const zone = zoneWithFile();
    zone.model.receive(relay("t1"));
    zone.model.update({ rows: [row("f1", { transport: "relay" })] });
    let draws = 0;
    zone.ctl.views.add(() => (draws += 1));
    zone.browser.beat();
    assert.equal(draws, 1);
  });

  test("an idle area's beat redraws nothing", () => {
    const zone = startZone();
    welcome(zone);
    let draws = 0;
    zone.ctl.views.add(() => (draws += 1));
    zone.browser.advance(60000);
    zone.browser.beat();
    zone.browser.beat();
    assert.equal(draws, 0);
  });
});

describe("losing the kernel", () => {
  test("comm:close stops the page as a restart does", () => {
    const zone = zoneWithFile();
    zone.model.emit("comm:close");
    assert.match(zone.ctl.lost, /^the kernel no longer serves this upload area/);
    zone.model.emit("comm_live_update"); // said once
    assert.match(zone.ctl.lost, /^the kernel no longer serves/);
  });

  test("a page that stopped sends nothing, though the model would take it", () => {
    const zone = zoneWithFile();
    zone.model.emit("comm:close");
    assert.equal(zone.ctl.post({ type: "alive", page: "page1" }), false);
    zone.model.receive(direct("t1"));
    assert.deepEqual(sent(zone), []);
  });

  test("a model that throws on send is a page that cannot send", () => {
    const zone = zoneWithFile({
      refuse: () => {
        throw new Error("the comm is closed");
      },
    });
    assert.equal(zone.ctl.post({ type: "alive", page: "page1" }), false);
  });
});

describe("dispose", () => {
  test("stops every transfer, the heartbeat, the pagehide listener and every model listener", async () => {
    const zone = zoneWithFile();
    const before = zone.model.listeners();
    assert.equal(before, 4);
    zone.model.receive(direct("t1"));
    zone.ctl.dispose();
    assert.equal(zone.browser.requests[0].aborted, true);
    assert.equal(zone.model.listeners(), 0);
    assert.equal(zone.browser.beating(), 0);
    assert.equal(zone.browser.hiding(), 0);
    assert.deepEqual(sent(zone), [{ type: "stopped", tid: "t1" }]);
  });
});
