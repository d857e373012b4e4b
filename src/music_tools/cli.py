"""The command line: parse, call the library, render, exit. No SQL and no mutagen here.

Every failure becomes one line on stderr and an `ExitStatus`, in `MusicToolsGroup.main`.
"""

from __future__ import annotations

import enum
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import platformdirs
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from . import __version__, render
from .errors import MusicToolsError
from .library import IndexInterrupted, LibraryDatabase, LibraryIndexer
from .library import Progress as IndexProgress
from .library.reports import SearchError, library_stats, relocate, search
from .scan import ScanOptions

__all__ = ["ExitStatus", "cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])


class ExitStatus(enum.IntEnum):
    """Exit codes, in one place.

    OK: done (files that could not be read are reported, and still OK);
    ERROR: the command could not do its job (database, I/O); USAGE: a bad argument or a
    missing folder; INTERRUPTED: Ctrl-C (what was done is kept).
    """

    OK = 0
    ERROR = 1
    USAGE = 2
    INTERRUPTED = 130


def default_db_path() -> Path:
    return platformdirs.user_data_path("music-tools") / "library.db"


class MusicToolsGroup(click.Group):
    """Maps every exception to one line on stderr and an ExitStatus."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        kwargs.setdefault("prog_name", "music-tools")
        try:
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


def _fail(status: ExitStatus, message: str) -> None:
    click.echo(f"music-tools: error: {message}", err=True)
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


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


@contextmanager
def open_db(path: Path, create: bool = False) -> Iterator[LibraryDatabase]:
    if not create and not path.exists():
        raise MusicToolsError(f"{path}: no library database here yet (run `music-tools index`)")
    if create and path == default_db_path():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MusicToolsError(
                f"{path.parent}: cannot create the database folder: {exc.strerror or exc}"
            ) from None
    with LibraryDatabase(path) as db:
        yield db


def _stdout() -> Console:
    return Console(soft_wrap=False)


@click.group(cls=MusicToolsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="music-tools")
def cli() -> None:
    """Index a music collection and tell, fast and exactly, which files you already have."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", "-w", type=click.IntRange(1, 256), help="Reading processes [cores].")
@click.option("--full-hash", is_flag=True, help="Also hash every file whole (reads everything).")
@click.option("--include-hidden", is_flag=True, help="Also index hidden files and folders.")
@click.option("--all-files", is_flag=True, help="Report files that are not audio as errors.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@db_option
@json_option
def index(
    paths: tuple[Path, ...],
    workers: int | None,
    full_hash: bool,
    include_hidden: bool,
    all_files: bool,
    quiet: bool,
    db_path: Path,
    as_json: bool,
) -> ExitStatus:
    """Index the audio files under PATHS; a rescan reads only what changed.

    Example: music-tools index ~/Music /mnt/archive/flac
    """
    for path in paths:
        if not path.is_dir():
            raise click.UsageError(
                f"{path}: {'not a folder' if path.exists() else 'no such folder'}"
            )
    options = ScanOptions(include_hidden=include_hidden, all_files=all_files)
    errors = Console(stderr=True)
    with open_db(db_path, create=True) as db, _progress(errors, quiet or as_json) as on_progress:
        indexer = LibraryIndexer(
            db, workers, full_hash=full_hash, options=options, on_progress=on_progress
        )
        try:
            report = indexer.index(paths)
        except IndexInterrupted as stopped:  # here, before click turns it into an Abort
            click.echo(render.index_summary(stopped.report), err=True)
            return ExitStatus.INTERRUPTED
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    elif not quiet:
        for line in render.error_lines(report.failures[:20]):
            click.echo(line, err=True)
        if len(report.failures) > 20:
            click.echo(f"... and {len(report.failures) - 20} more (music-tools errors)", err=True)
        click.echo(render.index_summary(report))
    return ExitStatus.OK


@contextmanager
def _progress(console: Console, quiet: bool) -> Iterator[Callable[[IndexProgress], None]]:
    if quiet or not console.is_terminal:
        yield lambda event: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("scanning", total=None, rate="")

        def update(event: IndexProgress) -> None:
            speed = bar.tasks[task].speed
            rate = f"{speed:,.0f} files/s" if speed else ""
            description = "scanning" if event.phase == "scan" else "reading"
            bar.update(
                task, description=description, completed=event.done, total=event.total, rate=rate
            )

        yield update


@cli.command()
@db_option
@json_option
def stats(db_path: Path, as_json: bool) -> None:
    """Counts by format, lossless share, size and duration, roots, errors.

    Example: music-tools stats --json
    """
    with open_db(db_path) as db:
        result = library_stats(db)
    if as_json:
        data = {k: getattr(result, k) for k in result.__slots__}
        data["lossless_share"] = round(result.lossless_share, 4)
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        render.print_stats(_stdout(), result)


@cli.command(name="search")
@click.argument("query", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("--limit", type=click.IntRange(1), help="At most this many results.")
@db_option
def search_command(query: tuple[str, ...], fmt: str, limit: int | None, db_path: Path) -> None:
    """Find files: field terms (artist: title: album: genre: format: year:) and free words.

    Example: music-tools search artist:radiohead year:1995..1999 "paranoid android"
    """
    text = " ".join(_quoted(term) for term in query)
    with open_db(db_path) as db:
        found = search(db, text, limit)
        if fmt == "table":
            if not render.print_files(_stdout(), found):
                click.echo("no match", err=True)
        else:
            render.write_files(found, sys.stdout, fmt)


def _quoted(term: str) -> str:
    name, sep, value = term.partition(":")
    if " " in term:
        return f'{name}:"{value}"' if sep and name.isidentifier() else f'"{term}"'
    return term


@cli.command()
@db_option
@json_option
def errors(db_path: Path, as_json: bool) -> None:
    """Files and folders that could not be read, with the reason.

    Example: music-tools errors
    """
    with open_db(db_path) as db:
        failures = list(db.scan_errors)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "path": render.printable_path(f.file_path),
                        "reason": f.error,
                        "size": f.file_size,
                        "first_seen_at": f.first_seen_at,
                    }
                    for f in failures
                ],
                ensure_ascii=False,
            )
        )
    else:
        for line in render.error_lines(failures):
            click.echo(line)
        if not failures:
            click.echo("no errors", err=True)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl"]),
    default="jsonl",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write here instead of stdout.",
)
@click.option("--all", "include_inactive", is_flag=True, help="Include files gone from disk.")
@db_option
def export(fmt: str, output: Any, include_inactive: bool, db_path: Path) -> None:
    """Write the whole library, streamed, as CSV, JSON or JSON lines.

    Example: music-tools export --format csv -o library.csv
    """
    with open_db(db_path) as db:
        count = render.write_files(db.iter_files(active_only=not include_inactive), output, fmt)
    if output.name != "<stdout>":
        click.echo(f"{count:,} files written to {output.name}", err=True)


@cli.command(name="relocate")
@click.argument("old_prefix")
@click.argument("new_prefix")
@db_option
@json_option
def relocate_command(old_prefix: str, new_prefix: str, db_path: Path, as_json: bool) -> None:
    """Re-point a moved library from OLD_PREFIX to NEW_PREFIX without re-indexing.

    Example: music-tools relocate /media/old-disk/Music /srv/music
    """
    with open_db(db_path) as db:
        count = relocate(db, os.path.abspath(old_prefix), os.path.abspath(new_prefix))
    if as_json:
        click.echo(json.dumps({"relocated": count}))
    else:
        click.echo(f"{count:,} files now under {os.path.abspath(new_prefix)}")


def main() -> None:
    cli(prog_name="music-tools")
