#!/usr/bin/env python3
"""Benchmark the review page at 100,000 duplicate groups: the first page, and start-up.

    python benchmarks/benchmark_review.py                    # --groups 100000
    python benchmarks/benchmark_review.py --groups 20000 --json

The library is synthetic, written through the store's batch API without audio (as in
benchmark_check.py): each group is a FLAC and its byte copy in another folder (their full
hashes already cached, so nothing is read), and every third group also an MP3 of the same
song (same tags and length). Groups of the kinds exact, same_audio and same_song are found;
fingerprints are off (`Fpcalc("")`: there are no files to hear). Reported from
one run:

- start-up: `ReviewSession.refresh()` (find_duplicates, keepers by the preset, sorting),
  beside a bare `list(find_duplicates(...))` of the same kinds;
- the first page (`GET /api/groups`, 25 groups) over real HTTP from the running server,
  request to response: the first request and the median of 20; a page at the end of the
  list; a text filter, the first time (it scans every group) and then (cached); the page
  itself (`GET /`);
- beside them, a bare SQL query of the same rows by id with their JSON, median of 20.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from music_tools.dupes import find_duplicates
from music_tools.identity.fpcalc import Fpcalc
from music_tools.library import LibraryDatabase, LibraryFile
from music_tools.review import ReviewOptions, ReviewSession
from music_tools.review.server import ReviewServer
from music_tools.review.spectrogram import SpectrogramCache

KINDS = ("exact", "same_audio", "same_song")
NO_FPCALC = Fpcalc("")
PAGE = 25
REPEAT = 20


def synthetic_rows(groups: int) -> Iterator[LibraryFile]:
    """Per group a FLAC and its byte copy; every third group an MP3 of the song too."""
    for g in range(groups):
        artist, title = f"Artist {g % 5000}", f"Title {g}"
        base: dict[str, Any] = {
            "artist": artist,
            "title": title,
            "album": f"Album {g // 10}",
            "duration": 180.0 + g % 240,
            "sample_rate": 44_100,
            "bits_per_sample": 16,
            "channels": 2,
            "metadata_hash": f"m{g:031x}",
            "indexed_at": 1.7e9 + g,
            "file_mtime_ns": 1_700_000_000_000_000_000 + g,
        }
        flac = {
            **base,
            "file_format": "flac",
            "codec": "flac",
            "is_lossless": True,
            "bitrate": 900,
            "file_size": 30_000_000 + g,
            "audio_key": f"k{g:031x}",
            "audio_hash": f"a{g:031x}",
            "file_content_hash": f"c{g:031x}",
        }
        folder = f"/bench/{artist}/Album {g // 10}"
        yield _row(f"{folder}/{g:06d} {title}.flac", "/bench", flac)
        yield _row(f"/copies/{artist}/{g:06d} {title}.flac", "/copies", flac)
        if g % 3 == 0:
            mp3 = {
                **base,
                "file_format": "mp3",
                "codec": "mp3",
                "is_lossless": False,
                "bitrate": 320,
                "file_size": 7_000_000 + g,
                "audio_key": f"p{g:031x}",
            }
            yield _row(f"/mp3/{artist}/{g:06d} {title}.mp3", "/mp3", mp3)


def _row(path: str, root: str, values: dict[str, Any]) -> LibraryFile:
    directory, filename = os.path.split(path)
    return LibraryFile(
        file_path=path, filename=filename, directory=directory, library_root=root, **values
    )


def build(db: LibraryDatabase, groups: int) -> int:
    with db.deferred_indexes():
        rows = list(synthetic_rows(groups))
        db.batch_insert_files(rows, batch_size=5000)
    return len(rows)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def _get(connection: http.client.HTTPConnection, path: str, token: str) -> bytes:
    connection.request("GET", path, headers={"X-Music-Tools-Token": token})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
    return body


def _median_ms(function: Callable[[], Any]) -> float:
    return round(1000 * statistics.median(timed(function)[0] for _ in range(REPEAT)), 2)


def bare_page(db: LibraryDatabase, ids: list[int]) -> bytes:
    """The same rows by id in one query, as JSON: what a page costs without the page."""
    columns = db.columns
    query = (
        f"SELECT {', '.join(columns)} FROM library_index WHERE id IN ({','.join('?' * len(ids))})"
    )
    rows = db.connection.execute(query, ids).fetchall()
    return json.dumps([dict(zip(columns, row, strict=True)) for row in rows]).encode()


def serve_and_measure(session: ReviewSession, cache: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with ReviewServer(session, SpectrogramCache(str(cache))) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        token = server.token
        first = f"/api/groups?offset=0&limit={PAGE}"
        seconds, body = timed(lambda: _get(connection, first, token))
        figures["first_page_first_request_ms"] = round(1000 * seconds, 2)
        figures["first_page_median_ms"] = _median_ms(lambda: _get(connection, first, token))
        figures["first_page_bytes"] = len(body)
        last = f"/api/groups?offset={len(session.groups) - PAGE}&limit={PAGE}"
        figures["last_page_median_ms"] = _median_ms(lambda: _get(connection, last, token))
        text = f"/api/groups?offset=0&limit={PAGE}&q=title%20777"
        seconds, _ = timed(lambda: _get(connection, text, token))
        figures["text_filter_first_ms"] = round(1000 * seconds, 2)
        figures["text_filter_cached_median_ms"] = _median_ms(lambda: _get(connection, text, token))
        figures["page_html_median_ms"] = _median_ms(lambda: _get(connection, "/", token))
        ids = [f["id"] for g in json.loads(body)["groups"] for f in g["files"]]
        with session.lock:
            figures["bare_sql_same_rows_median_ms"] = _median_ms(lambda: bare_page(session.db, ids))
        figures["rows_on_first_page"] = len(ids)
        connection.close()
    return figures


def run(groups: int, folder: Path) -> dict[str, Any]:
    db_file = folder / "library.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    figures: dict[str, Any] = {"groups_built": groups}
    with LibraryDatabase(db_file) as db:
        seconds, rows = timed(lambda: build(db, groups))
        figures["rows"], figures["build_s"] = rows, round(seconds, 1)
        seconds, found = timed(lambda: list(find_duplicates(db, KINDS, fpcalc=NO_FPCALC)))
        figures["bare_find_duplicates_s"] = round(seconds, 2)
        del found
        options = ReviewOptions(kinds=KINDS, log_folder=str(folder), fpcalc=NO_FPCALC)
        session = ReviewSession(db, options)
        figures["startup_refresh_s"] = round(session.refresh(), 2)
        figures["groups"] = len(session.groups)
        figures.update(serve_and_measure(session, folder / "cache"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000, help="duplicate groups")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mt-review-bench-") as folder:
        figures = run(args.groups, Path(folder))
    if args.json:
        print(json.dumps(figures))
        return
    built = f"built in {figures['build_s']} s"
    print(f"{figures['groups']:,} groups over {figures['rows']:,} rows ({built})")
    print(
        f"start-up: groups computed in {figures['startup_refresh_s']} s "
        f"(bare find_duplicates: {figures['bare_find_duplicates_s']} s)"
    )
    print(
        f"first page ({PAGE} groups, {figures['rows_on_first_page']} rows, "
        f"{figures['first_page_bytes']:,} bytes): first request "
        f"{figures['first_page_first_request_ms']} ms, "
        f"median {figures['first_page_median_ms']} ms; "
        f"bare SQL of the same rows + JSON: {figures['bare_sql_same_rows_median_ms']} ms"
    )
    print(f"last page: median {figures['last_page_median_ms']} ms")
    print(
        f"text filter: first {figures['text_filter_first_ms']} ms (scans every group), "
        f"then {figures['text_filter_cached_median_ms']} ms; the page itself "
        f"{figures['page_html_median_ms']} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
