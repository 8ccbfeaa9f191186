// The parts of JupyterLab and Notebook 7 that the browser tests' page-side helpers use, as
// the application exposes them with --expose-app-in-browser (window.jupyterapp).

interface SvOutput {
  output_type: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
  data?: Record<string, string | string[] | undefined>;
}

interface SvKernel {
  name: string;
  status: string;
  connectionStatus: string;
  requestExecute(content: { code: string; silent: boolean; store_history: boolean }): {
    done: Promise<{
      content: { status: string; ename?: string; evalue?: string; traceback?: string[] };
    }>;
  };
}

interface SvCell {
  isAttached: boolean;
  model: {
    type: string;
    executionCount: number | null;
    executionState: string;
    sharedModel: { getSource(): string };
    outputs: { toJSON(): SvOutput[] };
  };
}

interface SvNotebookPanel {
  id: string;
  isVisible: boolean;
  context: { path: string; isReady: boolean; model: { dirty: boolean } };
  sessionContext: {
    isReady: boolean;
    session: { kernel: SvKernel | null } | null;
    restartKernel(): Promise<void>;
  };
  content: {
    widgets: readonly SvCell[];
    activeCellIndex: number;
    deselectAll(): void;
  };
}

interface SvJupyterApp {
  shell: {
    widgets(area: string): Iterable<Partial<SvNotebookPanel>>;
    activateById(id: string): void;
    collapseLeft?: () => void;
    leftCollapsed?: boolean;
  };
  commands: { execute(command: string, args?: Record<string, unknown>): Promise<unknown> };
}

interface Window {
  jupyterapp: SvJupyterApp;
  /** The notebook open_notebook() opened, and its panel's id. */
  __svNotebookPath?: string;
  __svPanelId?: string;
  /** The error of the last command start_command() started, if it failed. */
  __svCommandError?: string | null;
}
