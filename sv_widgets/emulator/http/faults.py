"""Fault injection: make chosen routes slow, fail or drop, reproducibly.

A rule says *where* (a route name or a glob over the URL path), *what* (``kind``) and *how
often* (``probability``, drawn from a generator seeded with ``seed`` so a run repeats). Rules
are checked in order for every request outside ``/_emulator``; every ``stall`` rule that fires
holds the request until it is released, every ``latency`` rule that fires adds its delay, and
the first failing rule that fires decides the answer.

Kinds
-----
``latency``
    Wait ``latency_ms`` (asynchronously: other requests are served meanwhile), then go on.
``http_500``
    HTTP 500 with ``{"status": "error", "error": 500, ...}``.
``http_503``
    HTTP 503 with ``{"status": "error", "error": 501, ...}`` and ``Retry-After``.
``api_10005``
    HTTP 200 with ``{"status": "error", "error": 10005, ...}`` (and ``Retry-After`` if set).
``drop``
    Close the connection without an answer.
``stall``
    Hold the request, reading nothing of its body, until the rule is removed (``clear_faults``,
    ``set_faults``, ``reset``) or, when ``latency_ms`` is set, until that long has passed; then
    go on. A client sending a body meets a server that has stopped reading: its send blocks
    once the socket buffers are full. Later rules still apply when it goes on. A rule's JSON
    says how many requests it is ``holding`` now, and :attr:`FaultSet.stalled` how many
    requests a stall held that have not been answered yet (a released one is still counted
    while its route runs).

Compact syntax (CLI ``--fault``): ``ROUTE:KIND[:key=value,...]`` with keys ``p``
(probability), ``seed``, ``ms`` (latency), ``retry_after`` and ``times`` (fire at most this
many times), e.g. ``file_get:http_503:p=0.3,seed=7,retry_after=1``,
``/api/v1/*:latency:ms=250`` or ``upload:stall``.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from sv_widgets._values import is_number, is_whole_number
from sv_widgets.emulator.http.routes import FAULT_ROUTE_NAMES

__all__ = [
    "KINDS",
    "ROUTE_NAMES",
    "Decision",
    "FaultLike",
    "FaultRule",
    "FaultSet",
    "as_rule",
    "parse_fault_spec",
]

KINDS = ("latency", "stall", "http_500", "http_503", "api_10005", "drop")

#: Route names a rule may use instead of a path glob (from the route table).
ROUTE_NAMES = FAULT_ROUTE_NAMES


@dataclass
class FaultRule:
    """One fault rule; see the module docstring for the fields' meaning."""

    route: str
    kind: str
    probability: float = 1.0
    seed: int | None = None
    latency_ms: int = 0
    retry_after: int | None = None
    times: int | None = None
    _rng: random.Random = field(init=False, repr=False, compare=False)
    _fired: int = field(default=0, init=False, repr=False, compare=False)
    _holding: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.route, str) or not self.route:
            raise ValueError("fault rule needs a non-empty 'route' (name or path glob)")
        if self.kind not in KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not 0.0 <= float(self.probability) <= 1.0:
            raise ValueError("fault 'probability' must be between 0 and 1")
        if int(self.latency_ms) < 0 or int(self.latency_ms) > 600_000:
            raise ValueError("fault 'latency_ms' must be between 0 and 600000")
        if self.retry_after is not None and int(self.retry_after) < 0:
            raise ValueError("fault 'retry_after' must be >= 0")
        if self.times is not None and int(self.times) < 0:
            raise ValueError("fault 'times' must be >= 0")
        self.probability = float(self.probability)
        self._rng = random.Random(self.seed)

    @classmethod
    def from_json(cls, data: Any) -> FaultRule:
        """Build a rule from a JSON object; raises ``ValueError`` on anything odd."""
        if not isinstance(data, Mapping):
            raise ValueError("each fault rule must be a JSON object")
        known = {"route", "kind", "probability", "seed", "latency_ms", "retry_after", "times"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(sorted(map(str, unknown)))}")
        for key in ("seed", "latency_ms", "retry_after", "times"):
            value = data.get(key)
            if value is not None and not is_whole_number(value):
                raise ValueError(f"fault '{key}' must be an integer")
        for key in ("route", "kind"):
            if not isinstance(data.get(key), str):
                raise ValueError(f"fault rule needs a string '{key}'")
        p = data.get("probability", 1.0)
        if not is_number(p):
            raise ValueError("fault 'probability' must be a number")
        return cls(**dict(data))

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON, with how often it fired so far and how many requests it holds."""
        out = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        out["fired"] = self._fired
        out["holding"] = self._holding
        return out

    def matches(self, route_name: str, path: str) -> bool:
        """Whether the rule applies to this request."""
        if self.route in ROUTE_NAMES or self.route == "*":
            return self.route in ("*", route_name)
        return fnmatch.fnmatchcase(path, self.route)

    def fire(self) -> bool:
        """Draw whether the rule fires now (counts towards ``times``)."""
        if self.times is not None and self._fired >= self.times:
            return False
        if self._rng.random() >= self.probability:
            return False
        self._fired += 1
        return True


#: What a rule may be given as: a :class:`FaultRule`, its JSON object or its compact spec.
FaultLike = FaultRule | Mapping[str, Any] | str


class Decision(NamedTuple):
    """What the rules say about one request."""

    latency_ms: int
    """The added delay (the sum of the ``latency`` rules that fired)."""
    rule: FaultRule | None
    """The failing rule that answers the request, if one fired."""
    holds: tuple[FaultRule, ...] = ()
    """The ``stall`` rules that fired: the request waits until each is released."""


class FaultSet:
    """The thread-safe, ordered rule list of one emulator."""

    def __init__(self, rules: Iterable[FaultLike] = ()) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._stalled = 0
        self.set(rules)

    @property
    def stalled(self) -> int:
        """Requests a ``stall`` held that have not been answered yet (held, or released and
        still in their route)."""
        return self._stalled

    def count_stalled(self, delta: int) -> None:
        """A stalled request begins (``+1``) or has been answered (``-1``)."""
        with self._lock:
            self._stalled += delta

    def count_holding(self, rule: FaultRule, delta: int) -> None:
        """``rule`` begins (``+1``) or ends (``-1``) holding one request."""
        with self._lock:
            rule._holding += delta

    def set(self, rules: Iterable[FaultLike]) -> None:
        """Replace all rules (rule objects, JSON objects or compact specs)."""
        parsed = [as_rule(r) for r in rules]
        with self._lock:
            self._rules = parsed

    def clear(self) -> None:
        """Remove every rule."""
        self.set(())

    def to_json(self) -> list[dict[str, Any]]:
        """All rules as JSON."""
        with self._lock:
            return [r.to_json() for r in self._rules]

    def holding(self, rule: FaultRule) -> bool:
        """Whether ``rule`` is still one of the rules (a ``stall`` holds while it is)."""
        with self._lock:
            return any(r is rule for r in self._rules)

    def decide(self, route_name: str, path: str) -> Decision:
        """The delay, the holds and the failing rule, if any, for one request."""
        latency = 0
        holds: list[FaultRule] = []
        with self._lock:
            for rule in self._rules:
                if not rule.matches(route_name, path) or not rule.fire():
                    continue
                if rule.kind == "latency":
                    latency += rule.latency_ms
                elif rule.kind == "stall":
                    holds.append(rule)
                else:
                    return Decision(latency, rule, tuple(holds))
        return Decision(latency, None, tuple(holds))


def as_rule(rule: FaultLike) -> FaultRule:
    """A rule from a :class:`FaultRule`, its JSON object or its compact spec (``ValueError``
    when it is none of them)."""
    if isinstance(rule, FaultRule):
        return rule
    if isinstance(rule, str):
        return parse_fault_spec(rule)
    return FaultRule.from_json(rule)


_SPEC_KEYS = {
    "p": "probability",
    "probability": "probability",
    "seed": "seed",
    "ms": "latency_ms",
    "latency_ms": "latency_ms",
    "retry_after": "retry_after",
    "times": "times",
}


def parse_fault_spec(spec: str) -> FaultRule:
    """Parse the compact ``ROUTE:KIND[:key=value,...]`` syntax."""
    parts = spec.split(":", 2)
    if len(parts) < 2:
        raise ValueError(f"fault spec {spec!r} is not ROUTE:KIND[:key=value,...]")
    data: dict[str, Any] = {"route": parts[0], "kind": parts[1]}
    if len(parts) == 3 and parts[2]:
        for item in parts[2].split(","):
            key, sep, value = item.partition("=")
            name = _SPEC_KEYS.get(key.strip())
            if not sep or name is None:
                raise ValueError(f"fault spec {spec!r}: bad option {item!r}")
            try:
                data[name] = float(value) if name == "probability" else int(value)
            except ValueError:
                raise ValueError(f"fault spec {spec!r}: {key} needs a number") from None
    return FaultRule.from_json(data)
