"""What a database target names: an SQLite file, or a `postgresql://` URL; the engine
that opens it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from ..errors import StoreError
from .engine import Engine
from .sqlite_engine import SqliteEngine

__all__ = ["check_target", "is_postgres_url", "open_engine"]

_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def _scheme(target: object) -> str | None:
    """The scheme of a `scheme://...` target, lower-cased; None for a file path."""
    text = os.fspath(target) if isinstance(target, str | os.PathLike) else ""
    found = _URL_SCHEME.match(text) if isinstance(text, str) else None
    return found.group(1).lower() if found else None


def is_postgres_url(target: object) -> bool:
    return _scheme(target) in _POSTGRES_SCHEMES


def check_target(target: object) -> None:
    """Raise StoreError for a URL this tool cannot open (`mysql://`, SQLAlchemy's
    `postgresql+psycopg://`), naming its scheme only: read as a file path, its password
    would appear in the error."""
    scheme = _scheme(target)
    if scheme is not None and scheme not in _POSTGRES_SCHEMES:
        raise StoreError(
            "",
            f"{scheme}://... is not a database music-tools can open: give a file path, "
            "or postgresql://user:password@host/db",
        )


def open_engine(
    target: str | os.PathLike[str],
    *,
    busy_timeout: float,
    readonly: bool,
    on_wait: Callable[[], None] | None,
    machine: str | None,
) -> Engine:
    """The engine for a file path (SQLite) or a `postgresql://` URL."""
    check_target(target)
    if is_postgres_url(target):
        try:
            from .postgres import PostgresEngine  # the SQLite path never imports psycopg
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] != "psycopg":
                raise
            raise StoreError(
                "", "PostgreSQL support is not installed: pip install 'music-tools[postgres]'"
            ) from None

        url = os.fspath(target)
        scheme, rest = url.split(":", 1)
        return PostgresEngine(
            scheme.lower() + ":" + rest,  # libpq knows the lower-case scheme only
            busy_timeout,
            readonly=readonly,
            on_wait=on_wait,
            machine=machine,
        )
    return SqliteEngine(target, busy_timeout, readonly=readonly, on_wait=on_wait)
