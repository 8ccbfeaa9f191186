// The committed bundles, as the Python widgets' `_esm` load them: each is an ES module whose
// default export is the widget definition anywidget expects, and each stands alone (no import
// of anything, so nothing is fetched from anywhere). That they are what js/src builds is
// `npm run build:check`.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ENTRIES, bundle, stale } from "../build.js";

const STATIC = new URL("../../sv_widgets/widgets/static/", import.meta.url);

/** @type {Record<string, string[]>} */
const EXPORTS = {
  access: ["render"],
  cancel: ["render"],
  dropzone: ["initialize", "render"],
  gallery: ["render"],
  player: ["render"],
  progress: ["render"],
};

test("every entry has a bundle", () => {
  assert.deepEqual(Object.keys(ENTRIES).sort(), Object.keys(EXPORTS).sort());
});

for (const [name, functions] of Object.entries(EXPORTS)) {
  test(`${name}.js exports ${functions.join(" and ")} and imports nothing`, async () => {
    const url = new URL(`${name}.js`, STATIC);
    const code = readFileSync(url, "utf8");
    // Loaded as an ES module whatever its folder says, as anywidget loads it: Node 18 takes
    // a .js outside a "type": "module" package for CommonJS.
    const source = `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`;
    const widget = (await import(source)).default;
    assert.deepEqual(Object.keys(widget).sort(), [...functions].sort());
    for (const fn of functions) assert.equal(typeof widget[fn], "function", fn);
    assert.doesNotMatch(code, /^\s*import\b|\bimport\(\s*["'`]/m);
  });
}

test("the freshness check finds a bundle edited by hand, a missing one, and a stray one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "sv-bundles-"));
  try {
    await bundle(true, dir);
    assert.deepEqual(await stale(dir), []);
    await appendFile(join(dir, "gallery.js"), "// a fix made in the bundle, not the source\n");
    await rm(join(dir, "cancel.js"));
    await writeFile(join(dir, "extra.js"), "export default {};\n");
    assert.deepEqual((await stale(dir)).sort(), ["cancel.js", "extra.js", "gallery.js"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
