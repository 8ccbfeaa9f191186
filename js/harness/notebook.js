// Page-side helpers of tests/browser/harness.py: the notebook that open_notebook() opened,
// its cells and its kernel, asked of the application itself (window.jupyterapp). The harness
// sends this file's text with each call and runs one of its functions in the page, so each
// function must need nothing but this file and the page.

/** @returns {SvNotebookPanel | null} the panel of the notebook open_notebook() opened */
function svPanel() {
  const app = window.jupyterapp;
  if (!app || !window.__svNotebookPath) return null;
  for (const w of app.shell.widgets("main")) {
    if (w.context && w.context.path === window.__svNotebookPath && w.content) {
      return /** @type {SvNotebookPanel} */ (w);
    }
  }
  return null;
}

/** @param {SvNotebookPanel} panel */
function svCodeCells(panel) {
  return panel.content.widgets
    .map((cell, index) => ({ cell, index }))
    .filter(({ cell }) => cell.model.type === "code");
}

/** @param {SvNotebookPanel} panel */
function svKernel(panel) {
  return panel.sessionContext.session && panel.sessionContext.session.kernel;
}

/** @param {SvCell} cell */
function svErrorOf(cell) {
  return cell.model.outputs.toJSON().find((o) => o.output_type === "error") || null;
}

/** @returns {SvNotebookPanel} */
function openPanel() {
  const panel = svPanel();
  if (!panel) throw new Error("the notebook is not open");
  return panel;
}

/**
 * Remember `path` as the notebook; its panel's id and kernel name once it is ready (open,
 * its kernel idle and connected, every cell attached), else false.
 *
 * @param {string} path
 */
export function notebookReady(path) {
  window.__svNotebookPath = path;
  const panel = svPanel();
  if (!panel || !panel.context.isReady || !panel.sessionContext.isReady) return false;
  const kernel = svKernel(panel);
  if (!kernel || kernel.status !== "idle" || kernel.connectionStatus !== "connected") return false;
  if (!panel.isVisible || !panel.content.widgets.every((c) => c.isAttached)) return false;
  return { id: panel.id, kernel: kernel.name };
}

/** @param {string} id */
export function rememberPanel(id) {
  window.__svPanelId = id;
}

export function panelId() {
  return window.__svPanelId || null;
}

/**
 * Activate the panel and start a command; returns the highest execution count before it,
 * without waiting for the command (run-all resolves only when every cell has run, which the
 * caller waits for separately).
 *
 * @param {[string, number | null]} args the command, and the cell to make active (or null)
 */
export function startCommand([command, cellIndex]) {
  const panel = openPanel();
  const app = window.jupyterapp;
  app.shell.activateById(panel.id);
  if (cellIndex !== null) {
    panel.content.activeCellIndex = cellIndex;
    panel.content.deselectAll(); // run-cell runs the active cell and any other selected ones
  }
  const counts = svCodeCells(panel).map(({ cell }) => cell.model.executionCount || 0);
  const before = Math.max(0, ...counts);
  window.__svCommandError = null;
  app.commands.execute(command).catch((e) => {
    window.__svCommandError = String(e);
  });
  return before;
}

/**
 * Done when each targeted non-empty code cell has an execution count above `after` (counts
 * only grow within a kernel session) and is no longer running, and the kernel is idle. An
 * error output in a cell that ran ends the wait early with the traceback.
 *
 * @param {[number, number[] | null]} args
 */
export function executionDone([after, indices]) {
  if (window.__svCommandError) return { commandError: window.__svCommandError };
  const panel = svPanel();
  if (!panel) return { commandError: "the notebook panel went away" };
  const targets = svCodeCells(panel).filter(
    ({ cell, index }) =>
      (indices === null || indices.includes(index)) && cell.model.sharedModel.getSource().trim(),
  );
  /** @param {SvCell} cell */
  const ran = (cell) =>
    cell.model.executionCount !== null &&
    cell.model.executionCount > after &&
    cell.model.executionState !== "running";
  for (const { cell, index } of targets) {
    if (ran(cell)) {
      const error = svErrorOf(cell);
      if (error) return { index, error };
    }
  }
  const done = targets.every(({ cell }) => ran(cell));
  const kernel = svKernel(panel);
  return done && kernel && kernel.status === "idle" ? { ok: true } : false;
}

/** What the kernel and each code cell are doing, for a timeout's message. */
export function executionState() {
  const panel = svPanel();
  if (!panel) return "the notebook is not open";
  const kernel = svKernel(panel);
  const cells = svCodeCells(panel).map(
    ({ cell, index }) =>
      `cell ${index}: count=${cell.model.executionCount} state=${cell.model.executionState}`,
  );
  return `kernel=${kernel ? kernel.status : "none"}; ${cells.join("; ")}`;
}

/**
 * The text the kernel sent as the output of cell `index`: streams, text/plain, errors.
 *
 * @param {number} index
 */
export function cellText(index) {
  const panel = openPanel();
  const cell = panel.content.widgets[index];
  if (!cell || cell.model.type !== "code") throw new Error(`cell ${index} is not a code cell`);
  /** @param {string | string[] | undefined} text */
  const join = (text) => (Array.isArray(text) ? text.join("") : text || "");
  return cell.model.outputs
    .toJSON()
    .map((o) => {
      if (o.output_type === "stream") return join(o.text);
      if (o.output_type === "error") return `${o.ename}: ${o.evalue}\n`;
      return join((o.data || {})["text/plain"]);
    })
    .join("");
}

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {number} timeout ms
 * @returns {Promise<T | null>} what it resolved to, or null once `timeout` passed
 */
function within(promise, timeout) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const expired = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), timeout);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Save the notebook (docmanager:save); "saved" once it is written, else why not.
 *
 * @param {number} timeout ms
 */
export async function save(timeout) {
  const panel = openPanel();
  window.jupyterapp.shell.activateById(panel.id);
  const saved = window.jupyterapp.commands.execute("docmanager:save").then(() => "saved");
  const outcome = (await within(saved, timeout)) || "timeout";
  return outcome === "saved" && !panel.context.model.dirty ? "saved" : outcome;
}

/**
 * Run `code` in the notebook's kernel without a cell; its reply's status (and error).
 *
 * @param {[string, number]} args the code, and the timeout in ms
 */
export async function kernelExecute([code, timeout]) {
  const panel = openPanel();
  const kernel = svKernel(panel);
  if (!kernel) throw new Error("the notebook has no kernel");
  const future = kernel.requestExecute({ code, silent: true, store_history: false });
  const reply = await within(future.done, timeout);
  if (reply === null) return { status: "timeout" };
  const c = reply.content;
  return { status: c.status, ename: c.ename, evalue: c.evalue, traceback: c.traceback };
}

/** Restart the kernel as the Kernel menu does (after its confirmation). */
export async function restart() {
  await openPanel().sessionContext.restartKernel();
  return true;
}

/** Whether the notebook's kernel is idle and connected. */
export function kernelReady() {
  const panel = svPanel();
  const kernel = panel && svKernel(panel);
  return Boolean(kernel && kernel.status === "idle" && kernel.connectionStatus === "connected");
}

/** Close JupyterLab's left side panel (Notebook 7 has none). */
export function collapseLeft() {
  const shell = window.jupyterapp.shell;
  if (shell.collapseLeft && !shell.leftCollapsed) shell.collapseLeft();
}

export function leftCollapsed() {
  return !window.jupyterapp.shell.collapseLeft || Boolean(window.jupyterapp.shell.leftCollapsed);
}
