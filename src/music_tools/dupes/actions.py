"""Acting on duplicates, safely: plan, then apply with a guard per file and a log per step.

Finding is separate from acting (as in fclones): `plan_*` turn groups or check results into
`Action`s; `apply_actions` runs them, or only says what it would do (the default). Before
touching a file it makes sure that the file still has the size and mtime it had when it
was indexed (or checked), and that the copy that stays is still there, unchanged, not
damaged (the reader's damage checks, run on it again), and still the library's: nothing is
ever removed whose last copy would go with it. That check
is made again inside the action's transaction, right before the file is moved, so nothing
that happened while the action waited for the database slips through. Every step is
written to a JSON-lines log (action_log.py) before and after it happens, so `undo_log` can
put moved files back, also after a crash in the middle: each move is one rename inside the
transaction that re-points its row, so a file is at its old or its new place, and
`undo_log` replays from either. A file moved out keeps its row, inactive: it is no longer
one of the library's files, and `undo_log` makes it one again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from typing import IO, Any, Literal

from ..errors import ActionError, ExtractError, ExtractKind, os_reason
from ..read.extract import damage_of
from ..store import LibraryDatabase
from ..util import StrPath, is_inside, printable_path
from .action_log import library_of, read_log, write_record
from .model import DuplicateGroup, DuplicateResult
from .moving import (
    ActionFailed,
    free_name,
    remove_partial_copy,
    rename,
    same_file,
    send_to_trash,
    unchanged,
)

__all__ = [
    "Action",
    "Outcome",
    "apply_actions",
    "attach_rows",
    "own_left_alone",
    "plan_check_moves",
    "plan_group_actions",
    "undo_log",
    "undo_steps",
]

Op = Literal["move", "trash"]


@dataclass(frozen=True, slots=True)
class Action:
    """Move `path` to `target` (or to the trash), while `keep` stays where it is."""

    op: Op
    path: str
    target: str | None
    size: int | None
    mtime_ns: int | None
    keep: str
    keep_size: int | None
    keep_mtime_ns: int | None
    row_id: int | None = None
    root: str | None = None
    target_root: str | None = None
    #: in a shared catalog, the machines whose disks hold `path` and `keep` (None: this one)
    machine: str | None = None
    keep_machine: str | None = None
    #: the library row of the copy that stays (it must still be there, active, when acting)
    keep_row_id: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one action: `done`, `would` (dry run), `skipped` or `failed`."""

    action: Action
    status: Literal["done", "would", "skipped", "failed"]
    reason: str = ""
    target: str | None = None


def plan_group_actions(
    groups: Iterable[DuplicateGroup], move_to: StrPath | None, trash: bool
) -> list[Action]:
    """Every non-keeper of every group, moved under `move_to` (keeping its path below its
    library root) or trashed."""
    actions = []
    for group in groups:
        keeper = group.keeper
        for member in group.others:
            file = member.file
            target = _target(move_to, file.file_path, file.library_root) if move_to else None
            actions.append(
                Action(
                    "trash" if trash else "move",
                    file.file_path,
                    target,
                    file.file_size,
                    file.file_mtime_ns,
                    keeper.file_path,
                    keeper.file_size,
                    keeper.file_mtime_ns,
                    file.id,
                    file.library_root,
                    os.path.abspath(move_to) if move_to else None,
                    file.machine,
                    keeper.machine,
                    keeper.id,
                )
            )
    return actions


def plan_check_moves(results: Iterable[DuplicateResult], move_to: StrPath) -> list[Action]:
    """New files that the library already holds at the same or a better quality, and
    the library's own files whose copy that stays lies outside what was checked (a
    downloads folder that is also indexed). An own file whose copy is checked too is left
    alone (`own_left_alone`): which of the library's copies stays is for the keeper rules
    of `find_duplicates`, not for the order the files were checked in."""
    results = list(results)
    held = {id(result) for result in own_left_alone(results)}
    actions = []
    for result in results:
        if not result.is_duplicate or result.quality not in ("same", "worse"):
            continue
        if id(result) in held:
            continue
        new, old = result.file, result.matches[0].file
        assert new is not None  # a file with copies was read
        actions.append(
            Action(
                "move",
                new.file_path,
                _target(move_to, new.file_path, None),
                new.file_size,
                new.file_mtime_ns,
                old.file_path,
                old.file_size,
                old.file_mtime_ns,
                target_root=os.path.abspath(move_to),
                keep_machine=old.machine,  # a copy on another machine cannot be checked here
                keep_row_id=old.id,
            )
        )
    return actions


def own_left_alone(results: Iterable[DuplicateResult]) -> list[DuplicateResult]:
    """The library's own files among `results` whose best copy is among them too: moving
    one of two library copies checked together would follow the order they were checked
    in, not the keeper rules (`music-tools dupes` decides those)."""
    results = list(results)
    checked = {result.file.file_path for result in results if result.file is not None}
    return [
        result
        for result in results
        if result.status == "own" and result.matches and result.matches[0].file.file_path in checked
    ]


def attach_rows(db: LibraryDatabase, actions: Sequence[Action]) -> list[Action]:
    """The actions, those on files the library holds given their rows, so that the rows
    follow the files (`check` may be given files that are indexed)."""
    rows = db.batch_get_files_by_paths([action.path for action in actions])
    return [
        replace(action, row_id=row.id, root=row.library_root)
        if (row := rows.get(action.path)) is not None and row.id is not None
        else action
        for action in actions
    ]


def _target(folder: StrPath, path: str, root: str | None) -> str:
    relative = os.path.relpath(path, root) if root and path.startswith(root) else None
    return os.path.join(os.path.abspath(folder), relative or os.path.basename(path))


def apply_actions(
    db: LibraryDatabase | None, actions: Sequence[Action], log: IO[str] | None, apply: bool
) -> Iterator[Outcome]:
    """Run (or, without `apply`, only check) each action; rows follow the files."""
    run = f"{time.time():.6f}-{os.getpid()}"  # a log may collect several runs
    gone: set[str] = set()  # sources this run moves (or would move) away
    taken: set[str] = set()  # targets it takes (or would take): a dry run says the truth
    here = db.machine if db is not None else None
    library = library_of(db) if db is not None else {}
    made: set[str] = set()  # target folders made (or found) by this run
    for number, action in enumerate(actions):
        problem = _elsewhere(action, here) or _guard(action, gone)
        if problem:
            yield Outcome(action, "skipped", problem)
            continue
        target = free_name(action.target, taken) if action.target else None
        gone.add(action.path)
        taken.add(target or "")
        if not apply:
            yield Outcome(action, "would", target=target)
            continue
        _make_target_root(action, made)
        record = {"run": run, "step": number, **asdict(action), "target": target, **library}
        record["at"] = time.time()
        write_record(log, {**record, "status": "started"})
        try:
            problem = _act(db, action, target)
        except (OSError, ActionFailed) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
            write_record(log, {**record, "status": "failed", "reason": reason})
            yield Outcome(action, "failed", reason, target)
            continue
        if problem:
            write_record(log, {**record, "status": "skipped", "reason": problem})
            yield Outcome(action, "skipped", problem, target)
            continue
        write_record(log, {**record, "status": "done"})
        yield Outcome(action, "done", target=target)


def _make_target_root(action: Action, made: set[str]) -> None:
    """The folder the moves go into, made before the first file goes there: one that
    cannot be made (under a file, on a read-only or virtual file system) stops the run
    with one error naming it, not a failure blamed on each music file. Nothing is made
    for a run whose every action is skipped."""
    folder = action.target_root if action.target else None
    if folder is None or folder in made:
        return
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise ActionError(folder, f"cannot make this folder: {os_reason(exc)}") from None
    made.add(folder)


def _elsewhere(action: Action, here: str | None) -> str:
    """Why an action of a shared catalog cannot run on this machine, or "": a file is only
    touched where it lives, and only beside a keeper this machine can see unchanged (the
    same path on another machine is another file)."""
    if action.machine is not None and action.machine != here:
        return (
            f"is on machine {action.machine}: run this there to act on it "
            f"(this is {here}: MUSIC_TOOLS_MACHINE names it); left alone"
        )
    if action.keep_machine is not None and action.keep_machine != here:
        return (
            f"the copy that stays is on machine {action.keep_machine}, which cannot be "
            "checked from here; left alone"
        )
    return ""


def _guard(action: Action, gone: set[str]) -> str:
    """Why this action must not run now, or "" (`gone`: files this run moves away)."""
    if action.target_root and is_inside(action.path, action.target_root):
        return f"already in {printable_path(action.target_root)}; left alone"
    if not unchanged(action.path, action.size, action.mtime_ns):
        return "changed or gone since it was indexed; left alone"
    if same_file(action.keep, action.path):
        return "is the copy that stays"
    if action.keep in gone or not unchanged(action.keep, action.keep_size, action.keep_mtime_ns):
        return f"the copy that stays ({printable_path(action.keep)}) changed or is gone; left alone"
    return _keeper_damage(action.keep)


def _keeper_damage(keep: str) -> str:
    """Why the copy that stays must not be trusted, by the reader's damage checks on what
    is on disk now (a few KiB), or "": its row may come from a reader without them."""
    try:
        damaged = damage_of(keep)
    except ExtractError as exc:
        if exc.kind in (ExtractKind.TRUNCATED, ExtractKind.CORRUPT):
            damaged = exc.reason
        else:
            return f"the copy that stays cannot be read: {exc.reason}; left alone"
    if damaged is None:
        return ""
    return f"the copy that stays is damaged: {damaged} ({printable_path(keep)}); left alone"


def _still_safe(db: LibraryDatabase | None, action: Action) -> str:
    """`_guard` again, inside the action's transaction (the library's rows cannot change
    under it) and right before the file is touched, plus: the copy that stays is still
    the library's, at its place. Another run, or a person, may have moved it meanwhile."""
    problem = _guard(action, set())
    if problem or db is None or action.keep_row_id is None:
        return problem
    if not db.matching.row_is_at(action.keep_row_id, action.keep):
        return (
            f"the copy that stays ({printable_path(action.keep)}) is no longer in the "
            "library (moved out or gone); left alone"
        )
    return ""


def _act(db: LibraryDatabase | None, action: Action, target: str | None) -> str:
    """Move or trash one file, its row following it in the same transaction; "" when done,
    else why it was left alone (seen inside the transaction: see `_still_safe`)."""
    with db.atomic() if db is not None else nullcontext():  # the row changes only with the file
        problem = _still_safe(db, action)
        if not problem and target is not None and os.path.lexists(target):
            problem = f"{printable_path(target)} was taken meanwhile; left alone"
        if problem:
            return problem
        if db is not None and action.row_id is not None:
            if target is not None:  # moved out of the library: kept, for undo, but inactive
                db.matching.move_row(
                    action.row_id, target, action.target_root, [action.path], active=False
                )
            else:
                db.batch_mark_inactive([action.path])
        if target is not None:
            _make_folder(os.path.dirname(target))
            rename(action.path, target)
        else:
            send_to_trash(action.path)
    return ""


def _make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        reason = f"cannot make the folder {printable_path(folder)}: {os_reason(exc)}"
        raise ActionFailed(reason) from None


def undo_log(db: LibraryDatabase | None, lines: Iterable[str]) -> Iterator[Outcome]:
    """Put back what a log moved, last first; rows point at the old places again (and are
    the library's again).

    A step logged as started but not done (a crash) is replayed from wherever its file is;
    one that failed or was left alone moved nothing and is passed over. Trashed files are
    reported, not restored: take them back from the system trash. See `read_log` for the
    lines it refuses."""
    return undo_steps(db, read_log(lines))


def undo_steps(
    db: LibraryDatabase | None, steps: dict[tuple[str, int], dict[str, Any]]
) -> Iterator[Outcome]:
    """`undo_log` of a log already read (`read_log`, `read_log_file`)."""
    for step in reversed(list(steps)):
        if steps[step]["status"] in ("started", "done"):
            yield _undo_one(db, steps[step])


def _undo_one(db: LibraryDatabase | None, record: dict[str, Any]) -> Outcome:
    """Move one file back, or say why not: its old place may hold it already (undone
    before, or a crash came before the move), or hold another file, which stays."""
    # a log written before the machine fields existed has none: they default to None
    fields = {k: record[k] for k in Action.__dataclass_fields__ if k in record}
    action = Action(**fields)
    source, target = action.path, record["target"]
    if target and record["status"] == "started":  # a crash may have stopped a copy
        remove_partial_copy(target)
    if action.op == "trash":
        return Outcome(action, "skipped", "in the system trash: restore it from there")
    if target and os.path.isdir(target) and not os.path.islink(target):
        return Outcome(action, "failed", "a folder where the file was moved: left alone", target)
    at_source = os.path.lexists(source)
    at_target = bool(target) and os.path.lexists(target)
    status: Literal["done", "skipped"] = "done"
    reason = ""
    try:
        if at_target and not at_source:
            os.makedirs(os.path.dirname(source), exist_ok=True)
            rename(target, source)
        elif at_source and (not at_target or unchanged(source, action.size, action.mtime_ns)):
            status, reason = "skipped", "already at its old place"
        elif at_source:
            taken = f"its old place is taken by another file; left at {printable_path(target)}"
            return Outcome(action, "failed", taken, target)
        else:
            return Outcome(action, "failed", "found at neither place", target)
    except OSError as exc:
        return Outcome(action, "failed", os_reason(exc), target)
    if db is not None and action.row_id is not None:
        with db.atomic():
            current = [p for p in (target, source) if p]
            db.matching.move_row(action.row_id, source, action.root, current, active=True)
    return Outcome(action, status, reason, target)
