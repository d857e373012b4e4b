"""Rendering check results, duplicate groups and actions: tables, JSON, CSV, lines."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from ..dupes import DuplicateGroup, DuplicateResult, Evidence, Match
from ..dupes.actions import Outcome
from ..models import LibraryFile
from ..util import human_size, printable_path
from .render import format_duration, one_line, short_path, to_json

__all__ = [
    "count_line",
    "group_reason",
    "match_reason",
    "near_miss_reason",
    "outcome_line",
    "print_groups",
    "print_results",
    "result_reason",
    "result_record",
    "write_groups",
    "write_results",
]

NOT_IN_LIBRARY = "not in the library"
OWN_FILE = "the library's own file"
_SONG = {"tags": "same artist and title", "musicbrainz": "same MusicBrainz recording"}

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


# -- the words for a check result, from its evidence ----------------------------------------


def result_reason(result: DuplicateResult) -> str:
    """One line: what the file is, on what evidence, and (a duplicate) which copy is better."""
    if result.status == "unreadable":
        return f"cannot read: {result.error}"
    said = [_own(result)]
    if result.matches:
        said += [match_reason(result.matches[0]), _verdict(result)]
    elif result.status == "new" and result.gone:
        return (
            f"{NOT_IN_LIBRARY}: its copy {printable_path(result.gone[0])} is gone from disk "
            "(music-tools index of its folder marks it missing)"
        )
    elif result.near_misses:
        said.append(near_miss_reason(result.near_misses[0]))
    return "; ".join(part for part in said if part) or NOT_IN_LIBRARY


def _own(result: DuplicateResult) -> str:
    """What the reason of one of the library's own files starts with, or ""."""
    row = result.indexed_as
    if row is None:
        return ""
    if row.file_path == (result.file.file_path if result.file else None):
        return OWN_FILE
    return f"{OWN_FILE} (indexed as {printable_path(row.file_path)})"


def _verdict(result: DuplicateResult) -> str:
    why = result.quality_reason
    if result.quality == "better":
        return f"new file better ({why})"
    if result.quality == "worse":
        return f"library copy better ({why})"
    return why


def _lengths(evidence: Evidence) -> str:
    return (
        f"{format_duration(evidence.new_length)} against {format_duration(evidence.other_length)}"
    )


def _differ(evidence: Evidence) -> str:
    return f"{evidence.bit_error_rate or 0.0:.0%}"


def match_reason(match: Match) -> str:
    """Why the library file matches: what the two share, and the figures."""
    evidence, file = match.evidence, match.file
    where = printable_path(evidence.other)
    basis = evidence.basis
    if basis == "same_bytes":
        return f"same bytes as {where}"
    if basis == "flac_md5":
        return f"same decoded audio (FLAC MD5) as {where}"
    if basis == "audio_hash":
        return f"same audio as {where}, other tags"
    if basis == "audio_key":
        return f"same audio key as {where} (not confirmed: a file changed or is gone)"
    if basis == "fingerprint":
        return (
            f"same recording as {where} by fingerprint ({_differ(evidence)} of bits differ, "
            f"offset {evidence.offset_s or 0.0:+.1f} s)"
        )
    heard = (
        f", fingerprints agree ({_differ(evidence)} of bits differ)"
        if evidence.bit_error_rate is not None
        else ""
    )
    if basis == "names":
        heard = heard or ", not confirmed by fingerprint"
        return (
            f"similar artist and title ({evidence.similarity or 0.0:.0%}) to {where}, "
            f"{_lengths(evidence)}{heard}"
        )
    known = evidence.new_length and evidence.other_length
    lengths = _lengths(evidence) if known else "a length unknown"
    form = f"{file.file_format or '?'} {file.bitrate or '?'} kbps{_mode(file)}"
    return f"{_SONG[basis]} as {where} ({form}), {lengths}{heard}"


def _mode(file: LibraryFile) -> str:
    """The bitrate mode to follow a bitrate (" VBR"); nothing where it is not known."""
    return f" {file.bitrate_mode}" if file.bitrate_mode else ""


def near_miss_reason(evidence: Evidence) -> str:
    """Why a library file that shares something with the new file is not a copy of it."""
    where = printable_path(evidence.other)
    lengths = _lengths(evidence)
    other = f"another recording ({_differ(evidence)} of fingerprint bits differ)"
    if evidence.basis == "fingerprint":
        heard = f"same recording as {where} by fingerprint"
        if evidence.miss == "another_version" and evidence.versions is not None:
            new, old = (", ".join(words) or "no version" for words in evidence.versions)
            return f"{heard}, but titled as another version ({new} against {old})"
        return f"{heard}, but {lengths}: another edit"
    if evidence.basis == "names":
        if evidence.miss == "lengths":
            return f"similar artist and title to {where}, but {lengths}"
        score = f"{evidence.similarity or 0.0:.0%}"
        return f"similar artist and title ({score}) to {where}, {lengths}, but {other}"
    what = _SONG.get(evidence.basis, evidence.basis)
    if evidence.miss == "lengths":
        return f"{what} as {where}, but {lengths}"
    return f"{what} as {where}, {lengths}, but {other}"


def _evidence_record(evidence: Evidence) -> dict[str, Any]:
    """The evidence as JSON: its figures, the path printable; what a basis does not use left out."""
    record = {k: v for k, v in asdict(evidence).items() if v is not None}
    record["other"] = printable_path(evidence.other)
    return record


# -- check results -------------------------------------------------------------------------


def result_record(result: DuplicateResult) -> dict[str, Any]:
    matched, own = result.matched_file, result.indexed_as
    return {
        "path": printable_path(result.path),
        "status": result.status,
        "indexed_as": printable_path(own.file_path) if own else None,
        "is_duplicate": result.is_duplicate,
        "match_type": result.kind,  # the output's name for it, kept for scripts
        "matched_path": printable_path(matched.file_path) if matched else None,
        "matches": [
            {
                "path": printable_path(m.file.file_path),
                "kind": m.kind,
                "confidence": m.confidence,
                "confirmed": m.confirmed,
                "reason": match_reason(m),
                "evidence": _evidence_record(m.evidence),
            }
            for m in result.matches
        ],
        "near_misses": [_evidence_record(e) for e in result.near_misses],
        "confidence": result.confidence,
        "confirmed": result.matches[0].confirmed if result.matches else None,
        "quality": result.quality,
        "reason": result_reason(result),
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
        note = _verdict(result) if result.is_duplicate else result_reason(result)
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
        return f"own, {result.kind}" if result.kind else "own"
    return result.kind or "new"


# -- duplicate groups ----------------------------------------------------------------------

_RULES = {
    "no_copy_marker": "no copy marker in its name",
    "oldest": "the oldest file",
    "indexed_first": "indexed first",
    "first_by_path": "first by path",
}


def count_line(groups: int, spare: int) -> str:
    """The line under `dupes`'s table: how many groups, how many files beside a keeper."""
    return (
        f"{groups:,} group{'' if groups == 1 else 's'}; "
        f"{spare:,} file{'' if spare == 1 else 's'} beside a keeper"
    )


def group_reason(group: DuplicateGroup) -> str:
    """Why the keeper is kept, as "kept: ...": its quality, or the rule that decided
    between copies of the same quality."""
    why = group.keeper_reason
    if why.rule == "quality":
        return f"kept: {why.quality}"
    if why.rule == "chosen":
        return "kept: chosen by hand"
    if why.rule == "preferred_root":
        said = f"in the preferred root {printable_path(why.root or '')}"
    elif why.rule == "album_folder":
        said = f"its folder holds its album ({why.album_files} files of {why.album!r})"
    else:
        said = _RULES[why.rule]
    return f"kept: same quality, {said}"


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
            "bitrate_mode": f.bitrate_mode,
            "size": f.file_size,
            "duration": f.duration,
        }

    why = {k: v for k, v in asdict(group.keeper_reason).items() if v is not None}
    if "root" in why:
        why["root"] = printable_path(why["root"])
    return {
        "kind": group.kind,
        "reason": group_reason(group),
        "keeper_reason": why,
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
            "bitrate_mode",
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
                    entry["bitrate_mode"],
                    entry["confirmed"],
                ]
            )


def print_groups(console: Console, groups: Sequence[DuplicateGroup]) -> None:
    """Each group as a small table, the keeper first and marked, tags side by side; the
    narrow columns keep their width and the path and tags share what is left."""
    spare = max(24, console.width - 56)  # mark, format, kbps, size, length and padding
    path_cells, text_cells = spare * 2 // 5, max(6, spare * 3 // 10)
    for number, group in enumerate(groups, start=1):
        header = one_line(f"group {number} · {group.kind} · {group_reason(group)}")
        console.print(header, markup=False, highlight=False)  # wrapped: the whole reason
        table = Table(box=None, header_style="bold", padding=(0, 1))
        table.add_column("", no_wrap=True, min_width=10)
        table.add_column("path", no_wrap=True, max_width=path_cells)
        for column in ("artist", "title"):
            table.add_column(column, no_wrap=True, overflow="ellipsis", max_width=text_cells)
        for column, width in (("format", 6), ("kbps", 7), ("size", 9), ("length", 6)):
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
                f"{f.bitrate or ''}{_mode(f)}".strip(),
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
