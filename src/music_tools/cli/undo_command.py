"""`undo`: put back what an action log moved, under the library's run lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..dupes.acting import undo_run
from ..dupes.action_log import library_of, other_library, read_log_file
from ..errors import MusicToolsError
from ..store import LibraryDatabase
from ..util import printable_path
from . import render
from .app import ExitStatus, Target, db_option, machine_option, open_db
from .commands import cli, say_waiting_for_a_run
from .paths import NOT_A_LOG, PathParam

__all__ = ["undo"]


@cli.command()
@click.argument("log_path", metavar="LOG", type=PathParam(dir_okay=False, folder_refused=NOT_A_LOG))
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
