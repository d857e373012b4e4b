"""Acting on duplicates as a run: what `dupes --apply`, `check --apply`, `undo` and the
review page share, so that each acts on files the same way.

A run that acts takes the library's run lock before it plans (a second run then plans on
what the first one did), refuses a log that is not an action log of this library before
anything is done, checks the library's integrity before it moves a file, and appends one
record a step to its log; an undo takes the lock too, as it moves files back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..store import LibraryDatabase
from .action_log import library_of, prepare_log
from .actions import Action, Outcome, apply_actions, undo_steps

__all__ = ["acting_run", "apply_logged", "undo_run"]

Steps = dict[tuple[str, int], dict[str, Any]]


@contextmanager
def acting_run(
    db: LibraryDatabase, log_path: str, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """The run lock held around planning and acting, and the log made ready for appending
    (MusicToolsError when it is not an action log of this library)."""
    with db.run_lock("apply", on_wait):
        prepare_log(log_path, library_of(db))
        yield


def apply_logged(
    db: LibraryDatabase, actions: Sequence[Action], log_path: str | None
) -> Iterator[Outcome]:
    """The actions' outcomes as they are done, logged to `log_path` (the library checked
    first: nothing is moved on the word of a damaged library); without a log, a dry run."""
    if log_path is None:
        yield from apply_actions(db, list(actions), None, False)
        return
    if actions:
        db.check_integrity()
    with open(log_path, "a", encoding="ascii") as log:
        yield from apply_actions(db, list(actions), log, True)


def undo_run(
    db: LibraryDatabase, steps: Steps, on_wait: Callable[[], None] | None = None
) -> list[Outcome]:
    """Put back what a log's steps moved (`undo_steps`), under the run lock."""
    with db.run_lock("undo", on_wait):
        return list(undo_steps(db, steps))
