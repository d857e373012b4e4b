"""The frame every command runs in: exit codes, the one place exceptions become one line,
the shared options, and opening the database."""

from __future__ import annotations

import enum
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
import platformdirs
from rich.console import Console

from ..errors import MusicToolsError, os_reason
from ..queries import SearchError
from ..store import LibraryDatabase
from ..store.connection import DEFAULT_BUSY_TIMEOUT_S
from ..util import printable_path

__all__ = [
    "ExitStatus",
    "MusicToolsGroup",
    "db_option",
    "default_db_path",
    "format_option",
    "json_option",
    "open_db",
    "open_db_to_cache",
    "output_file",
    "stdout_console",
]

F = TypeVar("F", bound=Callable[..., Any])


class ExitStatus(enum.IntEnum):
    """Exit codes, in one place.

    OK: done (files that could not be read are reported, and still OK);
    ERROR: the command could not do its job (database damaged, locked, read-only, full, not
    a library, newer; I/O); USAGE: a bad argument, search query or a missing folder;
    DUPLICATES: `check` found at least one file the library already has (OK then means
    every file checked is new); INTERRUPTED: Ctrl-C or SIGTERM (what was committed is kept).
    """

    OK = 0
    ERROR = 1
    USAGE = 2
    DUPLICATES = 3
    INTERRUPTED = 130


def default_db_path() -> Path:
    return platformdirs.user_data_path("music-tools") / "library.db"


class MusicToolsGroup(click.Group):
    """Maps every exception to one line on stderr and an ExitStatus."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        kwargs.setdefault("prog_name", "music-tools")
        try:
            with _sigterm_as_interrupt():
                result = super().main(*args, **kwargs)
        except click.UsageError as exc:
            _fail(ExitStatus.USAGE, f"{exc.format_message()} (see --help)")
        except click.ClickException as exc:
            _fail(ExitStatus.ERROR, exc.format_message())
        except (KeyboardInterrupt, click.Abort):
            _fail(ExitStatus.INTERRUPTED, "interrupted")
        except (MusicToolsError, SearchError) as exc:
            _fail(
                ExitStatus.ERROR if isinstance(exc, MusicToolsError) else ExitStatus.USAGE, str(exc)
            )
        except OSError as exc:
            _fail(ExitStatus.ERROR, f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        sys.exit(int(result) if isinstance(result, int) else ExitStatus.OK)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a command as Ctrl-C does: what was committed is kept, workers are
    stopped, one line is printed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _fail(status: ExitStatus, message: str) -> None:
    click.echo(f"music-tools: error: {printable_path(message)}", err=True)
    sys.exit(status)


def db_option(command: F) -> F:
    return click.option(
        "--db",
        "db_path",
        envvar="MUSIC_TOOLS_DB",
        type=click.Path(dir_okay=False, path_type=Path),
        default=default_db_path,
        show_default="the user data folder; MUSIC_TOOLS_DB overrides",
        help="The library database file.",
    )(command)


def format_option(choices: tuple[str, ...], default: str) -> Callable[[F], F]:
    """`--format` with these choices, the first line of every command that renders rows."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


@contextmanager
def open_db(path: Path, create: bool = False, write: bool = False) -> Iterator[LibraryDatabase]:
    """The library at `path`: read-only unless the command writes (`write`) or may make a
    new one (`create`); a command that only reads never changes the file."""
    if not create and not path.exists():
        raise MusicToolsError(f"{path}: no library database here yet (run `music-tools index`)")
    if create and path == default_db_path():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MusicToolsError(
                f"{path.parent}: cannot create the database folder: {exc.strerror or exc}"
            ) from None
    with LibraryDatabase(
        path, readonly=not (create or write), busy_timeout=_busy_timeout(), on_wait=_say_waiting
    ) as db:
        yield db


def open_db_to_cache(path: Path, acting: bool) -> AbstractContextManager[LibraryDatabase]:
    """For `check` and `dupes`, which write only to cache the full hashes they computed
    (and to act, with --apply): writable where the user may write the file and its folder,
    else read-only, and then nothing is cached."""
    folder = path.parent if str(path.parent) else Path(".")
    writable = os.access(path, os.W_OK) and os.access(folder, os.W_OK)
    return open_db(path, write=acting or writable)


def _busy_timeout() -> float:
    """Seconds to wait for another process's lock: MUSIC_TOOLS_BUSY_TIMEOUT, or 60."""
    value = os.environ.get("MUSIC_TOOLS_BUSY_TIMEOUT", "")
    try:
        return max(0.0, float(value)) if value else DEFAULT_BUSY_TIMEOUT_S
    except ValueError:
        raise click.UsageError(f"MUSIC_TOOLS_BUSY_TIMEOUT wants seconds: {value!r}") from None


def _say_waiting() -> None:
    click.echo("waiting for the database lock held by another process...", err=True)


@contextmanager
def output_file(path: Path) -> Iterator[TextIO]:
    """A text file written in full or not at all: a temporary file beside `path`, renamed
    over it on success, removed on any error ("-" is stdout)."""
    if str(path) == "-":
        yield sys.stdout
        return
    folder = path.absolute().parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise MusicToolsError(f"{printable_path(str(path))}: {os_reason(exc)}") from None
    try:
        with open(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def stdout_console() -> Console:
    return Console(soft_wrap=False)
