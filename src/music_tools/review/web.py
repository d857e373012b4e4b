"""The review page over HTTP (a Werkzeug WSGI application): who may ask, and the routes.

Every request is checked before it is routed, so a refused one learns nothing: it must
come from a loopback peer, name this server's loopback host and port in its Host header
(a page on another site whose name was re-pointed at 127.0.0.1, DNS rebinding, sends its
own name), and carry the session's token in the query (`token=`) or the
`X-Music-Tools-Token` header, compared in constant time. What changes anything is a POST
of JSON (which a cross-site form cannot send without the browser asking first), whose
Origin, when sent, is this server; a GET changes nothing. Files are named by row id and
only the files of the groups are served: no path from the client is ever opened.
"""

from __future__ import annotations

import csv
import hmac
import io
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from ..dupes import KINDS
from ..errors import MusicToolsError
from ..util import printable_path
from .keepers import PRESETS
from .present import group_record, media_types, outcome_record
from .session import ActionReport, GroupFilter, ReviewError, ReviewSession
from .spectrogram import SpectrogramCache

__all__ = ["ReviewApp"]

TOKEN_HEADER = "X-Music-Tools-Token"
PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
_STATIC = {"review.js": "text/javascript", "review.css": "text/css", "icon.svg": "image/svg+xml"}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",  # the token is in the page's URL
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

_ROUTES = Map(
    [
        Rule("/", endpoint="page", methods=["GET"]),
        Rule("/static/<name>", endpoint="static", methods=["GET"]),
        Rule("/api/info", endpoint="info", methods=["GET"]),
        Rule("/api/groups", endpoint="groups", methods=["GET"]),
        Rule("/api/keeper", endpoint="keeper", methods=["POST"]),
        Rule("/api/preset", endpoint="preset", methods=["POST"]),
        Rule("/api/mark", endpoint="mark", methods=["POST"]),
        Rule("/api/mark-all", endpoint="mark_all", methods=["POST"]),
        Rule("/api/preview", endpoint="preview", methods=["POST"]),
        Rule("/api/apply", endpoint="apply", methods=["POST"]),
        Rule("/api/undo", endpoint="undo", methods=["POST"]),
        Rule("/api/refresh", endpoint="refresh", methods=["POST"]),
        Rule("/audio/<int:row_id>", endpoint="audio", methods=["GET"]),
        Rule("/spectrogram/<int:row_id>", endpoint="spectrogram", methods=["GET"]),
        Rule("/export.csv", endpoint="export", methods=["GET"]),
    ]
)


class ReviewApp:
    """The WSGI application of one review session; `bind(port)` once the server has its
    port, before the first request."""

    def __init__(self, session: ReviewSession, token: str, spectrograms: SpectrogramCache) -> None:
        self.session = session
        self.spectrograms = spectrograms
        self._token = token.encode()
        self._hosts: frozenset[str] = frozenset()
        self._origin = ""
        folder = resources.files(__package__) / "static"
        self._static = {name: (folder / name).read_bytes() for name in (*_STATIC, "index.html")}
        self._handlers: dict[str, Callable[..., Response]] = {
            name.removeprefix("_on_"): getattr(self, name)
            for name in dir(self)
            if name.startswith("_on_")
        }

    def bind(self, port: int) -> None:
        self._hosts = frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})
        self._origin = f"http://127.0.0.1:{port}"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request)
        response.headers.extend(_HEADERS)
        response.headers.setdefault("Cache-Control", "no-store")
        return response(environ, start_response)

    # -- the gate ------------------------------------------------------------------------

    def refusal(self, request: Request) -> str:
        """Why this request may not be served, or ""."""
        try:
            loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return "only this machine may use the review page"
        if request.environ.get("HTTP_HOST", "") not in self._hosts:
            return "the Host header does not name this server"
        given = request.headers.get(TOKEN_HEADER) or request.args.get("token") or ""
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), self._token):
            return "missing or wrong token (open the address `music-tools review` printed)"
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin is not None and origin != self._origin:
                return "a change must come from the review page itself"
        return ""

    def _respond(self, request: Request) -> Response:
        refused = self.refusal(request)
        if refused:
            return _error(403, refused)
        try:
            endpoint, values = _ROUTES.bind_to_environ(request.environ).match()
            if request.method == "POST" and not request.is_json:
                return _error(415, "send JSON (Content-Type: application/json)")
            return self._handlers[str(endpoint)](request, **values)
        except HTTPException as exc:
            return _error(exc.code or 500, exc.description or exc.name)
        except ReviewError as exc:
            return _error(exc.status, str(exc))
        except MusicToolsError as exc:
            return _error(500, str(exc))

    # -- pages and files -----------------------------------------------------------------

    def _on_page(self, request: Request) -> Response:
        html = self._static["index.html"].replace(b"__TOKEN__", self._token)
        return Response(html, mimetype="text/html")

    def _on_static(self, request: Request, name: str) -> Response:
        if name not in _STATIC:
            raise ReviewError(f"no such file: {name}", 404)
        return Response(self._static[name], mimetype=_STATIC[name])

    def _on_audio(self, request: Request, row_id: int) -> Response:
        file = self._local_file(row_id)
        try:
            response = send_file(
                file.file_path, request.environ, mimetype=media_types(file)[0], max_age=0
            )
        except FileNotFoundError:
            raise ReviewError("not at its indexed place any more", 404) from None
        except OSError as exc:
            raise ReviewError(f"cannot read it: {exc.strerror or exc}", 403) from None
        response.headers["Cache-Control"] = "private, no-cache"
        return response

    def _on_spectrogram(self, request: Request, row_id: int) -> Response:
        image = self.spectrograms.get(self._local_file(row_id))
        response = Response(image.png, mimetype="image/png")
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    def _local_file(self, row_id: int) -> Any:
        file = self.session.file(row_id)
        here = self.session.db.machine
        if file.machine is not None and file.machine != here:
            raise ReviewError(f"is on machine {file.machine}, not this one ({here})", 404)
        return file

    def _on_export(self, request: Request) -> Response:
        pairs = list(self.session.pairs(_filter(request.args)))

        def rows() -> Iterator[str]:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["group", "kind", "duplicate", "keeper"])
            for group, file in pairs:
                keeper = printable_path(group.keeper.file_path)
                writer.writerow([group.id, group.kind, printable_path(file.file_path), keeper])
                if out.tell() > 65536:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
            yield out.getvalue()

        response = Response(rows(), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="duplicate-pairs.csv"'
        return response

    # -- reading -------------------------------------------------------------------------

    def _on_info(self, request: Request) -> Response:
        session = self.session
        return _json(
            {
                "groups": len(session.groups),
                "seconds": round(session.seconds, 3),
                "kinds": list(KINDS),
                "presets": list(PRESETS),
                "preset": session.options.preset,
                "acting": session.acting,
                "trash": session.options.trash,
                "database": printable_path(str(session.db.path)),
            }
        )

    def _on_groups(self, request: Request) -> Response:
        offset = max(0, request.args.get("offset", 0, type=int) or 0)
        limit = min(MAX_PAGE_SIZE, max(1, request.args.get("limit", PAGE_SIZE, type=int) or 1))
        page = self.session.page(_filter(request.args), offset, limit)
        with self.session.lock:
            groups = [group_record(self.session, g) for g in page.groups]
        return _json({"total": page.total, "offset": page.offset, "groups": groups})

    # -- changing ------------------------------------------------------------------------

    def _on_keeper(self, request: Request) -> Response:
        body = _body(request)
        group = self.session.choose(_int(body, "group"), _int(body, "keeper"))
        with self.session.lock:
            return _json(group_record(self.session, group))

    def _on_preset(self, request: Request) -> Response:
        body = _body(request)
        preset = str(body.get("preset", ""))
        changed = self.session.apply_preset(preset, _filter(body.get("filter") or {}))
        return _json({"changed": changed})

    def _on_mark(self, request: Request) -> Response:
        body = _body(request)
        group = self.session.mark(_int(body, "group"), bool(body.get("marked")))
        return _json({"id": group.id, "marked": group.marked})

    def _on_mark_all(self, request: Request) -> Response:
        body = _body(request)
        count = self.session.mark_all(_filter(body.get("filter") or {}), bool(body.get("marked")))
        return _json({"count": count})

    def _on_preview(self, request: Request) -> Response:
        return _report(self.session.preview())

    def _on_apply(self, request: Request) -> Response:
        return _report(self.session.apply())

    def _on_undo(self, request: Request) -> Response:
        return _report(self.session.undo())

    def _on_refresh(self, request: Request) -> Response:
        seconds = self.session.refresh()
        return _json({"groups": len(self.session.groups), "seconds": round(seconds, 3)})


def _filter(values: Any) -> GroupFilter:
    """The filter of a query string or a JSON object (`q` is the text)."""
    return GroupFilter(
        kind=str(values.get("kind") or ""),
        folder=str(values.get("folder") or ""),
        text=str(values.get("q") or ""),
        flagged=str(values.get("flagged") or "") in ("1", "true", "True"),
    )


def _body(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ReviewError("send a JSON object")
    return body


def _int(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if type(value) is not int:
        raise ReviewError(f"{name}: want a number")
    return value


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value), status=status, mimetype="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"error": message}, status)


def _report(report: ActionReport) -> Response:
    counts: dict[str, int] = {}
    for outcome in report.outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return _json(
        {
            "counts": counts,
            "outcomes": [outcome_record(o) for o in report.outcomes],
            "log": printable_path(report.log) if report.log else None,
        }
    )
