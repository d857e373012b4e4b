"""Turning library results into text: tables, summaries, CSV, JSON. No SQL, no mutagen."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from .. import FingerprintReport, IndexReport, QualityPassReport
from ..identity.fpcalc_output import FingerprintOutcome
from ..models import LIBRARY_FILE_FIELDS, LibraryFile, ScanFailure
from ..quality import VERDICTS
from ..queries import LibraryStats
from ..util import human_size, printable_path

__all__ = [
    "error_lines",
    "failure_record",
    "file_record",
    "fingerprint_failure_lines",
    "human_duration",
    "index_summary",
    "path_width",
    "print_files",
    "print_stats",
    "quality_summary",
    "report_record",
    "short_path",
    "stats_record",
    "to_json",
    "write_files",
]


def human_duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return (
        f"{days}d {hours:02d}h {minutes:02d}m" if days else f"{hours}h {minutes:02d}m {secs:02d}s"
    )


def format_duration(seconds: float | None) -> str:
    """A track's length as players show it: 3:07 (?:?? when unknown)."""
    if seconds is None:
        return "?:??"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def index_summary(report: IndexReport) -> str:
    """One line: what an index run did (and its fingerprinting and quality passes: Ctrl-C
    there stops that pass, after the index itself was done)."""
    prints, judged = report.fingerprints, report.quality
    later = [p.interrupted for p in (prints, judged) if p is not None]
    cut = report.interrupted and not any(later)
    state = "interrupted after" if cut else "indexed in"
    parts = [
        f"{report.new} new",
        f"{report.updated} updated",
        f"{report.unchanged} unchanged",
        f"{report.moved} moved",
        f"{report.missing} missing",
    ]
    if report.reactivated:
        parts.append(f"{report.reactivated} back")
    parts.append(f"{report.errors} errors")
    if report.known_errors:
        parts.append(f"{report.known_errors} known errors skipped")
    if report.hashed:
        parts.append(f"{report.hashed} hashed")
    if report.reread:
        parts.append(f"{report.reread} re-read")
    rate = f"{report.files_per_s:,.0f} files/s"
    line = f"{', '.join(parts)}; {state} {report.elapsed_s:.1f}s ({rate})"
    if prints is not None:
        line += f"; {_fingerprint_summary(prints)}"
    if judged is not None:
        line += f"; {quality_summary(judged)}"
    return line


def quality_summary(judged: QualityPassReport) -> str:
    """What the quality pass did: the files analysed by verdict, those skipped."""
    verdicts = [f"{count} {verdict.replace('_', ' ')}" for verdict, count in _by_rank(judged)]
    counts = ", ".join([*verdicts, f"{judged.up_to_date} up to date"])
    if judged.failures:
        counts += f"; {len(judged.failures)} could not be decoded"
    rate = f"({judged.files_per_s:,.1f} files/s)"
    if judged.interrupted:
        return (
            f"quality interrupted after {judged.elapsed_s:.1f}s: {judged.done} of "
            f"{judged.total} judged ({counts}) {rate}"
        )
    return f"{judged.done} judged for quality ({counts}) in {judged.elapsed_s:.1f}s {rate}"


def _by_rank(judged: QualityPassReport) -> list[tuple[str, int]]:
    order: dict[str, int] = {verdict: i for i, verdict in enumerate(VERDICTS)}
    return sorted(judged.verdicts.items(), key=lambda item: order.get(item[0], len(order)))


def gone_root_lines(report: IndexReport) -> list[str]:
    """One line for each library root given that no longer exists."""
    return [
        f"{printable_path(root)}: no such folder; it was a library root: its {count:,} "
        f"{'file is' if count == 1 else 'files are'} marked missing"
        for root, count in report.gone_roots.items()
    ]


def _fingerprint_summary(prints: FingerprintReport) -> str:
    counts = f"{prints.without} without a fingerprint, {prints.up_to_date} up to date"
    if prints.failed:
        counts += f", {prints.failed} failed, tried again next run"
    rate = f"({prints.files_per_s:,.1f} files/s)"
    if prints.interrupted:
        return (
            f"fingerprinting interrupted after {prints.elapsed_s:.1f}s: {prints.done} of "
            f"{prints.total} fingerprinted ({counts}) {rate}"
        )
    return f"fingerprinted {prints.done} ({counts}) in {prints.elapsed_s:.1f}s {rate}"


def fingerprint_failure_lines(failures: Iterable[FingerprintOutcome]) -> Iterable[str]:
    """ "path: fingerprint: reason", one a line, for the files fpcalc failed on (those it
    will try again next run say so)."""
    for failure in failures:
        again = "; tried again next run" if failure.transient else ""
        yield f"{printable_path(failure.path)}: fingerprint: {failure.reason}{again}"


#: the fields a row shows (export, search --format json|csv): all but search's own index
SHOWN_FIELDS = tuple(name for name in LIBRARY_FILE_FIELDS if name != "search_text")


def file_record(file: LibraryFile) -> dict[str, Any]:
    """A row as plain data; paths that are not valid UTF-8 keep their escapes visible."""
    record = asdict(file)
    del record["search_text"]
    for key in ("file_path", "filename", "directory", "library_root"):
        if isinstance(record[key], str):
            record[key] = printable_path(record[key])
    return record


def failure_record(failure: ScanFailure, stage: str = "read") -> dict[str, Any]:
    """A file that could not be read (`stage` "read") or fingerprinted ("fingerprint"),
    as plain data."""
    return {
        "path": printable_path(failure.file_path),
        "reason": failure.reason,
        "size": failure.file_size,
        "first_seen_at": failure.first_seen_at,
        "stage": stage,
    }


def report_record(report: IndexReport) -> dict[str, Any]:
    """What an index run did, as plain data."""
    record = asdict(report)
    record["roots"] = [printable_path(root) for root in report.roots]
    record["gone_roots"] = {printable_path(r): count for r, count in report.gone_roots.items()}
    record["failures"] = [failure_record(f) for f in report.failures]
    record["files_per_s"] = round(report.files_per_s, 1)
    record["elapsed_s"] = round(report.elapsed_s, 3)
    if report.fingerprints is not None:
        prints = record["fingerprints"]
        prints["files_per_s"] = round(report.fingerprints.files_per_s, 2)
        prints["elapsed_s"] = round(report.fingerprints.elapsed_s, 3)
        prints["failures"] = [
            {"path": printable_path(f.path), "reason": f.reason, "transient": f.transient}
            for f in report.fingerprints.failures
        ]
    if report.quality is not None:
        judged = record["quality"]
        judged["analysed"] = report.quality.done
        judged["files_per_s"] = round(report.quality.files_per_s, 2)
        judged["elapsed_s"] = round(report.quality.elapsed_s, 3)
        judged["failures"] = [failure_record(f, "quality") for f in report.quality.failures]
    return record


def stats_record(stats: LibraryStats) -> dict[str, Any]:
    record = asdict(stats)
    record["roots"] = {printable_path(root): count for root, count in stats.roots.items()}
    record["lossless_share"] = round(stats.lossless_share, 4)
    return record


def to_json(data: Any) -> str:
    """JSON text of plain data built by the *_record functions (paths already printable)."""
    return json.dumps(data, ensure_ascii=False)


def write_files(files: Iterable[LibraryFile], out: TextIO, fmt: str) -> int:
    """Stream rows as csv, json (one array) or jsonl; returns how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=SHOWN_FIELDS)
        writer.writeheader()
        for file in files:
            writer.writerow(file_record(file))
            count += 1
    elif fmt == "jsonl":
        for file in files:
            out.write(to_json(file_record(file)) + "\n")
            count += 1
    else:
        out.write("[")
        for file in files:
            out.write(("," if count else "") + "\n" + to_json(file_record(file)))
            count += 1
        out.write("\n]\n" if count else "]\n")
    return count


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)} | {10: "\\n", 9: "\\t", 13: "\\r"}


def one_line(text: str) -> str:
    """`text` with its control characters escaped: a name holding a newline stays on one
    line of a table or of the terminal (JSON and CSV carry such names as they are)."""
    return text.translate(_CONTROL)


def short_path(path: str, root: str | None, width: int) -> str:
    """A path for a table cell: relative to its library root, shortened in the middle
    (where the folders are least telling) to `width` characters, never wrapped."""
    if root and path.startswith(root.rstrip(os.sep) + os.sep):
        path = path[len(root.rstrip(os.sep)) + 1 :]
    text = one_line(printable_path(path))
    if len(text) <= width:
        return text
    head = max(1, (width - 1) // 3)
    return f"{text[:head]}…{text[len(text) - (width - 1 - head) :]}"


def path_width(console: Console, share: float) -> int:
    return max(20, int(console.width * share))


def print_files(console: Console, files: Iterable[LibraryFile]) -> int:
    width = path_width(console, 0.38)
    text = max(6, (console.width - width - 32) // 3)
    table = Table(box=None, header_style="bold")
    for column in ("artist", "title", "album"):
        table.add_column(column, overflow="ellipsis", no_wrap=True, max_width=text)
    table.add_column("year", no_wrap=True, min_width=4)
    table.add_column("format", no_wrap=True, min_width=4, max_width=6)
    table.add_column("length", no_wrap=True, min_width=7)
    table.add_column("path", no_wrap=True, min_width=width)
    count = 0
    for f in files:
        table.add_row(
            f.artist or "",
            f.title or "",
            f.album or "",
            str(f.year or ""),
            f.file_format or "",
            human_duration(f.duration or 0)[-7:] if f.duration else "",
            short_path(f.file_path, f.library_root, width),
        )
        count += 1
    if count:
        console.print(table)
    return count


def print_stats(console: Console, stats: LibraryStats) -> None:
    console.print(
        f"[bold]{stats.files:,}[/] files, {human_size(stats.total_size)}, "
        f"{human_duration(stats.total_duration)} of audio; "
        f"{stats.lossless_share:.0%} lossless"
    )
    if stats.inactive:
        files = "file" if stats.inactive == 1 else "files"
        console.print(
            f"{stats.inactive:,} more {files} inactive (moved out of the library, or gone; kept)"
        )
    when = (
        time.strftime("%Y-%m-%d %H:%M", time.localtime(stats.last_indexed_at))
        if stats.last_indexed_at
        else "never"
    )
    console.print(f"last indexed: {when}; files that could not be read: {stats.errors:,}")
    table = Table(box=None, header_style="bold")
    table.add_column("format")
    table.add_column("files", justify="right")
    for name, count in stats.formats.items():
        table.add_row(name, f"{count:,}")
    if stats.formats:
        console.print(table)
    if stats.machines:
        machines = Table(box=None, header_style="bold")
        machines.add_column("machine")
        machines.add_column("files", justify="right")
        for machine, count in stats.machines.items():
            machines.add_row(machine, f"{count:,}")
        console.print(machines)
    roots = Table(box=None, header_style="bold")
    roots.add_column("machine:root" if stats.machines else "root")
    roots.add_column("files", justify="right")
    for root, count in stats.roots.items():
        roots.add_row(printable_path(root), f"{count:,}")
    if stats.roots:
        console.print(roots)


def error_lines(failures: Iterable[ScanFailure], stage: str = "") -> Iterable[str]:
    """ "path: reason", one a line, as compilers print them (easy to grep and to read);
    with a `stage`, "path: stage: reason"."""
    prefix = f"{stage}: " if stage else ""
    for failure in failures:
        yield f"{printable_path(failure.file_path)}: {prefix}{failure.reason}"
