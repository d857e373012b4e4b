"""The review page's state, held in the server: the groups found once (per start or
refresh), the keeper chosen in each, the groups marked to act on, and this session's
action logs. No HTTP here: the web layer calls these methods and renders their results.

Groups are computed once by `find_duplicates` and kept in memory, sorted by path, so a
page is a slice of a list (filters are computed once per filter and cached), not a query:
a page of 100,000 groups costs what a page of ten does. Acting goes through the engine of
`dupes` (`plan_group_actions`, `apply_actions`, `undo_log`), with the keepers chosen here.

Every method takes one lock: the database connection (apsw or psycopg) is used by one
request thread at a time, and an action never runs beside another.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from ..dupes import (
    KINDS,
    DuplicateGroup,
    GroupMember,
    KeeperReason,
    MatchKind,
    find_duplicates,
)
from ..dupes.acting import acting_run, apply_logged, undo_run
from ..dupes.action_log import read_log_file
from ..dupes.actions import Action, Outcome, apply_actions, plan_group_actions
from ..dupes.keepers import AlbumCounts, best_copies, by_quality
from ..errors import MusicToolsError, os_reason
from ..identity.fpcalc import DEFAULT_FPCALC, Fpcalc
from ..models import LibraryFile
from ..store import LibraryDatabase
from ..util import is_inside, printable_path
from .keepers import PRESETS, KeeperContext, choose_keeper, not_best_reason

__all__ = [
    "ActionReport",
    "GroupFilter",
    "Page",
    "ReviewError",
    "ReviewGroup",
    "ReviewOptions",
    "ReviewSession",
]

_CACHED_FILTERS = 16


class ReviewError(MusicToolsError):
    """A request the page cannot carry out; `status` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class GroupFilter:
    """Which groups a page shows: of one kind, with a file under `folder`, with `text` in
    a file's tags or path (case-insensitive), whose keeper is not the best copy."""

    kind: str = ""
    folder: str = ""
    text: str = ""
    flagged: bool = False


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    """How `review` was started: what to find, whom to prefer, and what acting does (move
    the other copies to `move_to`, or trash them; neither: the page only previews)."""

    kinds: tuple[MatchKind, ...] = KINDS
    #: which fpcalc fingerprints (its program empty: none)
    fpcalc: Fpcalc = DEFAULT_FPCALC
    preferred: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    preset: str = "quality"
    move_to: str | None = None
    trash: bool = False
    log_folder: str = "."


@dataclass(slots=True)
class ReviewGroup:
    """A group as the page holds it: its files (in path order) and the one to keep."""

    id: int
    kind: MatchKind
    files: list[LibraryFile]
    keeper: LibraryFile
    marked: bool = False
    #: its other copies were acted on by a log of this session that was not undone
    applied: bool = False
    text: str = ""  # what the text filter searches, lowercased; made on first use


@dataclass(slots=True)
class Page:
    total: int
    offset: int
    groups: list[ReviewGroup]


@dataclass(slots=True)
class ActionReport:
    """What a preview, an apply or an undo did, one outcome per file; the log written."""

    outcomes: list[Outcome] = field(default_factory=list)
    log: str | None = None


class ReviewSession:
    def __init__(self, db: LibraryDatabase, options: ReviewOptions) -> None:
        if options.preset not in PRESETS:
            raise ReviewError(f"unknown preset {options.preset!r}; use: {', '.join(PRESETS)}")
        self.db = db
        self.options = options
        self.context = KeeperContext(options.preferred, options.protected)
        self.groups: list[ReviewGroup] = []
        self.seconds = 0.0  # how long the last refresh took
        self._lock = threading.RLock()
        self._files: dict[int, LibraryFile] = {}
        self._filtered: dict[GroupFilter, list[ReviewGroup]] = {}
        self._logs: list[tuple[str, list[int]]] = []  # applied logs, last last

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def refresh(self) -> float:
        """Find the groups again (after files changed on disk); seconds it took."""
        with self._lock:
            started = time.perf_counter()
            found = find_duplicates(
                self.db, self.options.kinds, self.options.preferred, fpcalc=self.options.fpcalc
            )
            members = [(g.kind, _members(g)) for g in found]
            albums = self._album_counts([files for _, files in members])
            self.context = replace(self.context, albums=albums)
            preset = self.options.preset
            groups = [
                ReviewGroup(0, kind, files, choose_keeper(files, preset, self.context))
                for kind, files in members
            ]
            groups.sort(key=lambda g: g.files[0].file_path)
            for number, group in enumerate(groups):
                group.id = number
            self.groups = groups
            self._files = {f.id: f for g in groups for f in g.files if f.id is not None}
            self._filtered.clear()
            self.seconds = time.perf_counter() - started
            return self.seconds

    def _album_counts(self, groups: list[list[LibraryFile]]) -> AlbumCounts:
        """The album counts `dupes`' album_folder rule reads, for the folders of the copies
        it may have to choose between (as find_duplicates reads them)."""
        folders = {
            f.directory or os.path.dirname(f.file_path)
            for files in groups
            if len(peers := best_copies(by_quality(files))) > 1
            for f in peers
        }
        return self.db.matching.album_counts(folders) if folders else {}

    def file(self, row_id: int) -> LibraryFile:
        """A file of a group by its row id: the page never names a file by its path."""
        found = self._files.get(row_id)
        if found is None:
            raise ReviewError(f"no file {row_id} in the duplicate groups", 404)
        return found

    def page(self, wanted: GroupFilter, offset: int, limit: int) -> Page:
        with self._lock:
            matching = self._matching(wanted)
            return Page(len(matching), offset, matching[offset : offset + limit])

    def not_best(self, group: ReviewGroup) -> str:
        """Why the group's keeper is not its best-sounding copy, or ""."""
        return not_best_reason(group.files, group.keeper, self.context)

    # -- choosing ------------------------------------------------------------------------

    def choose(self, group_id: int, row_id: int) -> ReviewGroup:
        with self._lock:
            group = self._group(group_id)
            chosen = next((f for f in group.files if f.id == row_id), None)
            if chosen is None:
                raise ReviewError(f"file {row_id} is not in group {group_id}", 404)
            group.keeper = chosen
            self._forget_flagged()
            return group

    def apply_preset(self, preset: str, wanted: GroupFilter) -> int:
        """Re-choose the keeper of every group in the filter by `preset`; how many
        changed."""
        if preset not in PRESETS:
            raise ReviewError(f"unknown preset {preset!r}; use: {', '.join(PRESETS)}")
        with self._lock:
            changed = 0
            for group in self._matching(wanted):
                keeper = choose_keeper(group.files, preset, self.context)
                changed += keeper is not group.keeper
                group.keeper = keeper
            self._forget_flagged()
            return changed

    def mark(self, group_id: int, marked: bool) -> ReviewGroup:
        with self._lock:
            group = self._group(group_id)
            group.marked = marked and not group.applied
            return group

    def mark_all(self, wanted: GroupFilter, marked: bool) -> int:
        with self._lock:
            groups = [g for g in self._matching(wanted) if not g.applied]
            for group in groups:
                group.marked = marked
            return len(groups)

    # -- acting --------------------------------------------------------------------------

    @property
    def acting(self) -> str:
        """What applying does, in words; "" when the page may only preview."""
        if self.options.trash:
            return "send the other copies to the trash"
        if self.options.move_to:
            return f"move the other copies to {printable_path(self.options.move_to)}"
        return ""

    def preview(self) -> ActionReport:
        """What applying would do now to the marked groups (a dry run of the engine)."""
        with self._lock:
            actions, skipped, _ = self._plan()
            return ActionReport(skipped + list(apply_actions(self.db, actions, None, False)))

    def apply(self) -> ActionReport:
        """Act on the marked groups, logged for undo; their files are checked first."""
        with self._lock:
            actions, skipped, groups = self._plan()
            if not actions:
                return ActionReport(skipped)
            log_path = self._new_log_path()
            outcomes: list[Outcome] = []
            try:  # as `dupes --apply`: planned again under the run lock, then logged
                with acting_run(self.db, log_path):
                    actions, skipped, groups = self._plan()
                    # extend keeps what was done before an error
                    outcomes.extend(apply_logged(self.db, actions, log_path))
            except OSError as exc:
                raise ReviewError(f"{printable_path(log_path)}: {os_reason(exc)}", 500) from None
            finally:
                acted = {o.action.row_id for o in outcomes if o.status == "done"}
                done = [g for g in groups if any(f.id in acted for f in g.files)]
                for group in done:
                    group.applied, group.marked = True, False
                if outcomes:
                    self._logs.append((log_path, [g.id for g in done]))
            return ActionReport(skipped + outcomes, log_path)

    def undo(self) -> ActionReport:
        """Put back what the last apply of this session moved."""
        with self._lock:
            if not self._logs:
                raise ReviewError("nothing to undo on this page", 409)
            log_path, group_ids = self._logs[-1]
            try:
                steps = read_log_file(log_path)
            except MusicToolsError as exc:
                raise ReviewError(str(exc), 500) from None
            outcomes = undo_run(self.db, steps)  # as `music-tools undo`
            self._logs.pop()
            for group_id in group_ids:
                group = self.groups[group_id]
                group.applied, group.marked = False, True
            return ActionReport(outcomes, log_path)

    def pairs(self, wanted: GroupFilter) -> Iterator[tuple[ReviewGroup, LibraryFile]]:
        """(group, duplicate) for every copy beside a keeper, in the filter."""
        with self._lock:
            chosen = [(g, f) for g in self._matching(wanted) for f in g.files if f is not g.keeper]
        yield from chosen

    # -- inside --------------------------------------------------------------------------

    def _group(self, group_id: int) -> ReviewGroup:
        if not 0 <= group_id < len(self.groups):
            raise ReviewError(f"no group {group_id}", 404)
        return self.groups[group_id]

    def _matching(self, wanted: GroupFilter) -> list[ReviewGroup]:
        if wanted == GroupFilter():
            return self.groups
        found = self._filtered.get(wanted)
        if found is None:
            if wanted.text and self.groups and not self.groups[0].text:
                for group in self.groups:
                    group.text = _searchable(group.files)
            found = [g for g in self.groups if self._shows(g, wanted)]
            if len(self._filtered) >= _CACHED_FILTERS:
                self._filtered.pop(next(iter(self._filtered)))
            self._filtered[wanted] = found
        return found

    def _shows(self, group: ReviewGroup, wanted: GroupFilter) -> bool:
        if wanted.kind and group.kind != wanted.kind:
            return False
        folder = wanted.folder.rstrip(os.sep) or wanted.folder
        if folder and not any(is_inside(f.file_path, folder) for f in group.files):
            return False
        if wanted.text and wanted.text.lower() not in group.text:
            return False
        return not wanted.flagged or bool(self.not_best(group))

    def _forget_flagged(self) -> None:
        for key in [k for k in self._filtered if k.flagged]:
            del self._filtered[key]

    def _plan(self) -> tuple[list[Action], list[Outcome], list[ReviewGroup]]:
        """The engine's actions for the marked groups, less those on files in a protected
        folder (outcomes saying so)."""
        if not self.acting:
            raise ReviewError(
                "review was started without --move-to or --trash: the page cannot act", 409
            )
        groups = [g for g in self.groups if g.marked and not g.applied]
        chosen = [
            DuplicateGroup(
                g.kind,
                g.keeper,
                [GroupMember(f, g.kind) for f in g.files if f is not g.keeper],
                KeeperReason("chosen"),
            )
            for g in groups
        ]
        planned = plan_group_actions(chosen, self.options.move_to, self.options.trash)
        actions, skipped = [], []
        for action in planned:
            if any(is_inside(action.path, folder) for folder in self.options.protected):
                skipped.append(Outcome(action, "skipped", "in a protected folder; left alone"))
            else:
                actions.append(action)
        return actions, skipped, groups

    def _new_log_path(self) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = os.path.join(self.options.log_folder, f"music-tools-actions-{stamp}.jsonl")
        number = 1
        while os.path.lexists(path):
            number += 1
            name = f"music-tools-actions-{stamp}-{number}.jsonl"
            path = os.path.join(self.options.log_folder, name)
        return path


def _members(group: DuplicateGroup) -> list[LibraryFile]:
    return sorted([group.keeper, *(m.file for m in group.others)], key=lambda f: f.file_path)


def _searchable(files: list[LibraryFile]) -> str:
    parts = [
        value
        for f in files
        for value in (f.artist, f.title, f.album, f.album_artist, f.file_path)
        if value
    ]
    return "\n".join(parts).lower()
