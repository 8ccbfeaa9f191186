"""What a test suite can do to a running emulator: reset it, drive its conversions.

One :class:`Control` per emulator, used both by the ``/_emulator`` routes and by the
:class:`~sv_widgets.emulator.Emulator` methods of the same names, so that the two cannot
behave differently. It also reads the JSON bodies of those routes.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from sv_widgets._values import is_number
from sv_widgets.emulator.domain.errors import ServiceError
from sv_widgets.emulator.domain.service import SpareVideosService
from sv_widgets.emulator.http.faults import FaultSet

__all__ = ["CONVERSION_MODES", "Control"]

#: ``real``: PyAV transcodes; ``fast``: canned media in milliseconds; ``manual``: a test
#: decides when and how each conversion ends.
CONVERSION_MODES = ("real", "fast", "manual")
_STATES = ("converting", "ready", "failed")


class Control:
    """Reset and conversion control of one emulator.

    Parameters
    ----------
    service
        The emulator's domain.
    faults
        Its fault rules (a reset removes them).
    initial_accounts
        Public keys given at start (or the generated demo account): what a reset that also
        drops accounts keeps.
    """

    def __init__(
        self, service: SpareVideosService, faults: FaultSet, initial_accounts: Collection[str]
    ) -> None:
        self.service = service
        self.faults = faults
        self.initial_accounts = frozenset(initial_accounts)

    def reset(self, *, accounts: bool = False) -> dict[str, int]:
        """Remove every file, ticket, conversion and fault rule; return what went.

        ``accounts=True`` also deletes the accounts not given at start.
        """
        counts = self.service.reset(keep_accounts=self.initial_accounts if accounts else None)
        self.faults.clear()
        return counts

    def conversions(self) -> list[dict[str, Any]]:
        """Every requested conversion: code, owner, state, progress, reason and flags."""
        return self.service.conversions()

    def update(self, code: str, body: Any) -> dict[str, Any]:
        """Apply ``{"progress": 40}``, ``{"state": "ready"}`` or
        ``{"state": "failed", "reason": "..."}`` to ``code``'s waiting conversion (manual
        mode) and return its new state. ``None`` values count as absent."""
        if not isinstance(body, dict):
            raise ServiceError(1000, 'Generic error: send a JSON object such as {"progress": 40}')
        unknown = set(body) - {"progress", "state", "reason"}
        if unknown:
            raise ServiceError(1000, f"Generic error: unknown field(s) {sorted(unknown)}")
        return self.service.set_conversion(code, **_checked(body))


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    """Validated keywords for :meth:`SpareVideosService.set_conversion`."""
    state, progress, reason = body.get("state"), body.get("progress"), body.get("reason")
    if state is not None and state not in _STATES:
        raise ServiceError(1000, f"Generic error: 'state' must be one of {', '.join(_STATES)}")
    if progress is not None and (
        not is_number(progress) or not math.isfinite(progress) or not 0 <= progress <= 100
    ):
        raise ServiceError(1000, "Generic error: 'progress' must be a number from 0 to 100")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
        raise ServiceError(1000, "Generic error: 'reason' must be a string (1000 characters)")
    if state is None and progress is None:
        raise ServiceError(1000, "Generic error: send 'progress' or 'state'")
    if reason is not None and state != "failed":
        raise ServiceError(1000, 'Generic error: \'reason\' goes with "state": "failed"')
    return {"state": state, "progress": float(progress or 0.0), "reason": reason or ""}
