#!/usr/bin/env python3
"""Write the upload area's page protocol into ``docs/wire-contract.md`` from its declaration.

The protocol is declared once, in ``sv_widgets/uploads/_protocol.py``; the part of the wire
contract between the markers ``<!-- page-protocol:begin -->`` and ``<!-- page-protocol:end -->``
is generated from it, so that the page documents what the code says. A test
(``tests/uploads/test_protocol_doc.py``) fails when the page and the declaration differ.

Usage::

    python scripts/wire_contract.py          # rewrite the generated part
    python scripts/wire_contract.py --check  # fail if it is not what the declaration says
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sv_widgets.uploads._protocol import (  # noqa: E402
    FAILURE_REASONS,
    FALLBACK_REASONS,
    FILE_FIELDS,
    KERNEL_MESSAGES,
    KINDS,
    LIMITS,
    PAGE_MESSAGES,
    PAGE_TIMING,
    PROBE,
    TRANSPORTS,
    MessageType,
)

DOC = ROOT / "docs" / "wire-contract.md"
BEGIN = "<!-- page-protocol:begin -->"
END = "<!-- page-protocol:end -->"


def _buffers(message: MessageType) -> str:
    fewest, most = message.buffers
    if most == 0:
        return "none"
    return f"{fewest}" if fewest == most else f"{fewest} to {most}"


def _value(value: float) -> str:
    return f"{value:g} s" if isinstance(value, float) else f"{value:,}"


def _table(messages: dict[str, MessageType]) -> list[str]:
    lines = ["| type | fields | binary buffers | meaning |", "|---|---|---|---|"]
    for message in messages.values():
        fields = ", ".join(f"`{f.name}` ({f.kind})" for f in message.fields) or "none"
        lines.append(f"| `{message.name}` | {fields} | {_buffers(message)} | {message.about} |")
    return lines


def generated() -> str:
    """The generated part of the page, markers included."""
    lines = [
        BEGIN,
        "<!-- written by scripts/wire_contract.py from sv_widgets/uploads/_protocol.py -->",
        "",
        "### From the page to the kernel",
        "",
        *_table(PAGE_MESSAGES),
        "",
        "### From the kernel to the page",
        "",
        *_table(KERNEL_MESSAGES),
        "",
        "### Kinds of field",
        "",
        "| kind | JSON |",
        "|---|---|",
        *(f"| {kind} | {json} |" for kind, (_, json) in KINDS.items()),
        "",
        "An `add` lists files with the fields "
        + ", ".join(f"`{f.name}` ({f.kind})" for f in FILE_FIELDS)
        + "; each file is checked on its own, and a bad one is a refused row.",
        f"A page's `failed.reason` is one of {', '.join(f'`{r}`' for r in FAILURE_REASONS)}; "
        f"after {' or '.join(f'`{r}`' for r in FALLBACK_REASONS)} with no byte sent, `auto` "
        "relays the file instead.",
        f"The transports: {', '.join(f'`{t}`' for t in TRANSPORTS)}. The hello's probe is "
        f"the {len(PROBE)} bytes `{PROBE.decode()}`.",
        "",
        "### Limits",
        "",
        "| the kernel's | value | what it bounds |",
        "|---|---|---|",
        *(
            f"| `{f.name}` | {_value(getattr(LIMITS, f.name))} | {f.metadata['about']} |"
            for f in dataclasses.fields(LIMITS)
        ),
        "",
        "| the page's | value |",
        "|---|---|",
        *(f"| `{name}` | {value:,} |" for name, value in PAGE_TIMING.items()),
        END,
    ]
    return "\n".join(lines)


def rewritten(text: str) -> str:
    """``text`` with its generated part replaced by :func:`generated`."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + generated() + text[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the page is stale")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    new = rewritten(text)
    if args.check:
        if new != text:
            print(f"{DOC} is stale: run python scripts/wire_contract.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
