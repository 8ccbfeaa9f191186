// Bundle the front ends with esbuild into sv_widgets/widgets/static/, where the Python
// widgets' `_esm` point. The bundles are committed, so installing the package needs no build.
//
//   node build.js          write the bundles
//   node build.js --check  build in memory and compare with the committed ones; exit 1 if
//                          any differs (run `npm run build`, then commit)

import { readFile, readdir } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, "..", "sv_widgets", "widgets", "static");

/** The bundle's name (as `_esm` names it) -> its entry module. */
export const ENTRIES = {
  access: "src/access/index.js",
  cancel: "src/cancel/index.js",
  dropzone: "src/dropzone/index.js",
  gallery: "src/gallery/index.js",
  player: "src/player/index.js",
  progress: "src/progress/index.js",
};

const BANNER =
  "// Built by js/build.js (esbuild) from js/src/: edit those, then `npm run build` in js/.";

/**
 * Build every bundle into `outdir`; with `write: false` nothing is written and the files are
 * returned.
 *
 * @param {boolean} write
 * @param {string} [outdir]
 */
export async function bundle(write, outdir = OUT) {
  const result = await build({
    absWorkingDir: HERE,
    entryPoints: Object.entries(ENTRIES).map(([out, entry]) => ({ in: entry, out })),
    outdir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    charset: "utf8",
    legalComments: "none",
    banner: { js: BANNER },
    logLevel: "warning",
    write,
  });
  return result.outputFiles || [];
}

/**
 * The bundles in `outdir` that differ from what the sources build, and any script there that
 * no source builds.
 *
 * @param {string} [outdir]
 * @returns {Promise<string[]>} their names
 */
export async function stale(outdir = OUT) {
  const changed = [];
  for (const file of await bundle(false, outdir)) {
    const committed = await readFile(file.path, "utf8").catch(() => null);
    if (committed !== file.text) changed.push(relative(outdir, file.path));
  }
  const built = Object.keys(ENTRIES).map((name) => `${name}.js`);
  const scripts = (await readdir(outdir)).filter((name) => name.endsWith(".js"));
  return [...changed, ...scripts.filter((name) => !built.includes(name))];
}

/** Run as a script (`node build.js`), not when a test imports ENTRIES. */
async function main() {
  if (process.argv.includes("--check")) {
    const changed = await stale();
    if (changed.length) {
      const where = relative(join(HERE, ".."), OUT);
      console.error(`${where}: out of date: ${changed.join(", ")}; run \`npm run build\` in js/`);
      process.exit(1);
    }
    console.log(`the committed bundles are what js/src builds (${Object.keys(ENTRIES).length})`);
  } else {
    await bundle(true);
    console.log(`wrote ${Object.keys(ENTRIES).join(", ")} to ${relative(HERE, OUT)}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) await main();
