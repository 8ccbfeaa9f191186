// The gallery's logic (groups, menu, captions, when a click asks the kernel) and the Cancel
// button's (what a click sends, when it interrupts the kernel).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cancelClicked, cancelTitle, interruptKernel } from "../src/cancel/logic.js";
import {
  groups,
  heightItems,
  heights,
  moveTo,
  tileText,
  wantsSelect,
} from "../src/gallery/logic.js";
import { FakeModel, settle } from "./fakes.js";

const THUMBS = [
  { name: "a_360_01.jpg", height: 360, number: 1 },
  { name: "a_720_01.jpg", height: 720, number: 1 },
  { name: "a_360_02.jpg", height: 360, number: 2 },
  { name: "a_1080_01.jpg", height: 1080, number: 1 },
];

describe("the gallery", () => {
  test("heights, tallest first, with their counts", () => {
    assert.deepEqual(heights(THUMBS), [
      [1080, 1],
      [720, 1],
      [360, 2],
    ]);
    assert.deepEqual(heights([]), []);
  });

  test("the height menu: all, then each height", () => {
    assert.deepEqual(heightItems(THUMBS), [
      ["0", "All (4)"],
      ["1080", "1080p (1)"],
      ["720", "720p (1)"],
      ["360", "360p (2)"],
    ]);
    assert.deepEqual(heightItems([]), [["0", "All (0)"]]);
  });

  test("groups: every height, or the chosen one, each with its thumbnails in order", () => {
    assert.deepEqual(
      groups(THUMBS, 0).map((g) => [g.height, g.thumbs.map((t) => t.name)]),
      [
        [1080, ["a_1080_01.jpg"]],
        [720, ["a_720_01.jpg"]],
        [360, ["a_360_01.jpg", "a_360_02.jpg"]],
      ],
    );
    assert.deepEqual(
      groups(THUMBS, 360).map((g) => g.height),
      [360],
    );
    assert.deepEqual(groups(THUMBS, 480), []);
  });

  test("a tile's caption and its one accessible name", () => {
    assert.deepEqual(tileText({ name: "x", height: 720, number: 3 }), {
      caption: "720p · 03",
      label: "Thumbnail 3, 720p",
    });
    assert.equal(tileText({ name: "x", height: 720, number: 12 }).caption, "720p · 12");
  });

  test("arrow keys step through the thumbnails, Home and End jump, other keys do not move", () => {
    assert.equal(moveTo("ArrowRight", 0, 3), 1);
    assert.equal(moveTo("ArrowDown", 2, 3), 2);
    assert.equal(moveTo("ArrowLeft", 0, 3), 0);
    assert.equal(moveTo("ArrowUp", 2, 3), 1);
    assert.equal(moveTo("Home", 2, 3), 0);
    assert.equal(moveTo("End", 0, 3), 2);
    assert.equal(moveTo("m", 1, 3), null);
    assert.equal(moveTo("ArrowRight", 0, 0), null);
  });

  test("a click saves another thumbnail, or the saved one again after an error", () => {
    assert.equal(wantsSelect("b.jpg", "a.jpg", "ready"), true);
    assert.equal(wantsSelect("a.jpg", "a.jpg", "ready"), false);
    assert.equal(wantsSelect("a.jpg", "a.jpg", "saving"), false);
    assert.equal(wantsSelect("a.jpg", "a.jpg", "error"), true);
  });
});

describe("the Cancel button", () => {
  /**
   * @param {boolean} interrupt
   * @param {any} [kernel]
   */
  const cancelModel = (interrupt, kernel) => {
    const model = new FakeModel({ description: "Cancel", disabled: false, interrupt });
    if (kernel !== undefined) model.widget_manager = /** @type {any} */ ({ kernel });
    return model;
  };

  for (const [interrupt, expected] of /** @type {const} */ ([
    [false, 0],
    [true, 1],
  ])) {
    test(`a click tells the kernel, and interrupts it ${expected ? "while" : "unless"} a cell waits`, () => {
      let interrupts = 0;
      const model = cancelModel(interrupt, { interrupt: async () => (interrupts += 1) });
      cancelClicked(model);
      assert.deepEqual(
        model.take().map((m) => m.content),
        [{ type: "cancel" }],
      );
      assert.equal(interrupts, expected);
    });
  }

  test("a failed interrupt is no error; without a kernel connection there is none", async () => {
    const failing = cancelModel(true, { interrupt: () => Promise.reject(new Error("gone")) });
    assert.equal(interruptKernel(failing), true);
    await settle(); // the rejection is handled, so nothing is left unhandled
    assert.equal(interruptKernel(cancelModel(true)), false);
    assert.equal(interruptKernel(cancelModel(true, null)), false);
    assert.equal(interruptKernel(cancelModel(true, { interrupt: "no" })), false);
  });

  test("the tooltip says when a click interrupts the cell", () => {
    assert.equal(cancelTitle(false), "Stop the upload");
    assert.match(cancelTitle(true), /interrupts the running cell/);
  });
});
