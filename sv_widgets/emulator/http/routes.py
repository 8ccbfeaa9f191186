"""The emulator's one route table: every path, its verbs, its handler and its fault-rule name.

``app.py`` builds the server from :data:`ROUTES`; the fault middleware names requests from
the same table, :data:`FAULT_ROUTE_NAMES` is what a fault rule may name, and the upload
server's CORS middleware reads which paths are cross-origin. A new route is one line here
and one handler method in ``app.py``. Pure data: no Starlette, nothing heavy to import.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "API",
    "CONTROL",
    "FAULT_ROUTE_NAMES",
    "ROUTES",
    "UPLOAD",
    "RouteSpec",
]

#: Prefix of the documented API.
API = "/api/v1"
#: The upload server ("server" in the initiate answer) and its progress route.
UPLOAD = "/fileservers/upload"
#: The emulator's own control routes (faults, reset, conversions): never part of the API.
CONTROL = "/_emulator"

_READS = ("GET", "HEAD")


@dataclass(frozen=True)
class RouteSpec:
    """One route.

    Attributes
    ----------
    path
        Starlette path template (``{code}``, ``{size:int}``, ``{path:path}``).
    handler
        Name of the handler method in ``app.py``.
    methods
        HTTP verbs the route answers.
    fault
        Name fault rules use for it (``""``: fault injection never applies).
    read_fault
        Name for ``GET``/``HEAD`` when reads and writes share one path (``/me/file``).
    cross_origin
        Pages on other origins may call it (the upload server, as the operator's own
        WordPress plugin does from any site; media, which HLS and DASH players in a page read
        with ``fetch``).
    """

    path: str
    handler: str
    methods: tuple[str, ...]
    fault: str = ""
    read_fault: str = ""
    cross_origin: bool = False

    def fault_name(self, method: str) -> str:
        """The fault-rule name of a ``method`` request to this route."""
        if self.read_fault and method in _READS:
            return self.read_fault
        return self.fault


ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(f"{API}/upload/initiate", "initiate", ("GET",), "initiate"),
    RouteSpec(f"{API}/upload/conversion/initiate", "convert", ("GET",), "convert"),
    RouteSpec(f"{API}/me/file", "me_file", ("GET", "POST", "PUT"), "file_update", "file_get"),
    RouteSpec(
        f"{API}/me/files", "me_files", ("GET", "POST", "DELETE"), "files_delete", "files_get"
    ),
    RouteSpec(UPLOAD, "upload", ("POST",), "upload", cross_origin=True),
    RouteSpec(f"{UPLOAD}/progress", "progress", ("GET",), "progress", cross_origin=True),
    RouteSpec("/thumbnail/{code}/json/list", "thumb_list", ("GET",), "thumbnail"),
    RouteSpec("/thumbnail/{code}/exact/{name}", "thumb_exact", ("GET",), "thumbnail"),
    RouteSpec("/thumbnail/{code}/{size:int}/{name}", "thumb_resized", ("GET",), "thumbnail"),
    RouteSpec("/media/{code}/{path:path}", "media", ("GET",), "media", cross_origin=True),
    RouteSpec(f"{CONTROL}/faults", "faults", ("GET", "POST", "DELETE")),
    RouteSpec(f"{CONTROL}/reset", "reset", ("POST",)),
    RouteSpec(f"{CONTROL}/conversions", "conversions", ("GET",)),
    RouteSpec(f"{CONTROL}/conversions/{{code}}", "set_conversion", ("POST",)),
)

#: Route names a fault rule may use instead of a path glob, in table order.
FAULT_ROUTE_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(name for spec in ROUTES for name in (spec.read_fault, spec.fault) if name)
)
