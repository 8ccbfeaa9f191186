// What the upload area shows (present.js), from the kernel's row and this page's controller.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as present from "../src/dropzone/present.js";
import { TIMING } from "../src/dropzone/protocol.js";
import { fakeFile, settle } from "./fakes.js";
import { directOrder, relayOrder, row as rowOf, startZone } from "./replay.js";

/** @import { Row, Transfer } from "../src/dropzone/controller.js" */

const { bannerText, figures, headText, howText, localNote, pendingText, shown } = present;

/** @param {Partial<Row>} fields */
const row = (fields) => rowOf("f1", fields);

/**
 * @param {Partial<import("../src/dropzone/controller.js").DirectTransfer>} fields
 * @returns {Transfer}
 */
const directTransfer = (fields) =>
  /** @type {Transfer} */ ({
    kind: "direct",
    tid: "t1",
    key: "key2",
    sent: 0,
    total: 0,
    ...fields,
  });

describe("the target and the banner", () => {
  test("how files travel, by transport", () => {
    assert.equal(howText("direct"), "Files go from this page straight to the upload server.");
    assert.match(howText("relay"), /^Files are relayed to the upload server through the kernel/);
    assert.match(howText("auto"), /when this page can reach it, else through the kernel\.$/);
  });

  test("the banner says each problem, or nothing", () => {
    assert.equal(bannerText({ lost: "", buffers: true, notice: "" }), "");
    assert.equal(bannerText({ lost: "", buffers: null, notice: "" }), "");
    const all = bannerText({ lost: "this page is closing", buffers: false, notice: "refused x" });
    assert.match(all, /^Uploads stopped: this page is closing\. This front end does not send/);
    assert.match(all, /\(direct uploads still can\)\. refused x$/);
  });
});

describe("a row", () => {
  test("the kernel's figures, unless the page knows more", () => {
    const kernel = row({ progress: 0.25, detail: "25% · 2.5 kB of 10.0 kB" });
    assert.deepEqual(figures(kernel, null), {
      progress: 0.25,
      percent: "25",
      detail: "25% · 2.5 kB of 10.0 kB",
    });
    const ahead = directTransfer({ sent: 5000, total: 10000 });
    assert.deepEqual(figures(kernel, ahead), {
      progress: 0.5,
      percent: "50",
      detail: "50% · 5.0 kB of 10.0 kB",
    });
    const behind = directTransfer({ sent: 1000, total: 10000 });
    assert.equal(figures(kernel, behind).detail, "25% · 2.5 kB of 10.0 kB");
    assert.equal(figures(row({ phase: "converting", progress: 1 }), ahead).percent, "100");
  });

  test("odd progress stays within the bar", () => {
    assert.equal(figures(row({ progress: /** @type {any} */ ("x") }), null).percent, "0");
    assert.equal(figures(row({ progress: 7 }), null).percent, "100");
    assert.equal(figures(row({ progress: -1 }), null).percent, "0");
  });

  test("its head: size and how it travels", () => {
    assert.deepEqual(headText(row({ size: 1536, transport: "direct" })), {
      size: " · 1.5 kB",
      via: " · sent directly from this page",
    });
    assert.deepEqual(headText(row({ size: 0, transport: "relay" })), {
      size: "",
      via: " · relayed through the kernel",
    });
    assert.deepEqual(headText(row({ transport: "carrier pigeon" })).via, " · carrier pigeon");
    assert.deepEqual(headText(row({ transport: "" })).via, "");
  });

  test("which buttons show", () => {
    const zone = startZone();
    zone.ctl.add([fakeFile("clip.mp4", 10)]);
    const failed = row({ phase: "failed", can_retry: true, can_cancel: false });
    assert.deepEqual(shown(zone.ctl, failed), { cancel: false, retry: true, result: false });
    const elsewhere = row({ phase: "failed", can_retry: true, page: "another" });
    assert.equal(shown(zone.ctl, elsewhere).retry, false); // only the page that holds the file
    const ready = row({ phase: "ready", file_code: "1700000000-AbC123" });
    assert.equal(shown(zone.ctl, ready).result, true);
    assert.equal(shown(zone.ctl, row({ phase: "ready" })).result, false);
    zone.browser.hide();
    const running = row({ can_cancel: true, can_retry: true });
    assert.deepEqual(shown(zone.ctl, running), { cancel: false, retry: false, result: false });
  });
});

describe("the page's own notes", () => {
  test("a stopped page says so on every row not ended", () => {
    const zone = startZone();
    zone.browser.hide();
    assert.deepEqual(localNote(zone.ctl, row({}), 0), {
      text: "stopped: this page is closing; nothing was stored by this page",
      kind: "error",
    });
    for (const phase of ["ready", "failed", "cancelled"]) {
      assert.equal(localNote(zone.ctl, row({ phase }), 0), null, phase);
    }
  });

  test("chunks waiting for a busy kernel: waiting, and why", async () => {
    const zone = startZone();
    zone.ctl.add([fakeFile("clip.mp4", 10)]);
    zone.model.receive(relayOrder("t1"));
    await settle();
    const now = zone.browser.env.now();
    const r = row({});
    assert.equal(localNote(zone.ctl, r, now + TIMING.WAIT_NOTE_MS + 1), null); // not busy
    zone.model.receive({ type: "tick", busy: true });
    assert.equal(localNote(zone.ctl, r, now + TIMING.WAIT_NOTE_MS), null); // not yet
    assert.deepEqual(localNote(zone.ctl, r, now + TIMING.WAIT_NOTE_MS + 1), {
      text: "waiting for the kernel (a cell is running): the upload carries on when it is free",
      kind: "waiting",
    });
    zone.model.receive({ type: "ack", tid: "t1", offset: 4 });
    await settle(); // the next chunk went out just now
    assert.equal(localNote(zone.ctl, r, zone.browser.env.now()), null);
  });

  test("an answer the kernel has not read: waiting, busy or not", () => {
    const zone = startZone();
    zone.ctl.add([fakeFile("clip.mp4", 10)]);
    zone.model.receive(directOrder("t1"));
    zone.browser.requests[0].answer(200, "{}");
    const late = zone.browser.env.now() + TIMING.WAIT_NOTE_MS + 1;
    assert.deepEqual(localNote(zone.ctl, row({}), late), {
      text: "waiting for the kernel: the upload carries on when it is free",
      kind: "waiting",
    });
    assert.equal(localNote(zone.ctl, row({ phase: "converting" }), late), null);
  });

  test("a file sent but not yet listed: adding, then waiting", () => {
    const entry = { name: "clip.mp4", size: 1536, since: 1000 };
    assert.deepEqual(pendingText(entry, false, 1000 + TIMING.WAIT_NOTE_MS), {
      head: "clip.mp4 · 1.5 kB",
      note: "adding…",
      kind: "",
    });
    assert.deepEqual(pendingText(entry, true, 1001 + TIMING.WAIT_NOTE_MS), {
      head: "clip.mp4 · 1.5 kB",
      note: "waiting for the kernel (a cell is running): the file is added when it is free",
      kind: "waiting",
    });
  });
});
