// The pure parts of the progress bar and of the accessibility helper.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { thumbnailAlt } from "../src/access/logic.js";
import { barFigures } from "../src/progress/logic.js";

describe("the progress bar", () => {
  test("its value is a whole percent within 0..100", () => {
    assert.deepEqual(barFigures(0.256, "info"), { percent: "26", width: "26%", text: "26%" });
    assert.equal(barFigures(1.7, "success").percent, "100");
    assert.equal(barFigures(-1, "info").percent, "0");
    assert.equal(barFigures(Number.NaN, "info").percent, "0");
  });

  test("a failed upload's bar fills with the error colour and says how far it got", () => {
    assert.deepEqual(barFigures(0.4, "danger"), {
      percent: "40",
      width: "100%",
      text: "failed at 40%",
    });
  });
});

describe("the accessibility helper", () => {
  test("a thumbnail is named after the row's code, else its file's name", () => {
    assert.equal(thumbnailAlt(" 1700000000-AbCdEf ", "clip.mp4"), "Thumbnail of 1700000000-AbCdEf");
    assert.equal(thumbnailAlt("", "clip.mp4"), "Thumbnail of clip.mp4");
    assert.equal(thumbnailAlt("", ""), "Thumbnail");
  });
});
