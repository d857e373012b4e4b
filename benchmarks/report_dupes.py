"""The tables of the duplicate, fingerprint, quality and review benchmarks."""

from __future__ import annotations

from report_markdown import Result, paragraph, table
from report_markdown import n as _n
from report_markdown import s as _s
from report_markdown import x as _x


def check(r: Result) -> list[str]:
    lines: list[str] = []
    if "check_files_per_s" in r:
        share = f"; lookups {r['lookup_share']:.1%} of the time" if "lookup_share" in r else ""
        lines += table(
            [
                f"{r['new_files']:,} new files, {r['library_rows']:,} rows, {r['workers']} workers",
                "music-tools",
                "bare `mutagen.File` loop, one process, same run",
                "ratio",
            ],
            [
                [
                    "`check_files_batch`, end to end",
                    f"{_n(r['check_files_per_s'])} files/s{share}",
                    f"{_n(r['bare_mutagen_files_per_s'])} files/s",
                    _x(r["ratio"]),
                ]
            ],
        )
        lines += table(
            ["`find_duplicates` over the library", "seconds", "groups"],
            [
                [kind, f"{v['seconds']:.2f}", _n(v["groups"])]
                for kind, v in r["find_duplicates_s"].items()
            ],
        )
        lines += table(
            ["kind", "precision", "recall", "files"],
            [
                [kind, f"{v['precision']:.3f}", f"{v['recall']:.3f}", _n(v["n"])]
                for kind, v in r["accuracy"].items()
            ],
        )
    if "fingerprints" in r:
        f = r["fingerprints"]
        seconds = f"{f['seconds_each']:g} s " if "seconds_each" in f else ""
        lines += paragraph(
            f"What fingerprints cost `check` of {f['files']:,} same-tag transcodes of"
            f" {seconds}music alone (a corpus of its own: the library's FLACs fingerprinted"
            f" beforehand by `index --fingerprint` in {f['index_fingerprint']['seconds']} s,"
            f" {_n(f['index_fingerprint']['made'])} prints):"
        )
        lines += table(
            ["library", "fpcalc runs", "files/s", "same_song found"],
            [
                [text, _n(f[key]["fpcalc_runs"]), _n(f[key]["files_per_s"], 1), f[key]["same_song"]]
                for key, text in (
                    ("not_fingerprinted", "not fingerprinted: both sides of each pair"),
                    ("again", "the same check again: the library's prints kept"),
                    ("fingerprinted", "fingerprinted beforehand by `index --fingerprint`"),
                    ("without_fpcalc", "without fpcalc (the baseline)"),
                )
            ],
        )
    return lines


def fingerprint(r: Result) -> list[str]:
    lines: list[str] = []
    if "fingerprinting" in r:
        f = r["fingerprinting"]
        lines += table(
            [
                f"{f['files']} files, {f['workers']} workers",
                "music-tools, each round",
                "bare `fpcalc` loop, each round",
                "ratio, median",
            ],
            [
                [
                    "fingerprints/s",
                    ", ".join(_n(x, 2) for x in f["fingerprint_library_files_per_s"]),
                    ", ".join(_n(x, 2) for x in f["bare_fpcalc_files_per_s"]),
                    f"{_x(min(f['ratios']))}-{_x(max(f['ratios']))},"
                    f" median {_x(f['median_ratio'])}",
                ]
            ],
        )
    if "index" in r:
        i = r["index"]
        lines += table(
            [f"the index at {i['rows']:,} rows", "figure"],
            [
                [
                    "storage per file",
                    f"{_n(i['fingerprint_bytes_per_file'])} bytes of fingerprint,"
                    f" {_n(i['term_index_bytes_per_file'])} bytes of term index"
                    f" ({i['term_rows_per_file']} rows a file)",
                ],
                [
                    "one candidate lookup",
                    f"{i['lookup_ms_median']} ms median, {i['lookup_ms_p95']} ms at the 95th"
                    f" percentile; the right row first in {i['lookup_top_candidate_right']}",
                ],
                [
                    "`find_duplicates(db, ['same_recording'])`",
                    f"{_s(i['dupes_same_recording_s'])}, {_n(i['groups'])} groups;"
                    f" planted pairs found: {i['planted_pairs_found']}",
                ],
                ["building the index", _s(i["build_s"])],
            ],
        )
    return lines


def quality(r: Result) -> list[str]:
    lines: list[str] = []
    if "cost" in r:
        rows = [
            [
                kind,
                _n(max(v["verdict_files_per_s"]), 1),
                _n(max(v["bare_decode_files_per_s"]), 1),
                f"{_x(min(v['ratios']))}-{_x(max(v['ratios']))} (median {_x(v['median_ratio'])})",
                f"{v['verdict_cpu_ms_per_file']} / {v['bare_cpu_ms_per_file']}",
            ]
            for kind, v in r["cost"].items()
        ]
        head = [
            "kind",
            "verdict files/s (best round)",
            "bare decode files/s (best round)",
            "ratio, each round",
            "CPU ms a file, verdict / bare",
        ]
        lines += table(head, rows)
    if "accuracy" in r:
        a = r["accuracy"]
        rows = [
            [label, ", ".join(f"{verdict} {n}" for verdict, n in sorted(counts.items()))]
            for label, counts in a["verdicts"].items()
        ]
        lines += table([f"class ({a['per_class']} files each)", "verdicts"], rows)
        figures = [
            f"`{name}`: {a[name]}"
            for name in (
                "lossy_source_recall",
                "lossy_source_precision",
                "genuine_called_lossy",
                "dark_called_lossy",
                "upsampled_recall",
                "padded_recall",
            )
            if name in a
        ]
        lines += paragraph("; ".join(figures) + ".")
    return lines


def review(r: Result) -> list[str]:
    rows = [
        [
            f"the first page (25 groups, {r['rows_on_first_page']} rows), request to response",
            f"{r['first_page_first_request_ms']} ms the first time,"
            f" {r['first_page_median_ms']} ms median of 20",
            f"{r['bare_sql_same_rows_median_ms']} ms (one SQL query of the same rows, as JSON)",
        ],
        ["the last page", f"{r['last_page_median_ms']} ms", ""],
        [
            "start-up: the groups computed",
            _s(r["startup_refresh_s"]),
            f"{_s(r['bare_find_duplicates_s'])} (`list(find_duplicates(...))`)",
        ],
        [
            "a text filter",
            f"{r['text_filter_first_ms']} ms the first time (every group scanned),"
            f" then {r['text_filter_cached_median_ms']} ms",
            "",
        ],
        ["the page itself", f"{r['page_html_median_ms']} ms", ""],
    ]
    head = [f"{r['groups']:,} groups over {r['rows']:,} rows", "review", "bare baseline, same run"]
    return table(head, rows)
