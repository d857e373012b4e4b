"""The tables of the store, reading and indexing benchmarks (docs/benchmarks.md)."""

from __future__ import annotations

from report_markdown import Result, paragraph, table
from report_markdown import n as _n
from report_markdown import s as _s
from report_markdown import x as _x


def batch_operations(r: Result) -> list[str]:
    size = r["size"]
    postgres = r.get("store") == "postgresql"
    bare = "psycopg" if postgres else "`sqlite3`"
    rows = []
    for key, name, unit in (
        ("insert", "insert", "rows/s"),
        ("update", "update", "rows/s"),
        ("lookup", "lookup by path", "keys/s"),
        ("hash_lookup", "lookup by hash", "keys/s"),
    ):
        p = r[key]
        rows.append(
            [
                name,
                f"{_n(p['batch_ops_s'])} {unit}",
                f"{_n(p['bare_ops_s'])} {unit}" if "bare_ops_s" in p else "",
                _x(p["batch_vs_bare"]) if "batch_vs_bare" in p else "",
                f"{_n(p['sequential_ops_s'])} {unit}",
            ]
        )
    insert, lookup = r["insert"], r["lookup"]
    per_500 = insert["commit_every_500_s"]
    rows.append(
        [
            "insert, committing every 500 rows",
            f"{_n(size / per_500)} rows/s",
            "",
            f"{_x(insert['batch_s'] / per_500)} of one transaction",
            "",
        ]
    )
    if "bare_indexes_after_s" in insert:
        late = insert["bare_indexes_after_s"]
        rows.append(
            [
                "insert: bare COPY with the secondary indexes built after",
                "",
                f"{_n(size / late)} rows/s",
                _x(late / insert["batch_s"]),
                "",
            ]
        )
    if "one_connection_s" in lookup:
        one = lookup["one_connection_s"]
        rows.append(["lookup by path, kept to one connection", f"{_n(size / one)} keys/s"])
        rows[-1] += ["", f"the second connection saves {1 - lookup['batch_s'] / one:.0%}", ""]
    if "gc_on_s" in lookup:
        on = lookup["gc_on_s"]
        rows.append(["lookup by path, garbage collector left on", f"{_n(size / on)} keys/s"])
        rows[-1] += ["", f"the pause saves {1 - lookup['batch_s'] / on:.0%}", ""]
    head = [f"{size:,} rows", "music-tools batch", f"bare {bare}, same run", "ratio"]
    return [
        *table([*head, f"single-row methods ({r['sequential_rows']:,} rows)"], rows),
        *paragraph(f"Batch and bare figures are the best of {r['repeat']} runs."),
    ]


def catalog(r: Result) -> list[str]:
    rows = []
    for mode, name in (
        ("together", "at the same time"),
        ("one_after_the_other", "one after the other"),
    ):
        m = r[mode]
        rates = " + ".join(_n(rate) for rate in m["files_s"])
        rows.append(
            [
                name,
                _s(m["elapsed_s"]),
                rates,
                _n(m["active_rows"]),
                f"{_n(m['groups_across_machines'])} of {_n(m['dupes_groups'])}"
                f" ({_s(m['dupes_s'])})",
            ]
        )
    head = [
        f"two machines, {r['files']:,} files each",
        "elapsed",
        "files/s of each",
        "active rows",
        "`dupes --kinds exact` groups across both machines",
    ]
    return table(head, rows)


def extract(r: Result) -> list[str]:
    rows = []
    for fmt, row in r["formats"].items():
        fell_back = "own reader" if row["fell_back"] is None else f"{row['fell_back']:.0%}"
        rows.append(
            [
                fmt,
                _n(row["ours_files_s"]),
                _n(row["mutagen_path_files_s"]),
                _n(row["bare_mutagen_files_s"]),
                _x(row["ratio"]),
                fell_back,
                f"{row['mean_file_size'] / 1024:,.0f} KiB",
                f"{row['bytes_read_per_file'] / 1024:,.1f} KiB",
            ]
        )
    kind = "realistic " if r.get("realistic") else ""
    head = [
        "format",
        "`extract` files/s",
        "mutagen path files/s",
        "bare `mutagen.File` files/s",
        "ratio to bare",
        "fell back",
        "file size",
        "read per file",
    ]
    lines = table(head, rows)
    large = [
        [
            fmt,
            f"{row['large_file_size'] / 1e6:.1f} MB",
            f"{row['large_file_bytes_read'] / 1024:,.0f} KiB",
        ]
        for fmt, row in r["formats"].items()
        if "large_file_size" in row
    ]
    lines += paragraph(
        f"{r['files_per_format']} {kind}files per format, median of {r['repeat']} passes."
        " From one large file of each format this machine can write, the default path reads:"
    )
    return [*lines, *table(["format", "file", "read from it"], large)]


def index(r: Result) -> list[str]:
    rows = []
    for key in sorted(k for k in r if k.startswith("cold_")):
        c = r[key]
        workers = key.removeprefix("cold_")
        pairs = ", ".join(_x(x) for x in c.get("pair_ratios", ()))
        rows.append(
            [
                f"first index, {workers} worker{'s' if workers != '1' else ''}",
                f"{_n(c['ours_files_s'])} files/s ({_s(c['ours_s'])})",
                f"{_n(c['bare_files_s'])} files/s",
                _x(c["ratio"]),
                pairs,
            ]
        )
    u = r["unchanged_rescan"]
    rows.append(
        [
            "unchanged rescan",
            f"{_n(u['ours_files_s'])} files/s ({_s(u['ours_s'])})",
            f"{_n(u['bare_walk_files_s'])} files/s (`os.scandir` + stat walk)",
            _x(u["ratio"]),
            "",
        ]
    )
    c1 = r["rescan_after_1pct_changed"]
    rows.append(
        [
            "rescan after 1% changed",
            f"{_s(c1['ours_s'])}, {c1['updated']:,} of the {c1['changed']:,} changed files re-read",
            "",
            "",
            "",
        ]
    )
    peak = max(r[k]["peak_rss_mib"] for k in r if k.startswith("cold_"))
    rows.append(["peak RSS of the indexer", f"{peak:.0f} MiB", "", "", ""])
    rows.append(
        [
            "bytes read per file",
            f"{r['bytes_read_per_file'] / 1024:.0f} KiB"
            f" (mean file {r['mean_file_size'] / 1024:.0f} KiB)",
            "",
            "",
            "",
        ]
    )
    head = [f"{r['files']:,} files", "music-tools", "bare baseline, same run", "ratio", "each pair"]
    return table(head, rows)


def scale(r: Result) -> list[str]:
    files = r["files"]
    warm = r["warm"]
    rows = [
        [
            "first index, warm cache",
            f"{_n(warm['ours']['files_per_s'])} files/s ({_s(warm['ours']['elapsed_s'])})",
            f"{_n(files / warm['bare_s'])} files/s (bare pipeline)",
            _x(warm["ratio"]),
        ]
    ]
    if r.get("cold"):
        cold = r["cold"]
        rows.append(
            [
                "first index, cold cache",
                f"{_n(cold['ours']['files_per_s'])} files/s ({_s(cold['ours']['elapsed_s'])})",
                f"{_n(files / cold['bare']['elapsed_s'])} files/s (cold walk + `mutagen.File`)",
                _x(cold["ratio"]),
            ]
        )
    rescan = r["rescan"]
    rows += [
        ["peak memory, all processes", f"{warm['ours']['peak_mib']:.0f} MiB", "", ""],
        ["first progress event", _s(warm["ours"]["first_progress_s"] or 0), "", ""],
        [
            "unchanged rescan",
            f"{_n(rescan['ours']['files_per_s'])} files/s ({_s(rescan['ours']['elapsed_s'])})",
            f"{_n(files / rescan['bare_walk_s'])} files/s (scandir + stat walk)",
            _x(rescan["bare_walk_s"] / rescan["ours"]["elapsed_s"]),
        ],
    ]
    after, back, kill, q = r["after_changes"], r["after_restore"], r["kill_resume"], r["queries"]
    ours = after["ours"]
    rows += [
        [
            f"broken files: {r['broken']:,} recorded, then an unchanged rescan",
            f"{rescan['ours']['known_errors']:,} known, {rescan['ours']['errors']:,} re-read",
            "",
            "",
        ],
        [
            f"after {after['changed']:,} rewritten, {after['moved']:,} moved, {after['deleted']:,}"
            f" deleted, {after['broken_rewritten']:,} broken rewritten",
            f"{_s(ours['elapsed_s'])}: {ours['updated']:,} updated, {ours['moved']:,} moved,"
            f" {ours['missing']:,} missing, {ours['new']:,} new;"
            f" errors re-read: {ours['errors']:,}",
            "",
            "",
        ],
        [
            f"the {back['restored']:,} deleted files back unchanged",
            f"{_s(back['ours']['elapsed_s'])}: {back['ours']['reactivated']:,} re-activated,"
            f" {back['ours']['new']:,} new",
            "",
            "",
        ],
        [
            f"an index killed with SIGKILL {kill['killed_after_s']:.1f} s in, then run again",
            f"{kill['committed']:,} rows committed; the next run read {kill['resumed']['new']:,}"
            f" more, {kill['rows']:,} rows",
            "",
            "",
        ],
        ["database size", f"{r['db_bytes_per_row']:.0f} bytes a row", "", ""],
        ["`stats` / `search artist:7 song`", f"{_s(q['stats_s'])} / {_s(q['search_s'])}", "", ""],
        [
            "`find_duplicates` same_song / fuzzy",
            f"{_s(q['same_song_s'])} ({q['same_song_groups']:,} groups) /"
            f" {_s(q['fuzzy_s'])} ({q['fuzzy_groups']:,} groups)",
            "",
            "",
        ],
    ]
    head = [
        f"{files:,} files, {r['workers']} workers",
        "music-tools",
        "bare baseline, same run",
        "ratio",
    ]
    lines = table(head, rows)
    if not r.get("cold"):
        lines += paragraph("The cold-cache passes were not run (`--warm-only`).")
    return lines
