"""The magics' demo flow in a terminal IPython, as a person tries the package out.

``run(python, workdir)`` starts ``python -m IPython`` (terminal IPython: text mode, no widget
front end) with no credentials, types the flow into it and returns what it printed;
``check(output)`` asserts that each magic said what it should. The release checks run it in
fresh environments holding the built wheel; ``test_demo_flow.py`` runs it in the suite's own.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

FLOW = """\
import sv_widgets, av; print("sv_widgets", sv_widgets.__version__, "from", sv_widgets.__file__)
%load_ext sv_widgets
%sv_status
from sv_widgets.emulator import make_sample_clip
clip = make_sample_clip("clip.mp4", seconds=1, width=320, height=240)
code = %sv_upload clip.mp4
print("uploaded:", code)
%sv_info $code
%sv_files
%sv_delete $code --yes
%sv_files
"""


def env_without_credentials(tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    env.pop("PYTHONPATH", None)  # the environment under test, not the checkout, must answer
    env["TMPDIR"] = str(tmpdir)
    return env


def run_ipython(python: Path, workdir: Path, script: str) -> str:
    """Type ``script`` into a terminal IPython of ``python``, in ``workdir``; its output.

    Its temporary files go to ``workdir/tmp``, which must be empty again when it has exited.
    """
    tmpdir = workdir / "tmp"
    tmpdir.mkdir(exist_ok=True)
    done = subprocess.run(
        [
            str(python),
            "-m",
            "IPython",
            "--no-banner",
            "--colors=NoColor",
            "--quick",
            "--no-confirm-exit",
            "--HistoryManager.enabled=False",
        ],
        input=script,
        cwd=workdir,
        env=env_without_credentials(tmpdir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert sorted(p.name for p in tmpdir.iterdir()) == [], "left in the temporary directory"
    return output


def run(python: Path, workdir: Path) -> str:
    return run_ipython(python, workdir, FLOW)


def check(output: str) -> str:
    """Assert the flow went as it should; returns the file code it uploaded."""
    assert "Traceback" not in output, output
    assert "UsageError" not in output, output
    assert "demo mode (a local emulator starts on first use)" in output, output
    said = " ".join(output.split())  # the notice is wrapped to the terminal's width
    assert "sv_widgets demo mode: no credentials found, so the magics use a local" in said
    match = re.search(r"uploaded: (\d+-[A-Za-z0-9]{6})$", output, re.M)
    assert match is not None, output
    code = match.group(1)
    assert f"clip.mp4: converted: {code} is ready to play" in output, output
    assert f"code='{code}'" in output  # %sv_info's FileInfo
    assert re.search(rf"^\s+{code}\s+0:01\s+mp4\s+240p$", output, re.M), output  # %sv_files
    assert "(1 file)" in output
    assert "Deleted 1 file." in output
    assert output.index("No files yet.") > output.index("Deleted 1 file.")
    return code
