// The front end's packages: each pinned to one exact version, locked, and listed with its
// licence in js/README.md.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

/** @param {string} name */
const read = (name) => readFileSync(new URL(`../${name}`, import.meta.url), "utf8");
const pkg = JSON.parse(read("package.json"));
const lock = JSON.parse(read("package-lock.json"));
/** @type {Record<string, string>} */
const pins = { ...pkg.dependencies, ...pkg.devDependencies };

test("every package is pinned to an exact version, and locked at it", () => {
  for (const [name, version] of Object.entries(pins)) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} ${version} is a range`);
    assert.equal(
      lock.packages[""].dependencies?.[name] ?? lock.packages[""].devDependencies?.[name],
      version,
      name,
    );
    assert.equal(lock.packages[`node_modules/${name}`].version, version, `${name} in the lock`);
  }
});

test("js/README.md lists each package with its version and licence", () => {
  const rows = read("README.md")
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  for (const [name, version] of Object.entries(pins)) {
    const licence = lock.packages[`node_modules/${name}`].license;
    const row = rows.find((cells) => cells[0] === name);
    assert.deepEqual(row?.slice(0, 3), [name, version, licence], name);
  }
});
