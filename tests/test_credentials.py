"""Credential sources, the credentials file, the resolver, and %sv_login/%sv_logout/%sv_status.

The private key in these tests is a marker string; the shell tests check that it lands in no
output, error, repr or history.
"""

from __future__ import annotations

import getpass
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from sv_widgets.credentials import (
    CredentialResolver,
    Credentials,
    InsecureCredentialsWarning,
    config_dir,
    credentials_from_environment,
    credentials_path,
    read_credentials_file,
    write_credentials_file,
)
from sv_widgets.errors import ConfigurationError

MARKER = "SVMARKER-PRIVATE-credentials-0123456789"

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SV_") or name == "XDG_CONFIG_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setenv("SV_CONFIG_DIR", str(tmp_path / "config"))


def _creds(**kw: str) -> Credentials:
    values = {"public_key": "pk-1", "private_key": MARKER, "source": "login"}
    values.update(kw)
    return Credentials(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SV_CONFIG_DIR": "/x/sv"}, Path("/x/sv")),
        ({"XDG_CONFIG_HOME": "/xdg"}, Path("/xdg/sv-widgets")),
        ({"XDG_CONFIG_HOME": "relative/dir"}, Path.home() / ".config" / "sv-widgets"),
        ({}, Path.home() / ".config" / "sv-widgets"),
        ({"SV_CONFIG_DIR": "/x/sv", "XDG_CONFIG_HOME": "/xdg"}, Path("/x/sv")),
    ],
)
def test_config_dir_precedence(env: dict[str, str], expected: Path) -> None:
    if os.name == "nt":  # pragma: no cover
        pytest.skip("POSIX layout")
    assert config_dir(env) == expected
    assert credentials_path(env) == expected / "credentials.json"


def test_environment() -> None:
    assert credentials_from_environment({}) is None
    env = {"SV_PUBLIC_KEY": "pk", "SV_PRIVATE_KEY": MARKER, "SV_API_URL": "http://h/api/v1"}
    creds = credentials_from_environment(env)
    assert creds is not None
    assert (creds.source, creds.public_key, creds.private_key) == ("environment", "pk", MARKER)
    assert (creds.api_url, creds.thumbnail_url) == ("http://h/api/v1", None)


@pytest.mark.parametrize(
    ("env", "missing"),
    [({"SV_PUBLIC_KEY": "pk"}, "SV_PRIVATE_KEY"), ({"SV_PRIVATE_KEY": MARKER}, "SV_PUBLIC_KEY")],
)
def test_environment_half_configured_is_an_error(env: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigurationError, match=f"but {missing} is not") as info:
        credentials_from_environment(env)
    assert MARKER not in str(info.value)


def test_repr_and_describe_hide_the_private_key() -> None:
    creds = _creds(api_url="http://h/api/v1")
    for text in (repr(creds), str(creds), creds.describe(), f"{creds!r}", repr([creds])):
        assert MARKER not in text
        assert "pk-1" in text


@posix_only
def test_write_then_read_round_trip_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "config" / "credentials.json"
    assert read_credentials_file() is None  # no file yet
    written = write_credentials_file(_creds(api_url="http://a/api/v1"))
    assert written == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["private_key"] == MARKER
    creds = read_credentials_file()
    assert creds is not None
    assert (creds.source, creds.public_key, creds.private_key) == ("file", "pk-1", MARKER)
    assert (creds.api_url, creds.thumbnail_url) == ("http://a/api/v1", None)
    assert creds.origin == str(path)
    # Only the file itself is left: the temporary name was renamed, not copied.
    assert sorted(p.name for p in path.parent.iterdir()) == ["credentials.json"]


@posix_only
def test_overwrite_replaces_atomically_and_tightens_mode(tmp_path: Path) -> None:
    path = tmp_path / "config" / "credentials.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"public_key": "old", "private_key": "old"}')
    path.chmod(0o644)
    old_inode = path.stat().st_ino
    write_credentials_file(_creds())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_ino != old_inode  # a rename, so readers never see half a file
    # filterwarnings=error: an InsecureCredentialsWarning here would fail the test.
    creds = read_credentials_file()
    assert creds is not None
    assert creds.public_key == "pk-1"


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_readable_by_others_warns_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "creds.json"
    path.write_text(json.dumps({"public_key": "pk", "private_key": MARKER}))
    path.chmod(mode)
    with pytest.warns(InsecureCredentialsWarning, match=r"chmod 600 .*creds\.json") as record:
        creds = read_credentials_file(path)
    assert creds is not None
    assert creds.private_key == MARKER
    assert f"{mode:04o}" in str(record[0].message)
    assert MARKER not in str(record[0].message)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (f'{{"public_key": "pk", "private_key": "{MARKER}"', "not valid JSON"),
        (f'["{MARKER}"]', "must hold a JSON object"),
        (f'{{"private_key": "{MARKER}"}}', "no 'public_key'"),
        ('{"public_key": "pk"}', "no 'private_key'"),
        (f'{{"public_key": 5, "private_key": "{MARKER}"}}', "'public_key' must be a string"),
    ],
)
def test_bad_file_errors_name_the_file_not_its_content(
    tmp_path: Path, content: str, match: str
) -> None:
    path = tmp_path / "creds.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(ConfigurationError, match=match) as info:
        read_credentials_file(path)
    assert str(path) in str(info.value)
    assert MARKER not in str(info.value)
    assert MARKER not in repr(info.value)
    assert info.value.__cause__ is None
    # No chained exception may carry the document (json's decode error holds all of it).
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_resolver_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = CredentialResolver()

    def active() -> tuple[str, str] | None:
        found = resolver.resolve()
        return None if found is None else (found.source, found.public_key)

    assert active() is None  # nothing anywhere: demo mode
    write_credentials_file(_creds(public_key="from-file"))
    assert active() == ("file", "from-file")
    monkeypatch.setenv("SV_PUBLIC_KEY", "from-env")
    monkeypatch.setenv("SV_PRIVATE_KEY", MARKER)
    assert active() == ("environment", "from-env")
    resolver.login(_creds(public_key="from-login"))
    assert resolver.logged_in
    assert active() == ("login", "from-login")
    forgotten = resolver.logout()
    assert forgotten is not None
    assert forgotten.public_key == "from-login"
    assert not resolver.logged_in
    assert active() == ("environment", "from-env")
    assert resolver.logout() is None


def test_resolver_refuses_non_login_credentials() -> None:
    with pytest.raises(ValueError, match="only credentials from a login"):
        CredentialResolver().login(_creds(source="file"))


# -- %sv_login, %sv_logout, %sv_status in a real shell ------------------------------------------
@pytest.fixture
def ip() -> Iterator[InteractiveShell]:
    """The process's InteractiveShell with the extension loaded (history in memory)."""
    if InteractiveShell.initialized():
        shell = InteractiveShell.instance()
    else:
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "sv_widgets")
    yield shell
    shell.run_line_magic("unload_ext", "sv_widgets")


def _run(ip: InteractiveShell, cell: str) -> tuple[Any, Any]:  # as typed in a cell
    with capture_output() as cap:
        result = ip.run_cell(cell, store_history=True)
    return result, cap


def _assert_nowhere(ip: InteractiveShell, secret: str, *things: Any) -> None:
    texts = [t if isinstance(t, str) else repr(t) for t in things]
    texts += ip.history_manager.input_hist_raw
    texts += [repr(v) for v in ip.history_manager.output_hist.values()]
    texts += [repr(v) for v in ip.user_ns.get("Out", {}).values()]
    for text in texts:
        assert secret not in text


def _prompt(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """Patch getpass (the hidden prompt) to answer ``answers`` in turn; returns the prompts."""
    prompts: list[str] = []
    replies = iter(answers)

    def fake_getpass(prompt: str = "Password: ", stream: Any = None) -> str:
        prompts.append(prompt)
        return next(replies)

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    return prompts


def test_login_asks_hidden_and_the_key_goes_nowhere(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = _prompt(monkeypatch, MARKER)
    result, cap = _run(ip, "%sv_login --public-key pk-login --no-check --api-url http://h/api/v1")
    assert result.error_in_exec is None, cap.stderr
    assert prompts == ["SpareVideos private key (hidden): "]
    assert "Logged in as 'pk-login' for this session." in cap.stdout
    result, cap2 = _run(ip, "%sv_status")
    status = result.result
    assert (status.source, status.public_key) == ("login", "pk-login")
    assert status.api_url == "http://h/api/v1"
    magics = ip.magics_manager.registry["SpareVideosMagics"]
    assert magics.session.credentials().private_key == MARKER  # in memory, where it belongs
    _assert_nowhere(ip, MARKER, cap.stdout, cap.stderr, cap2.stdout, status, magics.session)
    assert not (Path(os.environ["SV_CONFIG_DIR"]) / "credentials.json").exists()  # no --save

    _run(ip, "%sv_logout")
    assert ip.run_line_magic("sv_status", "").source == "demo"
    # Without --public-key, the public key is asked for in the open (it is not a secret).
    _prompt(monkeypatch, MARKER)
    monkeypatch.setattr("builtins.input", lambda prompt="": "  pk-typed ")
    ip.run_line_magic("sv_login", "--no-check")
    assert ip.run_line_magic("sv_status", "").public_key == "pk-typed"


@posix_only
def test_login_save_then_logout_falls_back_to_the_file_then_forget(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _prompt(monkeypatch, MARKER)
    result, cap = _run(ip, "%sv_login --public-key pk-saved --no-check --save")
    assert result.error_in_exec is None, cap.stderr
    path = tmp_path / "config" / "credentials.json"
    assert f"saved to {path} (mode 0600)" in cap.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    result, cap2 = _run(ip, "%sv_logout")
    assert cap2.stdout.splitlines()[0] == "Logged out of this session."
    assert cap2.stdout.splitlines()[1].startswith("SpareVideos: credentials file ")
    status = ip.run_line_magic("sv_status", "")
    assert (status.source, status.public_key) == ("file", "pk-saved")
    result, cap3 = _run(ip, "%sv_logout --forget")
    assert cap3.stdout.splitlines()[0] == f"Deleted {path}."
    result, cap4 = _run(ip, "%sv_logout")
    assert cap4.stdout.splitlines()[0] == (
        "Nothing to log out of: there is no %sv_login in this session (the magics use demo mode)."
    )
    assert cap4.stdout.splitlines()[1].startswith("SpareVideos: demo mode")
    assert not path.exists()
    assert ip.run_line_magic("sv_status", "").source == "demo"
    _assert_nowhere(ip, MARKER, cap.stdout, cap2.stdout, cap3.stdout, status)


def test_login_overrides_the_environment_and_says_so(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SV_PUBLIC_KEY", "pk-env")
    monkeypatch.setenv("SV_PRIVATE_KEY", "env-secret-key")
    assert ip.run_line_magic("sv_status", "").source == "environment"
    _prompt(monkeypatch, MARKER)
    with capture_output() as cap:
        ip.run_line_magic("sv_login", "--public-key pk-login --no-check")
    assert "overrides SV_PUBLIC_KEY/SV_PRIVATE_KEY until %sv_logout" in cap.stdout
    assert ip.run_line_magic("sv_status", "").source == "login"
    ip.run_line_magic("sv_logout", "")
    assert ip.run_line_magic("sv_status", "").source == "environment"


@pytest.mark.parametrize(
    ("answers", "error", "match"),
    [
        (["   "], None, "no private key given; nothing changed"),
        ([], EOFError, "cannot prompt for the keys here"),
        ([], NotImplementedError, "cannot prompt for the keys here"),  # ipykernel, no stdin
    ],
)
def test_login_without_a_key_changes_nothing(
    ip: InteractiveShell,
    monkeypatch: pytest.MonkeyPatch,
    answers: list[str],
    error: type[Exception] | None,
    match: str,
) -> None:
    if error is None:
        _prompt(monkeypatch, *answers)
    else:

        def refuse(prompt: str = "", stream: Any = None) -> str:
            raise error("no stdin")

        monkeypatch.setattr(getpass, "getpass", refuse)
    with pytest.raises(UsageError, match=match):
        ip.run_line_magic("sv_login", "--public-key pk --no-check --save")
    assert ip.run_line_magic("sv_status", "").source == "demo"
    assert not credentials_path().exists()


def test_login_checks_the_keys_against_the_service(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch, emulator: Any
) -> None:
    public_key, private_key = next(iter(emulator.accounts.items()))
    urls = f"--api-url {emulator.api_url} --thumbnail-url {emulator.thumbnail_url}"
    _prompt(monkeypatch, MARKER)
    result, cap = _run(ip, f"%sv_login --public-key {public_key} {urls} --save")
    error = result.error_in_exec
    assert isinstance(error, UsageError)
    assert str(error).startswith("login not changed, the keys did not work: [401] ")
    assert ip.run_line_magic("sv_status", "").source == "demo"
    assert not credentials_path().exists()
    _assert_nowhere(ip, MARKER, cap.stdout, cap.stderr, error)

    _prompt(monkeypatch, private_key)
    result, cap = _run(ip, f"%sv_login --public-key {public_key} {urls}")
    assert result.error_in_exec is None, cap.stderr
    magics = ip.magics_manager.registry["SpareVideosMagics"]
    assert magics.session.client().list_files(1).current_page == 1
    _assert_nowhere(ip, private_key, cap.stdout, cap.stderr, magics.session.client())


def test_half_configured_environment_is_reported(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SV_PUBLIC_KEY", "pk")
    with pytest.raises(UsageError, match="SV_PUBLIC_KEY is set but SV_PRIVATE_KEY is not"):
        ip.run_line_magic("sv_info", "1488633857-11PYNC")


@posix_only
def test_readable_credentials_file_warns_when_a_magic_runs(ip: InteractiveShell) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"public_key": "pk-file", "private_key": MARKER}))
    path.chmod(0o644)
    with pytest.warns(InsecureCredentialsWarning, match="chmod 600"):
        status = ip.run_line_magic("sv_status", "")
    assert (status.source, status.public_key) == ("file", "pk-file")
    assert MARKER not in repr(status)


@pytest.mark.slow
def test_login_in_a_real_kernel_asks_through_a_password_stdin_request(tmp_path: Path) -> None:
    """In Jupyter, getpass is a stdin request marked password: the key never enters a cell."""
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    env["SV_CONFIG_DIR"] = str(tmp_path)
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    iopub: list[str] = []
    requests: list[dict[str, Any]] = []

    def answer(msg: dict[str, Any]) -> None:
        requests.append(msg["content"])
        kc.input(MARKER)

    try:
        code = "%load_ext sv_widgets\n%sv_login --public-key pk-kernel --no-check --save"
        reply = kc.execute_interactive(
            code, allow_stdin=True, stdin_hook=answer, output_hook=iopub.append, timeout=60
        )
        assert reply["content"]["status"] == "ok"
        assert requests == [{"prompt": "SpareVideos private key (hidden): ", "password": True}]
        probe = (
            "ip = get_ipython(); s = ip.magics_manager.registry['SpareVideosMagics'].session\n"
            "print(s.status().source, s.use_widgets(ip), repr(ip.history_manager.input_hist_raw))"
        )
        kc.execute_interactive(probe, output_hook=iopub.append, timeout=60)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    printed = [m["content"]["text"] for m in iopub if m["msg_type"] == "stream"]
    assert printed[-1].startswith("login True ")  # logged in; widgets on under a kernel
    assert "%sv_login --public-key pk-kernel" in printed[-1]  # the history holds the line...
    assert all(MARKER not in repr(m["content"]) for m in iopub)  # ...and nowhere the key
    assert json.loads((tmp_path / "credentials.json").read_text())["private_key"] == MARKER
