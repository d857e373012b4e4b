"""Reaching a PostgreSQL catalog: its URL checked and named without the password, the
machine name, the connection, and the driver's errors in words a person can act on."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.string import BytesBinaryDumper

from ...errors import DatabaseFullError, DatabaseLockedError, DatabaseReadOnlyError, StoreError

__all__ = ["MACHINE_NAME", "Server", "check_machine", "default_machine", "quote", "redact"]

#: what `--machine` and MUSIC_TOOLS_MACHINE accept (a host name's characters)
MACHINE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_CONNECT_TIMEOUT_S = 10


def default_machine() -> str:
    """This host's name (its first label): the machine a process writes as unless told
    (the command line reads MUSIC_TOOLS_MACHINE and passes it as `machine`)."""
    name = socket.gethostname().split(".")[0]
    return check_machine(name or "localhost")


def check_machine(name: str) -> str:
    if not MACHINE_NAME.fullmatch(name):
        raise StoreError(
            "",
            f"machine name {name!r} is not usable: letters, digits, '.', '_' and '-', "
            "at most 63, starting with a letter or digit",
        )
    return name


def redact(url: str) -> str:
    """`url` as errors show it: postgresql://user@host:port/db, never the password."""
    try:
        info = conninfo_to_dict(url)
    except Exception:
        return "postgresql://(unreadable URL)"
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{_where(info)}/{info.get('dbname', '')}"


def _where(info: dict[str, Any]) -> str:
    return f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}"


def _check_ports(ports: object) -> None:
    """A port that is not a number is refused here: libpq would look it up as a service
    name and blame the host ("failed to resolve host")."""
    for port in str(ports or "").split(","):
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise StoreError(
                "", f"not a usable PostgreSQL URL: port {port!r} is not a number from 1 to 65535"
            )


def quote(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


class Server:
    """One catalog's URL, checked when made, and its connection once `connect()`-ed: the
    connection is in autocommit mode (transactions.py issues BEGIN and COMMIT)."""

    def __init__(self, url: str) -> None:
        self.name = redact(url)
        try:
            info = conninfo_to_dict(url)
        except psycopg.Error as exc:
            # the driver's message quotes the whole URL, password and all: keep its cause
            cause = " ".join(str(exc).split(" in URI:")[0].split(": postgres")[0].split())
            raise StoreError("", f"not a usable PostgreSQL URL: {cause}") from None
        _check_ports(info.get("port"))
        self._url = url
        self._password = str(info.get("password") or "")
        self.conn: Any = None

    def connect(self) -> Any:
        """The connection, opened (see `open`) and kept as `conn`."""
        self.conn = self.open()
        return self.conn

    def open(self) -> Any:
        """A new connection to the catalog, in autocommit mode."""
        try:
            conn = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=_CONNECT_TIMEOUT_S,
                application_name="music-tools",
            )
            # binary COPY asks for dumpers by type name, and for bytea psycopg finds the
            # dumper of its dbapi20 `Binary` wrapper, in Python: ours are plain bytes (in C)
            conn.adapters.register_dumper(bytes, BytesBinaryDumper)
        except psycopg.Error as exc:
            info = conninfo_to_dict(self._url)
            raise StoreError(
                "", f"cannot reach PostgreSQL at {_where(info)}: {self.reason(exc)}"
            ) from None
        except Exception as exc:  # a URL psycopg cannot parse
            raise StoreError(
                self.name, f"not a usable PostgreSQL URL ({type(exc).__name__})"
            ) from None
        return conn

    def reason(self, exc: BaseException) -> str:
        """The driver's message, one line, without the connection preamble or a password."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        text = text.rsplit(" failed: ", 1)[-1]
        text = re.sub(r"^(connection failed: |FATAL: +|ERROR: +)", "", text).strip()
        if self._password:
            text = text.replace(self._password, "***")
        return text

    def store_error(self, exc: BaseException) -> StoreError:
        """The StoreError (or child) for a driver error on this catalog."""
        if isinstance(exc, StoreError):
            return exc
        reason = self.reason(exc)
        if isinstance(
            exc,
            pg_errors.LockNotAvailable
            | pg_errors.DeadlockDetected
            | pg_errors.SerializationFailure,
        ):
            return DatabaseLockedError(
                self.name, f"another process holds the rows this needs ({reason})"
            )
        if isinstance(exc, pg_errors.DiskFull | pg_errors.OutOfMemory):
            return DatabaseFullError(self.name, f"the server is out of space ({reason})")
        if isinstance(exc, pg_errors.ReadOnlySqlTransaction | pg_errors.InsufficientPrivilege):
            return DatabaseReadOnlyError(self.name, f"the catalog is read-only here ({reason})")
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return StoreError(self.name, f"lost the connection to the server ({reason})")
        return StoreError(self.name, f"database error: {reason}")

    @contextmanager
    def translated(self) -> Iterator[None]:
        """Driver errors raised inside leave as StoreErrors naming this catalog."""
        try:
            yield
        except psycopg.Error as exc:
            raise self.store_error(exc) from exc

    @contextmanager
    def savepoint(self, name: str) -> Iterator[None]:
        """Inside the caller's transaction: an error inside rolls back to here and is
        raised again, the transaction still usable."""
        conn = self.conn
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            with suppress(psycopg.Error):  # a lost connection: the error inside says so
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")
