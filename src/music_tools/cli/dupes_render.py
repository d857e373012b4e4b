"""Rendering check results, duplicate groups and actions: tables, JSON, CSV, lines."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from ..dupes import DuplicateGroup, DuplicateResult
from ..dupes.actions import Outcome
from ..dupes.rules import format_duration
from ..models import LibraryFile
from ..util import printable_path
from .render import human_size, one_line, short_path, to_json

__all__ = [
    "outcome_line",
    "print_groups",
    "print_results",
    "result_record",
    "write_groups",
    "write_results",
]

_CSV_FIELDS = (
    "path",
    "is_duplicate",
    "match_type",
    "matched_path",
    "confidence",
    "quality",
    "reason",
    "confirmed",
    "status",
)


def result_record(result: DuplicateResult) -> dict[str, Any]:
    matched, own = result.matched_file, result.indexed_as
    return {
        "path": printable_path(result.path),
        "status": result.status,
        "indexed_as": printable_path(own.file_path) if own else None,
        "is_duplicate": result.is_duplicate,
        "match_type": result.match_type,
        "matched_path": printable_path(matched.file_path) if matched else None,
        "matches": [
            {
                "path": printable_path(m.file.file_path),
                "kind": m.kind,
                "confidence": m.confidence,
                "confirmed": m.confirmed,
                "reason": m.reason,
            }
            for m in result.matches
        ],
        "confidence": result.confidence,
        "confirmed": result.matches[0].confirmed if result.matches else None,
        "quality": result.quality,
        "reason": result.reason,
    }


def write_results(results: Iterable[DuplicateResult], out: TextIO, fmt: str) -> None:
    records = [result_record(r) for r in results]
    if fmt == "json":
        out.write(to_json(records) + "\n")
        return
    writer = csv.DictWriter(out, fieldnames=_CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)


def print_results(console: Console, results: Sequence[DuplicateResult], base: str | None) -> None:
    """One row a file: the verdict, and the library copy it matched, paths shortened."""
    width = max(12, (console.width - 30) * 3 // 10)
    table = Table(box=None, header_style="bold")
    table.add_column("file", no_wrap=True, max_width=width)
    table.add_column("match", no_wrap=True, min_width=10)
    table.add_column("quality", no_wrap=True, min_width=7)
    table.add_column("library copy", no_wrap=True, max_width=width)
    rest = max(10, console.width - 30 - 2 * width)
    table.add_column("why", no_wrap=True, overflow="ellipsis", max_width=rest)
    for result in results:
        matched = result.matched_file
        note = result.reason.rpartition("; ")[2] if result.is_duplicate else result.reason
        table.add_row(
            short_path(result.path, base, width),
            _match_cell(result),
            result.quality if result.is_duplicate else "",
            short_path(matched.file_path, matched.library_root, width) if matched else "",
            one_line(note),
        )
    console.print(table)


def _match_cell(result: DuplicateResult) -> str:
    """The kind of the best match, "new", "own" (and the kind of its other copy) or "-"."""
    if result.status == "unreadable":
        return "-"
    if result.status == "own":
        return f"own, {result.match_type}" if result.match_type else "own"
    return result.match_type or "new"


def _group_record(group: DuplicateGroup) -> dict[str, Any]:
    def file(f: LibraryFile, kind: str | None, confirmed: bool = True) -> dict[str, Any]:
        return {
            "path": printable_path(f.file_path),
            "machine": f.machine,
            "kind": kind,
            "confirmed": confirmed,
            "artist": f.artist,
            "title": f.title,
            "format": f.file_format,
            "bitrate": f.bitrate,
            "size": f.file_size,
            "duration": f.duration,
        }

    return {
        "kind": group.kind,
        "reason": group.reason,
        "keeper": file(group.keeper, None),
        "others": [file(m.file, m.kind, m.confirmed) for m in group.others],
    }


def write_groups(groups: Iterable[DuplicateGroup], out: TextIO, fmt: str) -> None:
    records = [_group_record(g) for g in groups]
    if fmt == "json":
        out.write(to_json(records) + "\n")
        return
    writer = csv.writer(out)
    writer.writerow(
        [
            "group",
            "role",
            "kind",
            "path",
            "machine",
            "artist",
            "title",
            "format",
            "bitrate",
            "confirmed",
        ]
    )
    for number, record in enumerate(records, start=1):
        for role, entry in [("keep", record["keeper"])] + [("dupe", o) for o in record["others"]]:
            writer.writerow(
                [
                    number,
                    role,
                    entry["kind"] or record["kind"],
                    entry["path"],
                    entry["machine"] or "",
                    entry["artist"],
                    entry["title"],
                    entry["format"],
                    entry["bitrate"],
                    entry["confirmed"],
                ]
            )


def print_groups(console: Console, groups: Sequence[DuplicateGroup]) -> None:
    """Each group as a small table, the keeper first and marked, tags side by side; the
    narrow columns keep their width and the path and tags share what is left."""
    spare = max(24, console.width - 54)  # mark, format, kbps, size, length and padding
    path_cells, text_cells = spare * 2 // 5, max(6, spare * 3 // 10)
    for number, group in enumerate(groups, start=1):
        header = one_line(f"group {number} · {group.kind} · {group.reason}")
        console.print(header, markup=False, highlight=False)  # wrapped: the whole reason
        table = Table(box=None, header_style="bold", padding=(0, 1))
        table.add_column("", no_wrap=True, min_width=10)
        table.add_column("path", no_wrap=True, max_width=path_cells)
        for column in ("artist", "title"):
            table.add_column(column, no_wrap=True, overflow="ellipsis", max_width=text_cells)
        for column, width in (("format", 6), ("kbps", 5), ("size", 9), ("length", 6)):
            table.add_column(column, no_wrap=True, min_width=width, justify="right")
        rows = [("keep", group.keeper)] + [(m.kind, m.file) for m in group.others]
        for mark, f in rows:
            table.add_row(
                mark,
                (f"{f.machine}:" if f.machine else "")
                + short_path(f.file_path, f.library_root, path_cells),
                f.artist or "",
                f.title or "",
                f.file_format or "",
                str(f.bitrate or ""),
                human_size(f.file_size or 0),
                format_duration(f.duration),
            )
        console.print(table)


_VERBS = {"move": ("moved", "would move"), "trash": ("trashed", "would trash")}


def outcome_line(outcome: Outcome) -> str:
    """One line per action: what was (or would be) done, or why not."""
    action = outcome.action
    path = printable_path(action.path)
    done, would = _VERBS[action.op]
    to = f" -> {printable_path(outcome.target)}" if outcome.target else ""
    if outcome.status == "done":
        return one_line(f"{done}: {path}{to}")
    if outcome.status == "would":
        return one_line(f"{would}: {path}{to}")
    return one_line(f"{outcome.status}: {path}: {outcome.reason}")
