"""The harness itself, proved end to end: widgets render and talk back, in Lab and Notebook 7.

If this fails, no other browser test can be believed; if it passes, a failure elsewhere is
about our widgets, not about starting Jupyter, the kernel, or the widget managers.
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from playwright.sync_api import Page, expect

from .harness import (
    NotebookExecutionError,
    cell_output,
    cell_text,
    kernel_execute,
    open_notebook,
    run_all,
    run_cell,
    run_cell_until,
    save_screenshot,
    wait_for_widget,
    write_notebook,
)
from .server import JupyterServer

pytestmark = pytest.mark.browser

COUNTER_CELL = textwrap.dedent(
    '''
    import anywidget
    import traitlets


    class Counter(anywidget.AnyWidget):
        """A button that counts its clicks, on both sides of the widget channel."""

        _esm = """
        function render({ model, el }) {
          const button = document.createElement("button");
          button.className = "sv-smoke-counter";
          const update = () => { button.textContent = `count is ${model.get("value")}`; };
          button.addEventListener("click", () => {
            model.set("value", model.get("value") + 1);
            model.save_changes();
          });
          model.on("change:value", update);
          update();
          el.appendChild(button);
        }
        export default { render };
        """
        value = traitlets.Int(0).tag(sync=True)


    counter = Counter()
    counter
    '''
).strip()

CELLS = [
    "import json, sys\nprint(json.dumps(sys.executable))",
    "import ipywidgets\n"
    "slider = ipywidgets.IntSlider(value=5, max=10, description='level')\n"
    "slider",
    COUNTER_CELL,
    "print(counter.value)",
    "slider.value = 8",
]


def test_widgets_render_and_sync_both_ways(page: Page, jupyter: JupyterServer) -> None:
    name = f"smoke-{jupyter.app}.ipynb"
    write_notebook(jupyter.root_dir, name, CELLS)
    open_notebook(page, jupyter, name)
    run_all(page)

    # The kernel is this interpreter (the venv), not whatever "python3" is on PATH.
    assert json.loads(cell_text(page, 0)) == sys.executable

    slider = wait_for_widget(page, ".widget-slider", cell_index=1)
    expect(slider.locator(".widget-label").first).to_have_text("level")
    # Python -> browser: the last cell set the value to 8 after the slider was drawn.
    expect(slider.locator(".widget-readout")).to_have_text("8")

    button = wait_for_widget(page, "button.sv-smoke-counter", cell_index=2)
    expect(button).to_have_text("count is 0")
    for clicks in range(1, 4):
        button.click()
        expect(button).to_have_text(f"count is {clicks}")
    # Browser -> Python: the kernel saw the clicks.
    run_cell_until(page, 3, "3")

    save_screenshot(page, f"smoke-{jupyter.app}", docs=False)


def test_a_raising_cell_is_reported_with_its_traceback(
    page: Page, jupyter_lab: JupyterServer
) -> None:
    write_notebook(
        jupyter_lab.root_dir,
        "smoke-error.ipynb",
        ["x = 1", "raise ValueError('boom from cell 1')", "x = 2", "print(x)"],
    )
    open_notebook(page, jupyter_lab, "smoke-error.ipynb")
    with pytest.raises(NotebookExecutionError, match=r"cell 1 raised ValueError: boom from cell 1"):
        run_all(page)
    expect(cell_output(page, 1)).to_contain_text("boom from cell 1")
    # The run stopped there, as it does for a person: cell 2 never ran.
    assert run_cell(page, 3).strip() == "1"
    # Set-up code run outside the cells reports its errors the same way.
    with pytest.raises(NotebookExecutionError, match=r"set-up code raised ZeroDivisionError"):
        kernel_execute(page, "1 / 0")
    kernel_execute(page, "x = 3")
    assert run_cell(page, 3).strip() == "3"
