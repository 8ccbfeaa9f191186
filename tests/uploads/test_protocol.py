"""The page protocol's one declaration: its only spelling in Python, and what ``parse`` lets by.

Every field of every page message is fed values of every wrong JSON type; each is refused
with a :class:`ProtocolError` that says why, never a ``TypeError`` or anything else.
"""

from __future__ import annotations

import ast
import doctest
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.uploads import _protocol
from sv_widgets.uploads._protocol import (
    FILE_FIELDS,
    KERNEL_MESSAGES,
    KINDS,
    PAGE_MESSAGES,
    ProtocolError,
    kernel_message,
    parse,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sv_widgets"
TYPES = {*PAGE_MESSAGES, *KERNEL_MESSAGES}
#: Message types that are also other words of the package (a phase, a transport, a trait):
#: spelled elsewhere only in those senses, never as a message's ``type``.
ALSO_WORDS = {"failed", "direct", "relay", "progress", "cancel"}

#: A sound value of each kind of field.
SOUND: dict[str, Any] = {
    "id": "t1",
    "secret": "s3cret",
    "whole": 4,
    "status": 200,
    "text": "a message",
    "body": '{"status": "success"}',
    "reason": "network",
    "files": [{"key": "k1", "name": "a.mp4", "size": 3, "mime": ""}],
    "bool": True,
}
#: Values of every JSON type, and some of the right type out of range.
HOSTILE: list[Any] = [
    None,
    True,
    False,
    -1,
    2**53,
    1.5,
    "",
    "x" * 70_000,
    "a/b",
    [],
    ["network"],
    {},
    {"type": "x"},
]


def test_doctests() -> None:
    failed, attempted = doctest.testmod(_protocol)
    assert attempted > 0
    assert failed == 0


def _message_contexts(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module spells a message type: any string of a type that is no other word of
    the package, and a type in a dict's ``type`` key or a comparison with one."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "type"
                    and isinstance(value, ast.Constant)
                    and value.value in TYPES
                ):
                    found.append((node.lineno, value.value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in TYPES - ALSO_WORDS:
                found.append((node.lineno, node.value))
        elif isinstance(node, ast.Compare) and any(
            isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute)
            and c.func.attr == "get"
            and c.args
            and isinstance(c.args[0], ast.Constant)
            and c.args[0].value == "type"
            for c in [node.left, *node.comparators]
        ):
            for c in node.comparators:
                if isinstance(c, ast.Constant) and c.value in TYPES:
                    found.append((node.lineno, c.value))
    return found


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0] = ast.Pass()
    return tree


def test_the_protocol_module_is_the_only_place_a_message_type_is_spelled() -> None:
    spelled: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "uploads/_protocol.py" or relative.startswith("emulator/"):
            continue  # the emulator speaks HTTP, never the page protocol
        tree = _without_docstrings(ast.parse(path.read_text(), str(path)))
        spelled += [f"{relative}:{line}: {word!r}" for line, word in _message_contexts(tree)]
    assert spelled == []


def test_the_spelling_check_finds_a_spelled_type() -> None:
    tree = ast.parse('send({"type": "welcome"})\nif m.get("type") == "failed": pass\nx = "bye"')
    assert {word for _, word in _message_contexts(tree)} == {"welcome", "failed", "bye"}


def sound(name: str) -> dict[str, Any]:
    declared = PAGE_MESSAGES[name]
    return {"type": name, **{f.name: SOUND[f.kind] for f in declared.fields}}


def buffers_of(name: str) -> list[bytes]:
    return [b"x"] * PAGE_MESSAGES[name].buffers[0]


@pytest.mark.parametrize("name", sorted(PAGE_MESSAGES))
def test_a_sound_message_of_every_type_parses(name: str) -> None:
    message = parse(sound(name), buffers_of(name))
    assert message.kind == name
    assert set(message.fields) == set(PAGE_MESSAGES[name].field_names)


def _accepts(kind: str, value: Any) -> bool:
    try:
        KINDS[kind][0](value, "x")
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("name", "field"),
    [(m.name, f.name) for m in PAGE_MESSAGES.values() for f in m.fields],
)
def test_every_field_of_every_page_message_is_type_checked(name: str, field: str) -> None:
    kind = next(f.kind for f in PAGE_MESSAGES[name].fields if f.name == field)
    for value in HOSTILE:
        content = {**sound(name), field: value}
        if _accepts(kind, value):  # e.g. "" is text; it is only refused where it cannot be
            parse(content, buffers_of(name))
            continue
        with pytest.raises(ProtocolError) as refused:
            parse(content, buffers_of(name))
        assert str(refused.value), (field, value)
    missing = sound(name)
    del missing[field]
    with pytest.raises(ProtocolError, match=f"its field '{field}' is missing"):
        parse(missing, buffers_of(name))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_takes_only_its_own_json_type(kind: str) -> None:
    taken = [value for value in HOSTILE if _accepts(kind, value)]
    if kind in ("text", "body"):
        assert taken == ["", "a/b"] if kind == "text" else taken == ["", "x" * 70_000, "a/b"]
    elif kind == "bool":
        assert taken == [True, False]
    elif kind == "files":  # a list; each entry is checked on its own (a bad one, a bad row)
        assert taken == [["network"]]
    else:
        assert taken == [], taken


def test_a_refusal_keeps_the_ids_that_were_sound() -> None:
    content = {**sound("failed"), "reason": {"not": "text"}}
    with pytest.raises(ProtocolError, match=r"an unknown failure reason \{'not': 'text'\}") as e:
        parse(content, [])
    assert (e.value.kind, e.value.tid, e.value.secret) == ("failed", "t1", "s3cret")


@pytest.mark.parametrize(
    "content",
    ["text", 7, None, [], {}, {"type": None}, {"type": ["chunk"]}, {"type": {}}, {"type": "x"}],
)
def test_a_message_that_is_no_known_object_is_refused(content: Any) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse(content, [])
    assert refused.value.kind == ""


def test_a_chunk_is_its_one_buffer() -> None:
    with pytest.raises(ProtocolError, match="does not send binary data"):
        parse(sound("chunk"), [])
    with pytest.raises(ProtocolError, match="a chunk message with 2 binary buffers, not one"):
        parse(sound("chunk"), [b"a", b"b"])
    assert parse(sound("chunk"), [bytearray(b"ab")]).buffers[0].tobytes() == b"ab"


def test_kernel_messages_have_exactly_their_declared_fields() -> None:
    with pytest.raises(ValueError, match="sends no message of type 'launch'"):
        kernel_message("launch")
    with pytest.raises(ValueError, match="a tick message has the fields busy"):
        kernel_message("tick", busy=True, extra=1)
    assert kernel_message("ack", tid="t1", offset=4) == {"type": "ack", "tid": "t1", "offset": 4}


def test_file_fields_and_every_field_kind_are_declared() -> None:
    kinds = {f.kind for m in (*PAGE_MESSAGES.values(), *KERNEL_MESSAGES.values()) for f in m.fields}
    assert kinds | {f.kind for f in FILE_FIELDS} <= set(KINDS)
    assert all(m.sender == "page" for m in PAGE_MESSAGES.values())
    assert all(m.sender == "kernel" for m in KERNEL_MESSAGES.values())
