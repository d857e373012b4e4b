"""`check` and `dupes`: parse, call music_tools.dupes, render. Registered on the same
click group as the other commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console

from ..dupes import DuplicateChecker, DuplicateResult, find_duplicates
from ..dupes.actions import (
    attach_rows,
    own_left_alone,
    plan_check_moves,
    plan_group_actions,
)
from ..dupes.unconfirmed import OWN_LEFT_ALONE, split_groups, split_results
from ..identity.fpcalc import INSTALL_HINT
from ..identity.fpcalc_output import FingerprintOutcome
from ..models import FileEntry
from ..scan import scan
from ..util import printable_path
from . import dupes_render, render
from .acting import (
    ACT_ON_FUZZY,
    APPLY,
    KINDS_OPTION,
    LOG,
    QUIET,
    acting_run_of,
    roots_option,
    run_actions,
    say_left_alone,
    say_unheard,
    status,
)
from .app import (
    ExitStatus,
    Target,
    db_option,
    fast_read,
    format_option,
    fpcalc,
    kinds_from,
    open_db_to_cache,
    stdout_console,
    view_option,
    workers_option,
)
from .commands import cli
from .output import writing_stdout
from .paths import PathParam
from .progress import count_progress

__all__ = ["check", "dupes"]

_FORMAT = format_option(("table", "json", "csv"), "table")


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
@click.argument("paths", nargs=-1, required=True, type=PathParam(readable=False))
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
    type=PathParam(file_okay=False),
    help="Move new files that the library has at the same or a better quality here.",
)
@ACT_ON_FUZZY
@APPLY
@LOG
@QUIET
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
    if apply and move_dupes_to is None:
        raise click.UsageError("--apply: nothing to apply; add --move-dupes-to DIR")
    files = _audio_paths(paths)
    errors = Console(stderr=True)
    acting = move_dupes_to is not None and apply
    unheard: list[FingerprintOutcome] = []
    with (
        open_db_to_cache(db_path, acting, view) as db,
        acting_run_of(db, acting, log_path, db_path) as log_path,
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
        say_unheard(unheard, fingerprinting)
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
            say_left_alone(plan_check_moves(unsure, str(move_dupes_to)))
            for result in own_left_alone(results.values()):
                line = f"skipped: {printable_path(result.path)}: {OWN_LEFT_ALONE}"
                click.echo(render.one_line(line), err=True)
            actions = attach_rows(db, plan_check_moves(sure, str(move_dupes_to)))
            failed = run_actions(db, actions, apply, log_path)
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
@KINDS_OPTION
@roots_option("Prefer keepers under this folder (after quality); repeat to rank several.")
@_FORMAT
@click.option("--move-to", type=PathParam(file_okay=False), help="Move non-keepers here.")
@click.option("--trash", is_flag=True, help="Send non-keepers to the system trash.")
@ACT_ON_FUZZY
@APPLY
@LOG
@QUIET
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
    if apply and move_to is None and not trash:
        raise click.UsageError("--apply: nothing to apply; add --move-to DIR or --trash")
    errors = Console(stderr=True)
    acting = apply and (move_to is not None or trash)
    unheard: list[FingerprintOutcome] = []
    with (
        open_db_to_cache(db_path, acting, view) as db,
        acting_run_of(db, acting, log_path, db_path) as log_path,
    ):
        preferred = [os.path.abspath(r) for r in roots]
        with status(errors, quiet, "finding duplicates"):
            groups = list(
                find_duplicates(db, wanted, preferred, unheard.append, fpcalc=fingerprinting)
            )
        say_unheard(unheard, fingerprinting)
        with writing_stdout():
            if fmt == "table":
                dupes_render.print_groups(stdout_console(), groups)
                if not quiet:
                    spare = sum(len(g.others) for g in groups)
                    click.echo(dupes_render.count_line(len(groups), spare), err=True)
            else:
                dupes_render.write_groups(groups, sys.stdout, fmt)
        if move_to is not None or trash:
            target = str(move_to) if move_to else None
            sure, unsure = split_groups(groups, act_on_fuzzy)
            say_left_alone(plan_group_actions(unsure, target, trash))
            actions = plan_group_actions(sure, target, trash)
            if run_actions(db, actions, apply, log_path):
                return ExitStatus.ERROR
    return ExitStatus.OK
