"""`check`, `dupes` and `undo`: parse, call music_tools.dupes, render. Registered on the
same click group as the other commands."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ..dupes import KINDS, DuplicateChecker, DuplicateResult, find_duplicates
from ..dupes.acting import acting_run, apply_logged, undo_run
from ..dupes.action_log import library_of, other_library, read_log_file
from ..dupes.actions import (
    Action,
    Outcome,
    attach_rows,
    plan_check_moves,
    plan_group_actions,
)
from ..dupes.unconfirmed import LEFT_ALONE, split_groups, split_results
from ..errors import MusicToolsError
from ..identity.fpcalc import INSTALL_HINT, Fpcalc
from ..identity.fpcalc_output import FingerprintOutcome
from ..models import FileEntry
from ..scan import scan
from ..store import LibraryDatabase
from ..util import printable_path
from . import dupes_render, render
from .app import (
    ExitStatus,
    Target,
    db_option,
    fast_read,
    format_option,
    fpcalc,
    kinds_from,
    machine_option,
    open_db,
    open_db_to_cache,
    say_version_problem,
    stdout_console,
    view_option,
    workers_option,
)
from .commands import cli, say_waiting_for_a_run
from .output import check_folder, writing_stdout
from .progress import count_progress

__all__ = ["check", "dupes", "undo"]

_FORMAT = format_option(("table", "json", "csv"), "table")
_APPLY = click.option("--apply", is_flag=True, help="Really do it (the default is a dry run).")
_LOG = click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The action log (JSON lines) [a new music-tools-actions-<date>-<time>.<µs>.jsonl"
    " beside the database].",
)
_QUIET = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
_ACT_ON_FUZZY = click.option(
    "--act-on-fuzzy",
    is_flag=True,
    help="Also act on fuzzy matches (names alike) that no fingerprint confirmed (fpcalc "
    "not installed, or a file without a fingerprint); without it they are reported and "
    "left alone.",
)


def _audio_paths(paths: tuple[Path, ...]) -> list[str]:
    """Files as given; the audio files under folders (as `index` finds them)."""
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):  # False, not an error, when a parent cannot be entered
            found += sorted(e.path for e in scan(os.path.abspath(path)) if isinstance(e, FileEntry))
            continue
        try:
            os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise click.UsageError(f"{printable_path(str(path))}: no such file or folder") from None
        except OSError:
            pass  # there but unreadable: its result says why
        found.append(str(path))
    return found


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path))
@_FORMAT
@click.option(
    "--only",
    type=click.Choice(["new", "dupes", "upgrades"]),
    help="Show only new files (the library has no copy; never its own files), only "
    "duplicates (the library has another copy; its own files too), or only new files "
    "better than the library's copy.",
)
@workers_option
@click.option(
    "--fingerprint",
    is_flag=True,
    help="Also fingerprint the new files no key matched and find the same recording.",
)
@click.option(
    "--move-dupes-to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Move new files that the library has at the same or a better quality here.",
)
@_ACT_ON_FUZZY
@_APPLY
@_LOG
@_QUIET
@db_option
@view_option
def check(
    paths: tuple[Path, ...],
    fmt: str,
    only: str | None,
    workers: int | None,
    fingerprint: bool,
    move_dupes_to: Path | None,
    act_on_fuzzy: bool,
    apply: bool,
    log_path: Path | None,
    quiet: bool,
    db_path: Target,
    view: str | None,
) -> ExitStatus:
    """Tell, for each file under PATHS, whether the library already has it, how
    (exact, same_audio, same_song, same_recording, fuzzy) and whether the new one is better.
    A file that is itself in the library is "own", with its other copies, if any.

    Exit status 3 when at least one file has a copy in the library (other than itself), 0
    when none has: every file is new, or the library's own file with no other copy.

    Example: music-tools check ~/Downloads/new-album --only upgrades
    """
    fingerprinting = fpcalc()
    if fingerprint and fingerprinting.path() is None:
        raise click.ClickException(f"--fingerprint: fpcalc not found; {INSTALL_HINT}")
    files = _audio_paths(paths)
    errors = Console(stderr=True)
    acting = move_dupes_to is not None and apply
    unheard: list[FingerprintOutcome] = []
    with (
        open_db_to_cache(db_path, acting, view) as db,
        _acting_run(db, acting, log_path, db_path) as log_path,
    ):
        # the bar ends before anything is printed: while it runs, rich takes over sys.stdout
        with count_progress(errors, quiet, "checking") as progress:
            checker = DuplicateChecker(
                db,
                workers,
                on_progress=progress,
                fingerprint=fingerprint,
                on_fingerprint_failure=unheard.append,
                fast_read=fast_read(),
                fpcalc=fingerprinting,
            )
            results = checker.check_files_batch(files)
        _say_unheard(unheard, fingerprinting)
        shown = [r for r in results.values() if _wanted(only, r)]
        base = os.path.abspath(paths[0]) if len(paths) == 1 and os.path.isdir(paths[0]) else None
        with writing_stdout():
            if fmt == "table":
                dupes_render.print_results(stdout_console(), shown, base)
            else:
                dupes_render.write_results(shown, sys.stdout, fmt)
        failed = False
        if move_dupes_to is not None:
            sure, unsure = split_results(results.values(), act_on_fuzzy)
            _say_left_alone(plan_check_moves(unsure, str(move_dupes_to)))
            actions = attach_rows(db, plan_check_moves(sure, str(move_dupes_to)))
            failed = _run_actions(db, actions, apply, log_path)
    if failed:
        return ExitStatus.ERROR
    found = any(r.is_duplicate for r in results.values())
    return ExitStatus.DUPLICATES if found else ExitStatus.OK


def _wanted(only: str | None, result: DuplicateResult) -> bool:
    """Whether `--only` shows the result: the library's own files are never new nor an
    upgrade (they are in it already), and a duplicate when they have another copy."""
    if only == "new":
        return result.status == "new"
    if only == "dupes":
        return result.is_duplicate
    if only == "upgrades":
        return result.status == "duplicate" and result.quality == "better"
    return True


@cli.command()
@click.option(
    "--kinds",
    default=",".join(KINDS),
    show_default=True,
    help="Which kinds of duplicate, comma-separated.",
)
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Prefer keepers under this folder (after quality); repeat to rank several.",
)
@_FORMAT
@click.option(
    "--move-to", type=click.Path(file_okay=False, path_type=Path), help="Move non-keepers here."
)
@click.option("--trash", is_flag=True, help="Send non-keepers to the system trash.")
@_ACT_ON_FUZZY
@_APPLY
@_LOG
@_QUIET
@db_option
@view_option
def dupes(
    kinds: str,
    roots: tuple[Path, ...],
    fmt: str,
    move_to: Path | None,
    trash: bool,
    act_on_fuzzy: bool,
    apply: bool,
    log_path: Path | None,
    quiet: bool,
    db_path: Target,
    view: str | None,
) -> ExitStatus:
    """Groups of duplicates inside the library, the copy to keep marked; with --move-to or
    --trash, act on the others (a dry run unless --apply).

    Example: music-tools dupes --kinds exact,same_audio --root ~/Music/flac --trash --apply
    """
    wanted = kinds_from(kinds)
    fingerprinting = fpcalc()
    if move_to is not None and trash:
        raise click.UsageError("--move-to and --trash: choose one")
    errors = Console(stderr=True)
    acting = apply and (move_to is not None or trash)
    unheard: list[FingerprintOutcome] = []
    with (
        open_db_to_cache(db_path, acting, view) as db,
        _acting_run(db, acting, log_path, db_path) as log_path,
    ):
        preferred = [os.path.abspath(r) for r in roots]
        with _status(errors, quiet, "finding duplicates"):
            groups = list(
                find_duplicates(db, wanted, preferred, unheard.append, fpcalc=fingerprinting)
            )
        _say_unheard(unheard, fingerprinting)
        with writing_stdout():
            if fmt == "table":
                dupes_render.print_groups(stdout_console(), groups)
                if not quiet:
                    spare = sum(len(g.others) for g in groups)
                    click.echo(f"{len(groups):,} groups; {spare:,} files beside a keeper", err=True)
            else:
                dupes_render.write_groups(groups, sys.stdout, fmt)
        if move_to is not None or trash:
            target = str(move_to) if move_to else None
            sure, unsure = split_groups(groups, act_on_fuzzy)
            _say_left_alone(plan_group_actions(unsure, target, trash))
            actions = plan_group_actions(sure, target, trash)
            if _run_actions(db, actions, apply, log_path):
                return ExitStatus.ERROR
    return ExitStatus.OK


def _say_unheard(failures: list[FingerprintOutcome], fingerprinting: Fpcalc) -> None:
    """One line on stderr per file fpcalc failed on (matched without its fingerprint), and
    one when fpcalc gave no version."""
    say_version_problem(fingerprinting)
    for line in render.fingerprint_failure_lines(failures):
        click.echo(line, err=True)


def _status(console: Console, quiet: bool, text: str) -> contextlib.AbstractContextManager[Any]:
    """A spinner on a terminal while a long step runs; nothing when quiet or piped."""
    if quiet or not console.is_terminal:
        return contextlib.nullcontext()
    return console.status(text)


@contextlib.contextmanager
def _acting_run(
    db: LibraryDatabase, acting: bool, log_path: Path | None, db_path: Target
) -> Iterator[Path | None]:
    """Around a command that acts: its log (refused before anything is done when it is
    not an action log of this library) and the library's run lock, taken before anything
    is planned, so a second run plans on what the first one did; yields the log's path."""
    if not acting:
        yield log_path
        return
    if log_path is None:
        log_path = _default_log(db_path)
    check_folder(log_path)
    # the lock first: another run may be writing to this log (prepare_log cuts a last line)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(acting_run(db, str(log_path), say_waiting_for_a_run))
        except MusicToolsError as exc:
            raise click.UsageError(f"--log {exc}") from None
        yield log_path


def _default_log(db_path: Target) -> Path:
    """music-tools-actions-<date>-<time>.<microseconds>.jsonl beside the database: a log of
    its own for each run, also for two started in one second."""
    now = time.time()
    stamp = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}.{int(now * 1e6) % 10**6:06d}"
    folder = db_path.parent if isinstance(db_path, Path) else Path(".")
    return folder / f"music-tools-actions-{stamp}.jsonl"


def _run_actions(
    db: LibraryDatabase, actions: list[Action], apply: bool, log_path: Path | None
) -> bool:
    """Run or dry-run the actions, one line each on stderr; True when one failed. The log's
    path is printed whenever one was written, also when the run is stopped (undo needs it)."""
    if not actions:
        return False
    failed = False
    logged = None
    try:
        outcomes = apply_logged(db, actions, str(log_path) if apply and log_path else None)
        for outcome in outcomes:
            logged = log_path if apply else None
            failed = failed or outcome.status == "failed"
            click.echo(dupes_render.outcome_line(outcome), err=True)
    finally:
        if logged is not None:
            click.echo(f"log: {printable_path(str(logged))} (music-tools undo LOG)", err=True)
    if not apply:
        click.echo("dry run: nothing was touched (add --apply to do it)", err=True)
    return failed


def _say_left_alone(actions: list[Action]) -> None:
    """One line for each file an unconfirmed fuzzy match would have had moved."""
    for action in actions:
        click.echo(dupes_render.outcome_line(Outcome(action, "skipped", LEFT_ALONE)), err=True)


@cli.command()
@click.argument("log_path", metavar="LOG", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@machine_option
def undo(log_path: Path, db_path: Target, machine: str | None) -> ExitStatus:
    """Put back the files that an action log (from check or dupes --apply) moved, and
    point their library rows at the old places again; replays a log cut by a crash.

    Exit status 1 when a file could not be put back.

    Example: music-tools undo music-tools-actions-20260101-120000.123456.jsonl
    """
    name = printable_path(str(log_path))
    try:
        steps = read_log_file(str(log_path))
    except MusicToolsError as exc:
        raise click.UsageError(f"{name}: {exc}") from None
    if not steps:
        raise click.ClickException(f"{name}: no actions in it")
    if not any(step["status"] in ("started", "done") for step in steps.values()):
        click.echo(
            "nothing to undo: every step of this log failed or was skipped, so nothing was moved",
            err=True,
        )
        return ExitStatus.OK
    with open_db(db_path, write=True, machine=machine) as db:
        _same_library(steps, db, name)
        outcomes = undo_run(db, steps, say_waiting_for_a_run)  # under the lock, as --apply
        for outcome in outcomes:
            verb = "put back" if outcome.status == "done" else outcome.status
            detail = f": {outcome.reason}" if outcome.reason else ""
            line = f"{verb}: {printable_path(outcome.action.path)}{detail}"
            click.echo(render.one_line(line), err=True)
    failed = any(outcome.status == "failed" for outcome in outcomes)
    return ExitStatus.ERROR if failed else ExitStatus.OK


def _same_library(
    steps: dict[tuple[str, int], dict[str, Any]], db: LibraryDatabase, name: str
) -> None:
    """A usage error when the log names another library: its rows would stay where they
    are while its files came back. Logs from before records named their library pass."""
    ours = library_of(db)
    theirs = other_library(steps, ours)
    if theirs is None:
        return
    where = printable_path(str(theirs.get("library")))
    host = theirs.get("library_host")
    there = f" on {host}" if host and host != ours.get("library_host") else ""
    raise click.UsageError(
        f"{name}: this log is of library {where}{there}: run music-tools undo --db {where} "
        f"{name}{' there' if there else ''}"
    )
