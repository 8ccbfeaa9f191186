"""The emulator guide's curl-only flow (docs/emulator-guide.md) runs as written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sv_widgets.emulator import Emulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator-guide.md"


def _flow_script() -> str:
    text = DOC.read_text()
    section = text[text.index("## The documented flow with curl alone") :]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match is not None, "the curl flow block is missing from docs/emulator-guide.md"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.skipif(
    not all(shutil.which(c) for c in ("curl", "openssl", "base64", "bash")),
    reason="needs curl, openssl, base64 and bash",
)
def test_documented_curl_flow(sample_clip: Path, tmp_path: Path) -> None:
    shutil.copy(sample_clip, tmp_path / "clip.mp4")
    with Emulator(accounts={"curl-pk": "curl+secret/key"}) as emu:
        env = {
            **os.environ,
            "SV_BASE": emu.base_url,
            "SV_PUBLIC_KEY": "curl-pk",
            "SV_PRIVATE_KEY": "curl+secret/key",
        }
        out = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", _flow_script()],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0] == "progress: 100"
        bodies = [json.loads(line) for line in lines[1:]]
        convert, info, listing_thumbs, update, files, delete = bodies
        assert convert["status"] == "success"
        assert info["status"] == "success", info
        assert info["streams"]["hls"]["file"].startswith(emu.base_url)
        assert any(key.endswith(".selected") for key in listing_thumbs)
        assert update == {"status": "success"}
        assert convert["code"] in files["codes"]
        assert delete == {"status": "success"}
        assert (tmp_path / "thumb.jpg").read_bytes()[:2] == b"\xff\xd8"
        assert emu.client().list_files().codes == ()
