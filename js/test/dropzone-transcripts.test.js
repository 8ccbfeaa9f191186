// The upload area's controller replays every recorded conversation in transcripts/: what it
// sends, in order, with its buffers, and nothing else (replay.js says how they read).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { assertDeclared, replay } from "./replay.js";

const DIR = new URL("./transcripts/", import.meta.url);
const NAMES = readdirSync(DIR).filter((name) => name.endsWith(".json"));

/** @param {string} name @returns {import("./replay.js").Transcript} */
const load = (name) => JSON.parse(readFileSync(new URL(name, DIR), "utf8"));

test("there are transcripts for every path the brief names", () => {
  const wanted = ["direct", "relay", "cancel-direct", "cancel-relay", "retry", "reload"];
  for (const name of [...wanted, "kernel-silent", "kernel-restart", "refusals"]) {
    assert.ok(NAMES.includes(`${name}.json`), name);
  }
});

for (const name of NAMES) {
  test(`transcript ${name}`, async () => {
    const transcript = load(name);
    assert.ok(transcript.about, "says what it shows");
    await replay(transcript);
  });
}

test("every message in the transcripts is declared by the protocol", () => {
  for (const name of NAMES) {
    for (const step of load(name).steps) {
      if ("kernel" in step) assertDeclared("kernel", step.kernel);
      if ("page" in step) assertDeclared("page", step.page);
    }
  }
});

test("a transcript that says the page sends something it does not, fails", async () => {
  const wrong = {
    about: "the page would have to answer a tick, which it never does",
    steps: [
      { page: { type: "hello", page: "page1" }, buffers: ["73767a21"] },
      { kernel: { type: "tick", busy: false } },
      { page: { type: "alive", page: "page1" } },
    ],
  };
  await assert.rejects(replay(wrong), /the page sent nothing/);
});

test("a transcript that leaves out something the page sends, fails", async () => {
  const short = {
    about: "leaves out the hello",
    steps: [{ kernel: { type: "tick", busy: false } }],
  };
  await assert.rejects(replay(short), /the page sent what the transcript does not list/);
});
