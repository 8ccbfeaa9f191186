// What the upload area shows, as text and numbers: the pure part of the view, so that it can
// be tested without a DOM. view.js writes these into the elements.

import { formatBytes } from "../common/bytes.js";
import { TIMING } from "./protocol.js";

/** @import { Controller, Row, Transfer } from "./controller.js" */

const VIA = /** @type {Record<string, string>} */ ({
  direct: "sent directly from this page",
  relay: "relayed through the kernel",
});

const ENDED = ["ready", "failed", "cancelled"];

/**
 * How files travel, for the line under the drop target.
 *
 * @param {string} mode the zone's `transport` trait
 * @returns {string}
 */
export function howText(mode) {
  if (mode === "direct") return "Files go from this page straight to the upload server.";
  if (mode === "relay") {
    return "Files are relayed to the upload server through the kernel, in chunks.";
  }
  return "Files go straight to the upload server when this page can reach it, else through the kernel.";
}

/**
 * The banner: why nothing (or not everything) can work here; "" when all is well.
 *
 * @param {{ lost: string, buffers: boolean | null, notice: string }} facts
 * @returns {string}
 */
export function bannerText({ lost, buffers, notice }) {
  const problems = [];
  if (lost) problems.push(`Uploads stopped: ${lost}.`);
  if (buffers === false) {
    problems.push(
      "This front end does not send binary data from the page to the kernel: " +
        "uploads relayed through the kernel cannot work here (direct uploads still can).",
    );
  }
  if (notice) problems.push(notice);
  return problems.join(" ");
}

/**
 * @param {boolean} busy
 * @returns {string}
 */
const whyWaiting = (busy) => (busy ? " (a cell is running)" : "");

/**
 * The row's progress and detail line: the kernel's, unless this page knows more (a direct
 * upload's bytes sent that the kernel has not heard of yet).
 *
 * @param {Row} row
 * @param {Transfer | null} t
 * @returns {{ progress: number, percent: string, detail: string }}
 */
export function figures(row, t) {
  let progress = Number(row.progress) || 0;
  let detail = row.detail || "";
  if (row.phase === "uploading" && t && t.total > 0 && t.sent / t.total > progress) {
    progress = t.sent / t.total;
    detail = `${Math.floor(progress * 100)}% · ${formatBytes(t.sent)} of ${formatBytes(t.total)}`;
  }
  const percent = String(Math.max(0, Math.min(100, Math.round(progress * 100))));
  return { progress, percent, detail };
}

/**
 * The row's head: size and how it travels (each with its separator, or "").
 *
 * @param {Row} row
 * @returns {{ size: string, via: string }}
 */
export function headText(row) {
  const via = row.transport ? VIA[row.transport] || row.transport : "";
  return {
    size: row.size ? ` · ${formatBytes(row.size)}` : "",
    via: via ? ` · ${via}` : "",
  };
}

/**
 * What the page adds to the kernel's row: why it may look stuck. `null`: nothing to add.
 *
 * @param {Controller} ctl
 * @param {Row} row
 * @param {number} now
 * @returns {{ text: string, kind: string } | null}
 */
export function localNote(ctl, row, now) {
  if (ctl.lost && !ENDED.includes(row.phase)) {
    return { text: `stopped: ${ctl.lost}; nothing was stored by this page`, kind: "error" };
  }
  // The kernel is not taking in what this page sends: chunks wait unacknowledged, or the
  // upload server's answer waits to be read. Whether a running cell is the reason, the
  // kernel's tick says; where widget messages keep flowing while a cell runs, nothing waits
  // and nothing is said.
  const t = ctl.transferOf(row);
  const answered = ctl.answers.get(row.key);
  const unacked =
    t !== null && t.kind === "relay" && t.queued > t.sent && now - t.heard > TIMING.WAIT_NOTE_MS;
  const unread =
    answered !== undefined && now - answered > TIMING.WAIT_NOTE_MS && row.phase === "uploading";
  if ((unacked || unread) && (ctl.busy || answered !== undefined)) {
    return {
      text: `waiting for the kernel${whyWaiting(ctl.busy)}: the upload carries on when it is free`,
      kind: "waiting",
    };
  }
  return null;
}

/**
 * The line of a file sent to the kernel that has no row yet.
 *
 * @param {{ name: string, size: number, since: number }} entry
 * @param {boolean} busy
 * @param {number} now
 * @returns {{ head: string, note: string, kind: string }}
 */
export function pendingText(entry, busy, now) {
  const late = now - entry.since > TIMING.WAIT_NOTE_MS;
  return {
    head: `${entry.name} · ${formatBytes(entry.size)}`,
    note: late
      ? `waiting for the kernel${whyWaiting(busy)}: the file is added when it is free`
      : "adding…",
    kind: late ? "waiting" : "",
  };
}

/**
 * Which of the row's buttons and parts show.
 *
 * @param {Controller} ctl
 * @param {Row} row
 * @returns {{ cancel: boolean, retry: boolean, result: boolean }}
 */
export function shown(ctl, row) {
  return {
    cancel: Boolean(row.can_cancel) && !ctl.lost,
    retry: Boolean(row.can_retry) && ctl.holds(row) && !ctl.lost,
    result: row.phase === "ready" && Boolean(row.file_code),
  };
}

/** @type {Record<string, string>} */
const SAID = { initiating: "starting", uploading: "uploading", converting: "converting" };

/**
 * What the widget's one live region says when a row reaches a new phase (its progress is
 * not announced: the bar carries it).
 *
 * @param {Row} row
 * @returns {string}
 */
export function announcement(row) {
  if (row.phase === "ready") {
    return `${row.name}: done${row.file_code ? `, file code ${row.file_code}` : ""}`;
  }
  if (row.phase === "failed") return `${row.name}: failed: ${row.error || row.message}`;
  if (row.phase === "cancelled") return `${row.name}: ${row.message || "cancelled"}`;
  return `${row.name}: ${SAID[row.phase] || row.phase}`;
}
