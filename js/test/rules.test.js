// The rules the page shares with Python hold to the same cases as Python's forms do
// (tests/test_front_end_rules.py reads the same files): the loopback rule and byte counts.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { formatBytes } from "../src/common/bytes.js";
import { isLoopbackHost, isLoopbackUrl } from "../src/common/loopback.js";

/** @param {string} name */
const cases = (name) =>
  JSON.parse(readFileSync(new URL(`./cases/${name}.json`, import.meta.url), "utf8")).cases;

/** @param {number | string} value a number, or "NaN", "Infinity", "-Infinity" */
const number = (value) => (typeof value === "string" ? Number(value) : value);

test("byte counts read as Python writes them", () => {
  const table = cases("format_bytes");
  assert.ok(table.length > 30);
  for (const { bytes, text } of table) {
    assert.equal(formatBytes(number(bytes)), text, `${bytes} bytes`);
  }
});

test("exact ties go to the even digit, as in Python, not up as toFixed would", () => {
  assert.equal((1.25).toFixed(1), "1.3");
  assert.equal(formatBytes(1250), "1.2 kB");
  assert.equal(formatBytes(1350), "1.4 kB"); // 1.35 is a hair above, in binary: no tie
  assert.equal(formatBytes(100500), "100 kB");
  assert.equal(formatBytes(101500), "102 kB");
});

test("the loopback rule answers as Python's does", () => {
  const table = cases("loopback");
  assert.ok(table.length > 30);
  for (const { host, loopback } of table) {
    assert.equal(isLoopbackHost(host), loopback, JSON.stringify(host));
  }
});

test("every spelling the URL parser reads as ::1 is loopback", () => {
  for (const spelling of ["0:0:0:0:0:0:0:1", "::0:1", "0::1", "::0.0.0.1"]) {
    const host = new URL(`http://[${spelling}]/`).hostname;
    assert.equal(host, "[::1]");
    assert.equal(isLoopbackHost(spelling), true, spelling);
  }
});

test("a URL is loopback by its host; what does not parse is not", () => {
  assert.equal(isLoopbackUrl("http://127.0.0.1:8765/media/a.mp4"), true);
  assert.equal(isLoopbackUrl("http://[::1]:8765/"), true);
  assert.equal(isLoopbackUrl("http://app.localhost/"), true);
  assert.equal(isLoopbackUrl("https://cdn.example/v.mp4"), false);
  assert.equal(isLoopbackUrl("/relative/path"), false);
});
