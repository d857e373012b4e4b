"""What the commands that find and act on duplicates share (`check`, `dupes`, `review`,
`undo`): their options, the action log and the library's run lock around a run that acts,
one line on stderr for each action's outcome, and the fingerprint failures met on the way."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from ..dupes import KINDS
from ..dupes.acting import acting_run, apply_logged
from ..dupes.actions import Action, Outcome
from ..dupes.unconfirmed import LEFT_ALONE
from ..errors import MusicToolsError
from ..identity.fpcalc import Fpcalc
from ..identity.fpcalc_output import FingerprintOutcome
from ..store import LibraryDatabase
from ..util import printable_path
from . import dupes_render, render
from .app import Target, say_version_problem
from .commands import say_waiting_for_a_run
from .output import check_folder
from .paths import NOT_A_LOG, PathParam, refuse_own_file

__all__ = [
    "ACT_ON_FUZZY",
    "APPLY",
    "KINDS_OPTION",
    "LOG",
    "QUIET",
    "acting_run_of",
    "roots_option",
    "run_actions",
    "say_left_alone",
    "say_unheard",
    "status",
]

F = TypeVar("F", bound=Callable[..., Any])

APPLY = click.option("--apply", is_flag=True, help="Really do it (the default is a dry run).")
LOG = click.option(
    "--log",
    "log_path",
    type=PathParam(dir_okay=False, folder_refused=NOT_A_LOG),
    help="The action log (JSON lines) [a new music-tools-actions-<date>-<time>.<µs>.jsonl"
    " beside the database].",
)
QUIET = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
ACT_ON_FUZZY = click.option(
    "--act-on-fuzzy",
    is_flag=True,
    help="Also act on fuzzy matches (names alike) that no fingerprint confirmed (fpcalc "
    "not installed, or a file without a fingerprint); without it they are reported and "
    "left alone.",
)
KINDS_OPTION = click.option(
    "--kinds",
    default=",".join(KINDS),
    show_default=True,
    help="Which kinds of duplicate, comma-separated.",
)


def roots_option(help_text: str) -> Callable[[F], F]:
    """`--root FOLDER`, repeated: the folders whose copies a keeper rule prefers."""
    return click.option(
        "--root",
        "roots",
        multiple=True,
        type=PathParam(file_okay=False),
        help=help_text,
    )


def say_unheard(failures: list[FingerprintOutcome], fingerprinting: Fpcalc) -> None:
    """One line on stderr per file fpcalc failed on (matched without its fingerprint), and
    one when fpcalc gave no version."""
    say_version_problem(fingerprinting)
    for line in render.fingerprint_failure_lines(failures):
        click.echo(line, err=True)


def status(console: Console, quiet: bool, text: str) -> contextlib.AbstractContextManager[Any]:
    """A spinner on a terminal while a long step runs; nothing when quiet or piped."""
    if quiet or not console.is_terminal:
        return contextlib.nullcontext()
    return console.status(text)


@contextlib.contextmanager
def acting_run_of(
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
    refuse_own_file("--log", log_path, db_path)
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


def run_actions(
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


def say_left_alone(actions: list[Action]) -> None:
    """One line for each file an unconfirmed fuzzy match would have had moved."""
    for action in actions:
        click.echo(dupes_render.outcome_line(Outcome(action, "skipped", LEFT_ALONE)), err=True)
