"""The commands: parse, call the library, render. No SQL and no mutagen here."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import click
from rich.console import Console

from .. import IndexInterrupted, LibraryIndexer, __version__
from ..identity.fpcalc import DEFAULT_FPCALC, INSTALL_HINT
from ..queries import library_stats, relocate, search
from ..scan import ScanOptions
from ..util import printable_path
from . import render
from .app import (
    ExitStatus,
    MusicToolsGroup,
    Target,
    db_option,
    fast_read,
    format_option,
    fpcalc,
    json_option,
    machine_option,
    open_db,
    say_version_problem,
    stdout_console,
    view_option,
    workers_option,
)
from .output import output_file, writing_stdout
from .paths import PathParam, refuse_own_file
from .progress import index_progress

__all__ = ["cli", "main"]


@click.group(cls=MusicToolsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="music-tools")
def cli() -> None:
    """Index a music collection and tell, fast and exactly, which files you already have."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=PathParam())
@workers_option
@click.option(
    "--full-hash",
    is_flag=True,
    help="Also hash every file whole (reads everything; unchanged files lacking it too).",
)
@click.option(
    "--fingerprint", is_flag=True, help="Also fingerprint the audio (Chromaprint's fpcalc)."
)
@click.option(
    "--quality",
    is_flag=True,
    help="Also judge the audio's quality (a FLAC made from an MP3, upsampled, padded) of "
    "the files without a verdict.",
)
@click.option("--include-hidden", is_flag=True, help="Also index hidden files and folders.")
@click.option("--all-files", is_flag=True, help="Report files that are not audio as errors.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@db_option
@machine_option
@json_option
def index(
    paths: tuple[Path, ...],
    workers: int | None,
    full_hash: bool,
    fingerprint: bool,
    quality: bool,
    include_hidden: bool,
    all_files: bool,
    quiet: bool,
    db_path: Target,
    machine: str | None,
    as_json: bool,
) -> ExitStatus:
    """Index the audio files under PATHS; a rescan reads only what changed.

    The summary counts files: new (not indexed before), updated (changed since: read
    again), unchanged (not read), moved (re-linked in place: same audio, new path), missing
    (gone: their rows kept, inactive), back (missing before, here again unchanged:
    active again; "reactivated" in --json), errors (could not be read: music-tools errors),
    known errors skipped (failed before and unchanged since: not retried), hashed (with
    --full-hash: unchanged files read again for the full hashes their rows lacked), re-read
    (unchanged files an older version's reader read: read again, their damage checked).
    With --quality, the files without a quality verdict of this version are then analysed
    (a few seconds of each decoded) and the verdicts stored ("quality" in --json).

    Example: music-tools index ~/Music /mnt/archive/flac
    """
    gone = [path for path in paths if _vanished(path)]
    for path in paths:
        if not path.is_dir() and path not in gone:
            raise click.UsageError(f"{path}: not a folder")
    if gone and isinstance(db_path, Path) and not db_path.exists():  # no root is known yet
        raise click.UsageError(f"{gone[0]}: no such folder")
    fingerprinting = fpcalc() if fingerprint else DEFAULT_FPCALC  # said now, not after indexing
    if fingerprint and fingerprinting.path() is None:
        raise click.ClickException(f"--fingerprint: fpcalc not found; {INSTALL_HINT}")
    options = ScanOptions(include_hidden=include_hidden, all_files=all_files)
    errors = Console(stderr=True)
    with (
        open_db(db_path, create=True, machine=machine) as db,
        index_progress(errors, quiet or as_json) as on_progress,
    ):
        for path in gone:  # a folder that vanished is refused unless it was a library root
            if not db.matching.is_library_root(os.path.abspath(path)):
                raise click.UsageError(f"{path}: no such folder")
        indexer = LibraryIndexer(
            db,
            workers,
            full_hash=full_hash,
            fast_read=fast_read(),
            fingerprint=fingerprint,
            fpcalc=fingerprinting,
            quality=quality,
            options=options,
            on_progress=on_progress,
            on_wait=say_waiting_for_a_run,
        )
        try:
            report = indexer.index(paths)
        except IndexInterrupted as stopped:  # here, before click turns it into an Abort
            say_version_problem(fingerprinting)
            if as_json:  # a script reads `interrupted: true` where it reads the rest
                with writing_stdout():
                    click.echo(render.to_json(render.report_record(stopped.report)))
            else:
                click.echo(render.index_summary(stopped.report), err=True)
            return ExitStatus.INTERRUPTED
    say_version_problem(fingerprinting)
    for line in render.gone_root_lines(report):
        click.echo(line, err=True)
    if as_json:
        with writing_stdout():
            click.echo(render.to_json(render.report_record(report)))
    elif not quiet:
        _say_failures(render.error_lines(report.failures), len(report.failures))
        if report.fingerprints is not None:
            failures = report.fingerprints.failures
            _say_failures(render.fingerprint_failure_lines(failures), len(failures))
        if report.quality is not None:
            undecoded = report.quality.failures
            _say_failures(render.error_lines(undecoded, "quality"), len(undecoded))
        with writing_stdout():
            click.echo(render.index_summary(report))
    return ExitStatus.OK


def _say_failures(lines: Iterable[str], count: int, shown: int = 20) -> None:
    """The first `shown` lines on stderr, then how many more there are."""
    for line in itertools.islice(lines, shown):
        click.echo(line, err=True)
    if count > shown:
        click.echo(f"... and {count - shown} more (music-tools errors)", err=True)


@cli.command()
@db_option
@view_option
@json_option
def stats(db_path: Target, view: str | None, as_json: bool) -> None:
    """Counts by format, lossless share, size and duration, roots (and machines), errors.

    Example: music-tools stats --json
    """
    with open_db(db_path, view=view) as db:
        result = library_stats(db)
    with writing_stdout():
        if as_json:
            click.echo(render.to_json(render.stats_record(result)))
        else:
            render.print_stats(stdout_console(), result)


@cli.command(name="search")
@click.argument("query", nargs=-1, required=True)
@format_option(("table", "json", "csv"), "table")
@click.option("--limit", type=click.IntRange(1, 2**63 - 1), help="At most this many results.")
@db_option
@view_option
def search_command(
    query: tuple[str, ...], fmt: str, limit: int | None, db_path: Target, view: str | None
) -> None:
    """Find files: field terms (artist: title: album: albumartist: or album_artist: genre:
    format: codec: path: year:1997 or year:1990..1999) and free words (in the artist, title,
    album or album artist), all of which must match, as substrings; case and accents are
    folded as the identity keys fold them (bjork finds Björk), a path is matched as it is.

    Example: music-tools search artist:radiohead year:1995..1999 "paranoid android"
    """
    with open_db(db_path, view=view) as db, writing_stdout():
        found = search(db, query, limit)
        if fmt == "table":
            if not render.print_files(stdout_console(), found):
                click.echo("no match", err=True)
        else:
            render.write_files(found, sys.stdout, fmt)


@cli.command()
@db_option
@machine_option
@json_option
def errors(db_path: Target, machine: str | None, as_json: bool) -> None:
    """Files and folders that could not be read, and files fpcalc could not fingerprint
    ("path: fingerprint: reason"), with the reason (this machine's).

    Example: music-tools errors
    """
    with open_db(db_path, machine=machine) as db:
        failures = list(db.scan_errors)
        unheard = db.fingerprints.failures()
    with writing_stdout():
        if as_json:
            records = [render.failure_record(f) for f in failures]
            records += [render.failure_record(f, "fingerprint") for f in unheard]
            click.echo(render.to_json(records))
        else:
            for line in render.error_lines(failures):
                click.echo(line)
            for line in render.error_lines(unheard, "fingerprint"):
                click.echo(line)
    if not failures and not unheard and not as_json:
        click.echo("no errors", err=True)


@cli.command()
@format_option(("csv", "json", "jsonl"), "jsonl")
@click.option(
    "--output",
    "-o",
    type=PathParam(dir_okay=False, allow_dash=True, folder_refused="a folder; -o takes a file"),
    default="-",
    help="Write here instead of stdout (replaced only once the export succeeded).",
)
@click.option(
    "--all",
    "include_inactive",
    is_flag=True,
    help="Include inactive files (moved out of the library, or gone).",
)
@db_option
@view_option
def export(
    fmt: str, output: Path, include_inactive: bool, db_path: Target, view: str | None
) -> None:
    """Write the whole library, streamed, as CSV, JSON or JSON lines.

    Example: music-tools export --format csv -o library.csv
    """
    refuse_own_file("-o", output, db_path)
    with open_db(db_path, view=view) as db, output_file(output) as out:
        count = render.write_files(db.iter_files(active_only=not include_inactive), out, fmt)
    if str(output) != "-":
        click.echo(f"{count:,} files written to {printable_path(str(output))}", err=True)


@cli.command(name="relocate")
@click.argument("old_prefix")
@click.argument("new_prefix")
@click.option(
    "--allow-missing",
    is_flag=True,
    help="Relocate even if NEW_PREFIX is not there now (a drive not mounted, another machine).",
)
@db_option
@machine_option
@json_option
def relocate_command(
    old_prefix: str,
    new_prefix: str,
    allow_missing: bool,
    db_path: Target,
    machine: str | None,
    as_json: bool,
) -> None:
    """Re-point a moved library from OLD_PREFIX to NEW_PREFIX without re-indexing.

    NEW_PREFIX must be a folder that exists, unless --allow-missing.

    Example: music-tools relocate /media/old-disk/Music /srv/music
    """
    with (
        open_db(db_path, write=True, machine=machine) as db,
        db.run_lock("relocate", say_waiting_for_a_run),
    ):
        if not allow_missing:  # after the database's own problems, which matter more
            _check_new_prefix(new_prefix)
        count = relocate(db, os.path.abspath(old_prefix), os.path.abspath(new_prefix))
    with writing_stdout():
        if as_json:
            click.echo(render.to_json({"relocated": count}))
        else:
            click.echo(f"{count:,} files now under {printable_path(os.path.abspath(new_prefix))}")


def _check_new_prefix(new_prefix: str) -> None:
    """A typo in NEW_PREFIX would point every row at nothing: the next index would then
    find every file missing."""
    name = printable_path(new_prefix)
    if not os.path.isdir(new_prefix):
        reason = "not a folder" if os.path.exists(new_prefix) else "no such folder"
        raise click.UsageError(
            f"{name}: {reason} (a drive not mounted now? --allow-missing relocates anyway)"
        )


def _vanished(path: Path) -> bool:
    """Whether `path` is not there at all (a folder that cannot be looked at is not)."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def say_waiting_for_a_run() -> None:
    """The run lock's notice (index, relocate, undo and the acting check and dupes)."""
    click.echo(
        "waiting for another music-tools run on this library to end "
        "(index, --apply, undo or relocate)...",
        err=True,
    )


def main() -> None:
    cli(prog_name="music-tools")
