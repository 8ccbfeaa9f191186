// The player's logic: where media plays from, what this browser plays and how, what the menus
// list, what it says when nothing plays, and how it gets its HLS/DASH library.

import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  describeError,
  failedUrl,
  mediaErrorText,
  probe,
  statusReason,
} from "../src/player/diagnosis.js";
import { mseEngine, nativeHlsEngine, progressiveEngine } from "../src/player/engines.js";
import {
  cannotPlay,
  capabilities,
  chooseFormat,
  codedSize,
  engineFor,
  formatItems,
  labelText,
  parseMaster,
  pickTrack,
  playingText,
  progressiveChoice,
  renditionItems,
  renditionLabels,
  seekBy,
} from "../src/player/formats.js";
import { VENDOR, library, shared } from "../src/player/library.js";
import { jupyterBaseUrl, playableUrl, proxiedUrl, where } from "../src/player/urls.js";
import { FakeModel, settle } from "./fakes.js";

/** @import { Capabilities } from "../src/player/formats.js" */
/** @import { PageFacts } from "../src/player/urls.js" */

/**
 * A page at `href`, with `baseUrl` in its #jupyter-config-data (null: the page has none).
 *
 * @param {string} href
 * @param {string | null} baseUrl
 * @returns {PageFacts}
 */
function pageAt(href, baseUrl) {
  const u = new URL(href);
  return {
    location: { hostname: u.hostname, protocol: u.protocol, origin: u.origin },
    baseURI: href,
    config: baseUrl === null ? null : JSON.stringify({ baseUrl }),
  };
}

const MEDIA = "http://127.0.0.1:8765/media/1700000000-AbC123/720.mp4?x=1";

describe("where media plays from", () => {
  /** @type {Array<[string, string | null, string, string, [string, boolean]]>} */
  const routing = [
    // page, baseUrl in #jupyter-config-data, src, proxy mode -> url, proxied
    ["http://127.0.0.1:8888/lab", "/", MEDIA, "auto", [MEDIA, false]],
    [
      "https://hub.mybinder.org/user/x-abc/lab/tree/a.ipynb",
      "/user/x-abc/",
      MEDIA,
      "auto",
      [
        "https://hub.mybinder.org/user/x-abc/proxy/127.0.0.1:8765/media/1700000000-AbC123/720.mp4?x=1",
        true,
      ],
    ],
    [
      "https://hub.example/user/y/notebooks/a.ipynb",
      null, // no config data: the base URL comes from the page path
      "http://localhost:9000/v.mp4",
      "auto",
      ["https://hub.example/user/y/proxy/9000/v.mp4", true],
    ],
    [
      "http://localhost:8888/lab",
      "/",
      MEDIA,
      "always",
      ["http://localhost:8888/proxy/127.0.0.1:8765/media/1700000000-AbC123/720.mp4?x=1", true],
    ],
    ["https://hub.example/user/y/lab", "/user/y/", MEDIA, "never", [MEDIA, false]],
    [
      "https://hub.example/lab",
      "/",
      "https://cdn.sparevideos.com/v/720.mp4",
      "auto",
      ["https://cdn.sparevideos.com/v/720.mp4", false],
    ],
    // a local page on HTTPS cannot load plain-HTTP media: through the proxy
    [
      "https://localhost:8888/lab",
      "/",
      MEDIA,
      "auto",
      [`https://localhost:8888/proxy/127.0.0.1:8765/media/1700000000-AbC123/720.mp4?x=1`, true],
    ],
    ["http://127.0.0.1:8888/lab", "/", "", "auto", ["", false]],
    ["http://127.0.0.1:8888/lab", "/", "not a url", "auto", ["not a url", false]],
  ];
  for (const [href, base, src, mode, [url, proxied]] of routing) {
    test(`${src || "(none)"} from ${href} (${mode})`, () => {
      assert.deepEqual(playableUrl(src, mode, pageAt(href, base)), { url, proxied });
    });
  }

  test("the base URL: config data, else the page's path, else the root", () => {
    assert.equal(jupyterBaseUrl(pageAt("https://h.example/a/lab", "/b/")), "https://h.example/b/");
    assert.equal(
      jupyterBaseUrl(pageAt("https://h.example/u/z/voila/render/x", null)),
      "https://h.example/u/z/",
    );
    assert.equal(jupyterBaseUrl(pageAt("https://h.example/somewhere", null)), "https://h.example/");
    const broken = { ...pageAt("https://h.example/u/lab", null), config: "{not json" };
    assert.equal(jupyterBaseUrl(broken), "https://h.example/u/");
  });

  test("a proxied URL names a 127.x host, and only the port for localhost", () => {
    const page = pageAt("https://h.example/lab", "/");
    assert.equal(proxiedUrl("http://[::1]:9/a#t=1", page), "https://h.example/proxy/9/a#t=1");
    assert.equal(proxiedUrl("https://localhost/a", page), "https://h.example/proxy/443/a");
    assert.equal(proxiedUrl("http://127.0.0.2/a", page), "https://h.example/proxy/127.0.0.2:80/a");
  });

  test("where: host and path, the proxied one by what it proxies", () => {
    assert.equal(where("https://h.example/proxy/9000/media/a.mp4"), "localhost:9000/media/a.mp4");
    assert.equal(where("https://h.example/u/proxy/127.0.0.1:8765/m/a"), "127.0.0.1:8765/m/a");
    assert.equal(where("https://cdn.example:8443/v/720.mp4?token=x"), "cdn.example:8443/v/720.mp4");
    assert.equal(where("::"), "::");
  });
});

/** @type {Capabilities} */
const chrome = { mp4: true, webm: true, hls: true, dash: true, mse: true, nativeHls: true };
/** @type {Capabilities} */
const iphone = { mp4: true, webm: false, hls: true, dash: false, mse: false, nativeHls: true };
/** @type {Capabilities} */
const old = { mp4: true, webm: false, hls: false, dash: false, mse: false, nativeHls: false };
const all = ["hls", "dash", "mp4", "webm"];

describe("what plays", () => {
  test("capabilities from the element and Media Source Extensions", () => {
    /** @param {string} type */
    const canPlayType = (type) => (type.startsWith("video/mp4") ? "probably" : "");
    const mse = { MediaSource: { isTypeSupported: () => true } };
    assert.deepEqual(capabilities({ canPlayType }, mse), {
      mp4: true,
      webm: false,
      hls: true,
      dash: true,
      mse: true,
      nativeHls: false,
    });
    const safari = { ManagedMediaSource: { isTypeSupported: () => false } };
    /** @param {string} type */
    const native = (type) => (type === "application/vnd.apple.mpegurl" ? "maybe" : "");
    assert.deepEqual(capabilities({ canPlayType: native }, safari), {
      mp4: false,
      webm: false,
      hls: true,
      dash: false,
      mse: false,
      nativeHls: true,
    });
    assert.equal(capabilities({}, {}).mp4, false);
  });

  test("auto: HLS first (MSE or native), then DASH, then MP4; nothing playable: nothing", () => {
    assert.deepEqual(
      [
        chooseFormat("auto", all, chrome),
        chooseFormat("auto", all, iphone),
        chooseFormat("auto", all, old),
        chooseFormat("auto", ["mp4", "webm"], chrome),
        chooseFormat("auto", ["webm"], old),
        chooseFormat("dash", all, old),
        chooseFormat("", ["dash"], chrome),
      ],
      ["hls", "hls", "mp4", "mp4", "", "dash", "dash"],
    );
  });

  test("HLS through MSE where there is MSE, natively where there is only native HLS", () => {
    assert.deepEqual(
      [
        engineFor("hls", chrome),
        engineFor("hls", iphone),
        engineFor("dash", iphone),
        engineFor("mp4", old),
        engineFor("webm", old),
        engineFor("hls", old),
        engineFor("dash", chrome),
        engineFor("flv", chrome),
      ],
      ["mse", "native", "", "progressive", "", "", "mse", ""],
    );
  });

  test("what it says when the browser cannot play a format", () => {
    assert.equal(cannotPlay("webm", all, old), "this browser cannot play WebM; it can play MP4");
    assert.equal(
      cannotPlay("dash", ["dash"], iphone),
      "this browser cannot play DASH; it can play none of this file's other formats",
    );
    assert.equal(
      cannotPlay("webm", all, chrome, "media error 4"),
      "this browser cannot play WebM (media error 4); it can play HLS, DASH, MP4",
    );
    assert.equal(
      cannotPlay("flv", [], chrome),
      "this browser cannot play flv; it can play none of this file's other formats",
    );
  });

  test("the progressive rendition: the one asked for, else the highest up to 720p", () => {
    const renditions = [
      { label: "1080", mp4: "z", webm: "" },
      { label: "720", mp4: "a", webm: "" },
      { label: "480", mp4: "b", webm: "c" },
      { label: "360", mp4: "d", webm: "e" },
    ];
    assert.equal(progressiveChoice(renditions, "mp4", "auto")?.label, "720");
    assert.equal(progressiveChoice(renditions, "webm", "auto")?.label, "480");
    assert.equal(progressiveChoice(renditions, "mp4", "360")?.label, "360");
    assert.equal(progressiveChoice(renditions, "mp4", "1080")?.label, "1080");
    assert.equal(progressiveChoice([{ label: "1080", mp4: "z" }], "mp4", "auto")?.label, "1080");
    assert.equal(progressiveChoice([], "mp4", "auto"), null);
  });

  test("an HLS master playlist's variants, resolved against it", () => {
    const master =
      "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=640x360\n360/index.m3u8\n" +
      '#EXT-X-STREAM-INF:BANDWIDTH=2,RESOLUTION=854x480,CODECS="avc1"\r\n\r\n480/index.m3u8\n' +
      "#EXT-X-STREAM-INF:BANDWIDTH=3\nnoresolution.m3u8\n";
    assert.deepEqual(parseMaster(master, "http://h/media/c/hls/master.m3u8"), [
      { label: "360", width: 640, height: 360, url: "http://h/media/c/hls/360/index.m3u8" },
      { label: "480", width: 854, height: 480, url: "http://h/media/c/hls/480/index.m3u8" },
    ]);
  });

  test("the track to pin: the best of that height, else the best of all", () => {
    const tracks = [
      { height: 360, width: 640, bandwidth: 1, active: false },
      { height: 720, width: 1280, bandwidth: 5, active: true },
      { height: 720, width: 1280, bandwidth: 9, active: false },
    ];
    assert.equal(pickTrack(tracks, "720"), tracks[2]);
    assert.equal(pickTrack(tracks, "360"), tracks[0]);
    assert.equal(pickTrack(tracks, "1080"), tracks[2]);
    assert.equal(pickTrack([], "720"), null);
  });
});

describe("the menus and the note", () => {
  test("the format menu names what Auto chose and what this browser lacks", () => {
    assert.deepEqual(formatItems(all, iphone, "hls", "auto"), [
      ["auto", "Auto (HLS)"],
      ["hls", "HLS"],
      ["dash", "DASH (not in this browser)"],
      ["mp4", "MP4"],
      ["webm", "WebM (not in this browser)"],
    ]);
    assert.deepEqual(formatItems(["mp4"], chrome, "mp4", "mp4")[0], ["auto", "Auto"]);
    assert.deepEqual(formatItems(["mp4"], chrome, "", "auto")[0], ["auto", "Auto"]);
  });

  test("the rendition menu: the stream's labels, else the kernel's that have the format", () => {
    const renditions = [
      { label: "720", mp4: "a", webm: "" },
      { label: "480", mp4: "b", webm: "c" },
    ];
    assert.deepEqual(renditionLabels("hls", ["1080", "360"], renditions), ["1080", "360"]);
    assert.deepEqual(renditionLabels("hls", [], renditions), ["720", "480"]);
    assert.deepEqual(renditionLabels("webm", [], renditions), ["480"]);
    assert.deepEqual(renditionItems(["720", "480"], "480"), [
      ["auto", "Auto (480p)"],
      ["720", "720p"],
      ["480", "480p"],
    ]);
    assert.deepEqual(renditionItems([], ""), [["auto", "Auto"]]);
    assert.equal(labelText("source"), "source");
  });

  test("what plays, in words", () => {
    const facts = {
      format: "hls",
      label: "720",
      width: 1280,
      height: 720,
      mode: "auto",
      proxied: true,
    };
    assert.equal(playingText(facts), "HLS · 720p (1280×720) · auto · via the Jupyter server");
    const plain = { format: "mp4", label: "", width: 0, height: 0, mode: "", proxied: false };
    assert.equal(playingText(plain), "MP4");
  });
});

describe("saying why nothing plays", () => {
  test("an HTTP status, by what it means", () => {
    const url = "https://h.example/proxy/127.0.0.1:8765/media/a.mp4";
    assert.equal(
      statusReason(404, url, true),
      "HTTP 404 for 127.0.0.1:8765/media/a.mp4 (the file was deleted?)",
    );
    assert.equal(
      statusReason(502, url, true),
      "the Jupyter server's proxy answered HTTP 502 for 127.0.0.1:8765/media/a.mp4 (is the server behind it still running?)",
    );
    assert.equal(statusReason(502, url, false), "HTTP 502 for 127.0.0.1:8765/media/a.mp4");
  });

  test("a probe asks for the first byte, fresh, and reads the answer", async () => {
    /** @type {Array<[string, RequestInit]>} */
    const asked = [];
    /** @param {number} status */
    const answering =
      (status) => async (/** @type {string} */ url, /** @type {RequestInit} */ init) => {
        asked.push([url, init]);
        return { ok: status < 400, status };
      };
    assert.deepEqual(await probe("http://h:1/a.mp4", false, answering(206)), {
      ok: true,
      status: 206,
    });
    assert.deepEqual(asked[0], [
      "http://h:1/a.mp4",
      { headers: { Range: "bytes=0-0" }, cache: "no-store" },
    ]);
    assert.deepEqual(await probe("http://h:1/a.mp4", false, answering(410)), {
      ok: false,
      status: 410,
      reason: "HTTP 410 for h:1/a.mp4 (the file was deleted?)",
    });
  });

  test("a probe nobody answers says who did not", async () => {
    const refused = async () => {
      throw new TypeError("Failed to fetch");
    };
    assert.deepEqual(await probe("http://127.0.0.1:8765/a.mp4", false, refused), {
      ok: false,
      status: 0,
      reason: "no answer from 127.0.0.1:8765 (the server stopped, or refused the connection)",
    });
    const proxied = await probe("https://h.example/proxy/8765/a.mp4", true, refused);
    assert.equal(
      proxied.ok === false && proxied.reason,
      "no answer from the Jupyter server's proxy for localhost:8765/a.mp4",
    );
  });

  test("errors in a few words, and the URL a library error names", () => {
    assert.equal(
      describeError({ code: 1002, category: 1, data: ["http://x/a.m3u8"] }),
      "shaka-player error 1002",
    );
    assert.equal(describeError(new Error("boom")), "boom");
    assert.equal(describeError("plain"), "plain");
    assert.equal(describeError(null), "");
    assert.equal(
      failedUrl({ category: 1, data: ["http://x/seg.ts"] }, "http://x/m.m3u8"),
      "http://x/seg.ts",
    );
    assert.equal(
      failedUrl({ category: 3, data: ["http://x/seg.ts"] }, "http://x/m.m3u8"),
      "http://x/m.m3u8",
    );
    assert.equal(failedUrl(null, "http://x/m.m3u8"), "http://x/m.m3u8");
    assert.equal(
      mediaErrorText({ code: 4, message: "MEDIA_ELEMENT_ERROR: Format error" }),
      "media error 4: MEDIA_ELEMENT_ERROR: Format error",
    );
    assert.equal(mediaErrorText({ code: 2, message: "" }), "media error 2");
    assert.equal(mediaErrorText(null), "");
  });
});

describe("the library, from the kernel", () => {
  afterEach(() => {
    delete (/** @type {Record<string, unknown>} */ (globalThis)[VENDOR]);
  });

  test("asked once per page, loaded from the kernel's binary reply, shared by every player", async () => {
    const model = new FakeModel({});
    const shaka = /** @type {any} */ ({ name: "shaka" });
    /** @type {ArrayBuffer[]} */
    const loaded = [];
    /** @param {any} bytes */
    const load = async (bytes) => {
      loaded.push(bytes);
      return shaka;
    };
    const first = library(model, load);
    const second = library(new FakeModel({}), load);
    assert.equal(first, second);
    assert.deepEqual(
      model.take().map((m) => m.content),
      [{ type: "vendor-request" }],
    );
    model.receive({ type: "playing" }); // not the reply
    model.receive({ type: "vendor" }); // no buffer: not the reply either
    assert.equal(loaded.length, 0);
    const code = new TextEncoder().encode("/* the library */").buffer;
    model.receive({ type: "vendor" }, [code]);
    assert.equal(await first, shaka);
    assert.equal(loaded.length, 1);
    assert.equal(model.listeners(), 0); // it stops listening once answered
  });

  test("a failed load is asked again by the next player", async () => {
    const model = new FakeModel({});
    const failing = library(model, async () => {
      throw new Error("SyntaxError");
    });
    model.receive({ type: "vendor" }, [new ArrayBuffer(1)]);
    await assert.rejects(failing, /SyntaxError/);
    await settle();
    assert.equal(shared().promise, null);
    library(model, async () => /** @type {any} */ ({}));
    assert.deepEqual(
      model.take().map((m) => m.content),
      [{ type: "vendor-request" }, { type: "vendor-request" }],
    );
  });
});

/** A <video> as the engines use it. */
function fakeVideo() {
  const video = {
    src: "",
    currentSrc: "",
    loads: 0,
    /** @param {string} name */
    removeAttribute(name) {
      if (name === "src") video.src = "";
    },
    load() {
      video.loads += 1;
    },
  };
  return /** @type {HTMLVideoElement & { loads: number }} */ (/** @type {unknown} */ (video));
}

describe("the engines", () => {
  afterEach(() => {
    delete (/** @type {Record<string, unknown>} */ (globalThis)[VENDOR]);
  });

  test("progressive: the file in the element; destroy empties it only once loaded", async () => {
    const video = fakeVideo();
    const engine = progressiveEngine(video);
    engine.destroy();
    assert.equal(video.loads, 0);
    await engine.load("http://h/a.mp4", "auto");
    assert.equal(video.src, "http://h/a.mp4");
    assert.deepEqual([engine.labels(), engine.active()], [[], null]);
    engine.destroy();
    assert.deepEqual([video.src, video.loads], ["", 1]);
  });

  test("native HLS: a pinned label plays that variant's playlist, auto the master", async () => {
    const master =
      "#EXT-X-STREAM-INF:RESOLUTION=640x360\n360.m3u8\n#EXT-X-STREAM-INF:RESOLUTION=1280x720\n720.m3u8\n";
    const fetcher = /** @type {typeof fetch} */ (
      /** @type {unknown} */ (async () => ({ ok: true, text: async () => master }))
    );
    const video = fakeVideo();
    const engine = nativeHlsEngine(video, fetcher);
    await engine.load("http://h/hls/master.m3u8", "360");
    assert.equal(video.src, "http://h/hls/360.m3u8");
    assert.deepEqual(engine.labels(), ["360", "720"]);
    engine.pin("auto");
    assert.equal(video.src, "http://h/hls/master.m3u8");
  });

  test("native HLS without its playlist plays the master and offers no pinning", async () => {
    const fetcher = /** @type {typeof fetch} */ (
      /** @type {unknown} */ (
        async () => {
          throw new TypeError("Failed to fetch");
        }
      )
    );
    const video = fakeVideo();
    const engine = nativeHlsEngine(video, fetcher);
    await engine.load("http://h/hls/master.m3u8", "360");
    assert.equal(video.src, "http://h/hls/master.m3u8");
    assert.deepEqual(engine.labels(), []);
  });

  test("MSE: pinning turns adaptation off and picks the track; auto turns it on", async () => {
    /** @type {any[]} */
    const configured = [];
    /** @type {any[]} */
    const selected = [];
    const tracks = [
      { height: 360, width: 640, bandwidth: 1, active: true },
      { height: 720, width: 1280, bandwidth: 5, active: false },
      { height: 0, width: 0, bandwidth: 9, active: false }, // audio only: not a rendition
    ];
    class Player {
      async attach() {}
      /** @param {any} config */
      configure(config) {
        configured.push(config);
      }
      addEventListener() {}
      getVariantTracks() {
        return tracks;
      }
      /** @param {any} track */
      selectVariantTrack(track) {
        selected.push(track);
      }
      async load() {}
      async destroy() {}
    }
    shared().promise = Promise.resolve(
      /** @type {any} */ ({ Player, polyfill: { installAll() {} } }),
    );
    let changes = 0;
    const engine = await mseEngine(/** @type {any} */ (new FakeModel({})), fakeVideo(), {
      onChange: () => (changes += 1),
      onError: () => {},
    });
    await engine.load("http://h/hls/master.m3u8", "720");
    assert.deepEqual(selected, [tracks[1]]);
    assert.deepEqual(configured.at(-1), { abr: { enabled: false } });
    engine.pin("auto");
    assert.deepEqual(configured.at(-1), { abr: { enabled: true } });
    engine.pin("360"); // already playing: not selected again
    assert.equal(selected.length, 1);
    assert.deepEqual(engine.labels(), ["720", "360"]);
    assert.deepEqual(engine.active(), { label: "360", width: 640, height: 360 });
    assert.equal(changes, 3);
  });
});

describe("the coded size and the arrow keys", () => {
  test("a rendition is labelled by its track's coded size, not the widened display size", () => {
    const video = { videoWidth: 641, videoHeight: 360 };
    assert.deepEqual(codedSize({ width: 640, height: 360 }, video), { width: 640, height: 360 });
    assert.deepEqual(codedSize(null, video), { width: 641, height: 360 });
  });

  test("arrow keys seek 5 s within the video; other keys are not the player's", () => {
    assert.equal(seekBy("ArrowRight", 1, 30), 6);
    assert.equal(seekBy("ArrowLeft", 3, 30), 0);
    assert.equal(seekBy("ArrowRight", 28, 30), 30);
    assert.equal(seekBy("ArrowRight", 1, NaN), 6);
    assert.equal(seekBy("m", 1, 30), null);
  });
});
