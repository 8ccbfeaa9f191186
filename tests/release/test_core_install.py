"""With the core install only (no ``emulator`` extra) and no credentials, ``%sv_status`` and
every magic that needs the service say that the extra is missing and how to add it, instead
of announcing a demo mode that then fails.

The extra is hidden here by a ``sitecustomize`` that marks its modules absent (as Python does
for a module that is not installed: ``import`` fails and ``find_spec`` finds nothing); the
release checks do the same with a real core-only install of the wheel.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.release import demo_flow

EMULATOR_EXTRA = ("starlette", "uvicorn", "python_multipart", "multipart", "av", "PIL")
HINT = '%pip install "sv-widgets[emulator]", then restart the kernel'
# every magic that needs the service, with arguments that pass their own checks
MAGICS = [
    "%sv_status",
    "code = %sv_upload clip.mp4",
    "%sv_upload clip.mp4 --no-convert",
    "%sv_convert 1488633857-11PYNC",
    "%sv_info 1488633857-11PYNC",
    "%sv_thumbnails 1488633857-11PYNC",
    "%sv_play 1488633857-11PYNC",
    "%sv_files",
    "%sv_delete 1488633857-11PYNC --yes",
    "client = %sv_client",
]


def run_without_the_extra(python: Path, workdir: Path, script: str) -> str:
    """``script`` in terminal IPython with the emulator extra's modules made absent."""
    hide = workdir / "hide-extra"
    hide.mkdir()
    (hide / "hide_emulator_extra.py").write_text(
        f"import sys\nfor name in {EMULATOR_EXTRA!r}:\n    sys.modules[name] = None\n"
    )
    check = f"all(importlib.util.find_spec(m) is None for m in {EMULATOR_EXTRA!r})"
    wrapper = (
        f"import sys; sys.path.insert(0, {str(hide)!r}); import hide_emulator_extra\n"
        f"import importlib.util; print('extra hidden:', {check})\n"
    )
    return demo_flow.run_ipython(python, workdir, wrapper + script)


def test_every_magic_says_the_emulator_extra_is_missing(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(1000))
    script = "%load_ext sv_widgets\n" + "".join(f"{magic}\n" for magic in MAGICS)
    output = run_without_the_extra(Path(sys.executable), tmp_path, script)
    assert "extra hidden: True" in output
    said = output.count("demo mode needs the emulator extra, which is not installed")
    assert said == len(MAGICS), output  # once per magic
    assert output.count(HINT) == len(MAGICS)
    assert "starts on first use" not in output  # no demo mode announced
    assert "using a local emulator" not in output
    assert "Traceback" not in output


def test_the_hint_installs_what_is_missing() -> None:
    """The hint names the extra the package declares, with the module it would bring."""
    done = subprocess.run(
        [sys.executable, "-c", "import importlib.metadata as m; print(m.requires('sv-widgets'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert 'extra == "emulator"' in done.stdout
    assert "starlette" in done.stdout
