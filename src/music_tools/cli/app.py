"""The frame every command runs in: exit codes, the one place exceptions become one line,
the shared options, and opening the database."""

from __future__ import annotations

import enum
import errno
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import platformdirs
from rich.console import Console

from ..dupes.model import MatchKind, chosen_kinds
from ..errors import MusicToolsError, StoreError
from ..identity.fpcalc import Fpcalc, version_problem
from ..queries import SearchError
from ..store import DEFAULT_BUSY_TIMEOUT_S, LibraryDatabase
from ..store.target import check_target, is_postgres_url
from ..util import printable_path
from .output import settle_stdout, writing_stdout
from .paths import EMPTY_PATH
from .render import one_line

__all__ = [
    "ExitStatus",
    "MusicToolsGroup",
    "Target",
    "db_option",
    "fast_read",
    "format_option",
    "fpcalc",
    "json_option",
    "kinds_from",
    "machine_option",
    "open_db",
    "open_db_to_cache",
    "say_version_problem",
    "stdout_console",
    "view_option",
    "workers_option",
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


class _Stopped(Exception):
    """Ctrl-C or SIGTERM inside a command, carried past click (which would print an empty
    line on stderr before our one line)."""


class MusicToolsGroup(click.Group):
    """Maps every exception to one line on stderr and an ExitStatus."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Stopped from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        kwargs.setdefault("prog_name", "music-tools")
        try:
            with _sigterm_as_interrupt():
                result = super().main(*args, **kwargs)
                with writing_stdout():  # what is still buffered: a full disk is one line too
                    pass
        except click.UsageError as exc:
            _fail(ExitStatus.USAGE, f"{exc.format_message()} (see --help)")
        except click.ClickException as exc:
            _fail(ExitStatus.ERROR, exc.format_message())
        except (KeyboardInterrupt, click.Abort, _Stopped):
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
    """The one line: a driver's message that spans lines, or a name holding a newline, is
    kept on it (line breaks and other control characters escaped)."""
    settle_stdout()
    click.echo(f"music-tools: error: {one_line(printable_path(message.strip()))}", err=True)
    sys.exit(status)


class DatabaseTarget(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A library file (a Path), or a PostgreSQL catalog's `postgresql://` URL (a str)."""

    name = "FILE|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value:  # Path('') would be the current folder
            raise click.UsageError(f"--db: {EMPTY_PATH}", ctx)
        try:
            check_target(value)
        except StoreError as exc:
            self.fail(str(exc), param, ctx)
        if isinstance(value, Path) or not is_postgres_url(value):
            path = Path(value)
            if path.is_dir():
                self.fail(f"{printable_path(str(path))}: a folder, not a database file", param, ctx)
            return path
        return str(value)


#: what `--db` gives a command: a file path, or a PostgreSQL URL
Target = Path | str


def db_option(command: F) -> F:
    return click.option(
        "--db",
        "db_path",
        envvar="MUSIC_TOOLS_DB",
        type=DatabaseTarget(),
        default=default_db_path,
        show_default="the user data folder; MUSIC_TOOLS_DB overrides",
        help="The library: an SQLite file, or postgresql://user:password@host/db for a "
        "catalog several machines share.",
    )(command)


def machine_option(command: F) -> F:
    """`--machine` for the commands that write: which machine's files these are."""
    return click.option(
        "--machine",
        metavar="NAME",
        envvar="MUSIC_TOOLS_MACHINE",
        help="PostgreSQL catalogs: the machine these files are on [MUSIC_TOOLS_MACHINE, "
        "or the host name].",
    )(command)


#: more worker processes than this many a core only cost memory (each is an interpreter with
#: the readers loaded: 256 of them took 787 MB and ran 10 times slower than 2 on 2 cores)
WORKERS_PER_CORE = 4
#: ... but a machine of few cores may still use this many (reads from a slow network disk
#: overlap)
FEWEST_WORKERS_ALLOWED = 8


def workers_option(command: F) -> F:
    """`--workers` for the commands that read files in a pool of processes."""
    return click.option(
        "--workers",
        "-w",
        type=click.IntRange(1, None),
        callback=_cap_workers,
        help=f"Reading processes [cores; at most {WORKERS_PER_CORE} a core].",
    )(command)


def _cap_workers(ctx: click.Context, param: click.Parameter, workers: int | None) -> int | None:
    cap = max(FEWEST_WORKERS_ALLOWED, WORKERS_PER_CORE * (os.cpu_count() or 1))
    if workers is None or workers <= cap:
        return workers
    click.echo(
        f"--workers {workers}: more than {WORKERS_PER_CORE} per core only costs memory; "
        f"using {cap}",
        err=True,
    )
    return cap


def view_option(command: F) -> F:
    """`--machine` for the commands that read the catalog: whose files to look at."""
    return click.option(
        "--machine",
        "view",
        metavar="NAME",
        help="PostgreSQL catalogs: only this machine's files [every machine's].",
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


def kinds_from(text: str) -> list[MatchKind]:
    """`--kinds`, comma-separated, as the kinds of duplicate they name (dupes, review)."""
    try:
        return chosen_kinds(k.strip() for k in text.split(",") if k.strip())
    except ValueError as exc:
        raise click.UsageError(f"--kinds: {exc}") from None


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


@contextmanager
def open_db(
    path: Target,
    create: bool = False,
    write: bool = False,
    *,
    machine: str | None = None,
    view: str | None = None,
) -> Iterator[LibraryDatabase]:
    """The library at `path`: read-only unless the command writes (`write`) or may make a
    new one (`create`); a command that only reads never changes the file (or catalog).
    `machine` says which machine this process writes as, `view` whose rows it reads
    (PostgreSQL catalogs only)."""
    if isinstance(path, str):
        with LibraryDatabase(
            path,
            readonly=not (create or write),
            busy_timeout=_busy_timeout(),
            on_wait=_say_waiting,
            # --machine's environment variable, for the commands without the option
            machine=machine or os.environ.get("MUSIC_TOOLS_MACHINE") or None,
        ) as db:
            db.view = view
            yield db
        return
    if machine is not None or view is not None:
        raise click.UsageError(
            "--machine applies to a PostgreSQL catalog (--db postgresql://...); an SQLite "
            "library belongs to the machine it is on"
        )
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


def open_db_to_cache(
    path: Target, acting: bool, view: str | None = None
) -> AbstractContextManager[LibraryDatabase]:
    """For `check` and `dupes`, which write only to cache the full hashes they computed
    (and to act, with --apply): writable where the user may write the file and its folder,
    else read-only, and then nothing is cached. A PostgreSQL catalog is opened read-only
    unless the command acts (so a check never creates or upgrades a catalog)."""
    if isinstance(path, str):
        return open_db(path, write=acting, view=view)
    folder = path.parent if str(path.parent) else Path(".")
    writable = os.access(path, os.W_OK) and os.access(folder, os.W_OK)
    return open_db(path, write=acting or writable, view=view)


def fast_read() -> bool:
    """Whether the lean readers read what they can: MUSIC_TOOLS_FAST_READ=0 reads every file
    through mutagen instead (the environment read here, once per command)."""
    return os.environ.get("MUSIC_TOOLS_FAST_READ") != "0"


def fpcalc() -> Fpcalc:
    """Which fpcalc fingerprints: MUSIC_TOOLS_FPCALC names another program (empty: none),
    MUSIC_TOOLS_FPCALC_TIMEOUT the seconds per run (the environment read here, once per
    command); a bad timeout is said when the command starts."""
    return Fpcalc.from_environment(os.environ)


def say_version_problem(fingerprinting: Fpcalc) -> None:
    """One line when `fpcalc -version` was asked in this command and gave no version."""
    problem = version_problem(fingerprinting)
    if problem is not None:
        program = printable_path(fingerprinting.path() or fingerprinting.program)
        click.echo(
            one_line(
                f"{program}: fpcalc -version: {problem}; fingerprints are stored as made by "
                "an unknown version (made again once it answers)"
            ),
            err=True,
        )


def _busy_timeout() -> float:
    """Seconds to wait for another process's lock: MUSIC_TOOLS_BUSY_TIMEOUT, or 60."""
    value = os.environ.get("MUSIC_TOOLS_BUSY_TIMEOUT", "")
    try:
        return max(0.0, float(value)) if value else DEFAULT_BUSY_TIMEOUT_S
    except ValueError:
        raise click.UsageError(f"MUSIC_TOOLS_BUSY_TIMEOUT wants seconds: {value!r}") from None


def _say_waiting() -> None:
    click.echo("waiting for the database lock held by another process...", err=True)


class _StdoutConsole(Console):
    """rich's console, but for a reader that left: rich would exit with status 1, while
    `writing_stdout` ends the output and lets the command finish."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def stdout_console() -> Console:
    return _StdoutConsole(soft_wrap=False)
