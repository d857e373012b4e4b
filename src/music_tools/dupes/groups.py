"""find_duplicates: groups of library files that are the same thing, with a keeper each.

The SQL does the narrowing: a GROUP BY over each indexed key (audio_key, metadata_hash,
MusicBrainz id, fuzzy block) yields only rows that share a key with another. Python then
confirms (full hashes for audio-key groups, durations for same-song groups, string
similarity inside fuzzy blocks) and joins the confirmed pairs into groups, strongest kind
first, so a group's kind is the weakest link that was needed to join it.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import pairwise

from ..identity.fpcalc import DEFAULT_FPCALC, Fpcalc
from ..identity.fpcalc_output import FingerprintOutcome
from ..models import LibraryFile
from ..store import LibraryDatabase
from ..util import StrPath, path_list
from .fuzzy import fuzzy_pairs
from .hashes import HashCache
from .joining import Edge, Joined, Pairs, join
from .keepers import KeeperRule, best_copies, by_quality, choose_keeper, keeper_rules
from .model import KINDS, DuplicateGroup, GroupMember, MatchKind, chosen_kinds
from .prints import FingerprintCache
from .recording import recording_edges
from .rules import durations_agree, names_a_song
from .verdicts import OnAnalysed, VerdictCache

__all__ = ["find_duplicates"]


def find_duplicates(
    db: LibraryDatabase,
    kinds: MatchKind | Iterable[MatchKind] = KINDS,
    roots: StrPath | Iterable[StrPath] = (),
    on_fingerprint_failure: Callable[[FingerprintOutcome], None] | None = None,
    *,
    fpcalc: Fpcalc = DEFAULT_FPCALC,
    on_analysed: OnAnalysed | None = None,
) -> Iterator[DuplicateGroup]:
    """Groups of duplicates among the active rows, of the `kinds` asked for (one, or
    several: a kind that is not one is a ValueError, raised here); `roots` (one folder, or
    several) are preferred for the keeper, first one first (after quality). Each file
    fpcalc fails on is handed to `on_fingerprint_failure` (it is then grouped by its tags
    alone); `fpcalc` says which fpcalc fingerprints (its program empty: none). The lossless
    members of a group without a current quality verdict are analysed and their verdicts
    stored (see verdicts.py), each handed to `on_analysed`. The groups are found as the
    iterator is first read."""
    wanted = chosen_kinds(kinds)
    preferred = [os.path.abspath(root) for root in path_list(roots)]
    verdicts = VerdictCache(db, on_analysed)
    return _find(db, set(wanted), preferred, on_fingerprint_failure, fpcalc, verdicts)


def _find(
    db: LibraryDatabase,
    wanted: set[str],
    roots: list[str],
    on_fingerprint_failure: Callable[[FingerprintOutcome], None] | None,
    fpcalc: Fpcalc,
    verdicts: VerdictCache,
) -> Iterator[DuplicateGroup]:
    """find_duplicates, its arguments checked: narrow by key, confirm, join, keep."""
    files: dict[int, LibraryFile] = {}
    pairs = Pairs()
    cache = HashCache(db)
    prints = FingerprintCache(db, on_failure=on_fingerprint_failure, fpcalc=fpcalc)
    if wanted & {"exact", "same_audio"}:
        for group in db.matching.groups_by_key("audio_key"):
            pairs.edges += _audio_edges(_register(files, group), cache, wanted)
    if "same_song" in wanted:
        runs: list[list[LibraryFile]] = []
        for key in ("metadata_hash", "musicbrainz_recording_id"):
            for group in db.matching.groups_by_key(key):
                if key == "musicbrainz_recording_id" or names_a_song(group[0]):
                    runs += _song_runs(_register(files, group))
        families = [_families(run) for run in runs]
        prints.prefetch(kin[0] for run in families if len(run) > 1 for kin in run)
        for run in families:
            for recording in _recordings(run, prints):
                pairs.edges += _length_edges(recording)
    if "same_recording" in wanted:
        heard, found, pairs.offsets = recording_edges(db, prints.algorithm)
        _register(files, list(heard.values()))
        pairs.edges += found
    if "fuzzy" in wanted:
        alike = [
            pair
            for group in db.matching.groups_by_key("fuzzy_block")
            for pair in fuzzy_pairs(_register(files, group))
        ]
        _add_heard_fuzzy(pairs, alike, prints)
    cache.flush()
    prints.flush()
    yield from _groups(db, files, pairs, roots, verdicts)


def _register(files: dict[int, LibraryFile], group: list[LibraryFile]) -> list[LibraryFile]:
    """The same row read under several keys becomes one object (hashes cached on it)."""
    return [files.setdefault(f.id or 0, f) for f in group]


def _star(members: Sequence[LibraryFile], kind: MatchKind) -> list[Edge]:
    return [(members[0].id or 0, other.id or 0, kind) for other in members[1:]]


def _audio_edges(group: list[LibraryFile], cache: HashCache, wanted: set[str]) -> list[Edge]:
    """Byte copies (same size and file hash) and same audio (same audio hash, or the same
    FLAC MD5, which needs no reading) within one audio_key group."""
    edges: list[Edge] = []
    if "exact" in wanted:
        for same_size in _partition(group, lambda f: f.file_size):
            if len(same_size) > 1:
                for copies in _partition(same_size, cache.content):
                    edges += _star(copies, "exact")
    if "same_audio" in wanted:
        if (group[0].audio_key or "").startswith("md5:"):
            return edges + _star(group, "same_audio")
        for same in _partition(group, cache.audio):
            edges += _star(same, "same_audio")
    return edges


def _partition(
    files: list[LibraryFile], key: Callable[[LibraryFile], object]
) -> list[list[LibraryFile]]:
    """`files` split by `key`; files whose key is None (unreadable) left out."""
    parts: dict[object, list[LibraryFile]] = defaultdict(list)
    for file in files:
        value = key(file)
        if value is not None:
            parts[value].append(file)
    return list(parts.values())


def _song_runs(group: list[LibraryFile]) -> list[list[LibraryFile]]:
    """Same tags: runs of lengths that each agree with the next one's (by length); two files
    of different runs never agree. Files of unknown length are left out."""
    timed = sorted((f for f in group if f.duration), key=lambda f: f.duration or 0.0)
    runs: list[list[LibraryFile]] = []
    run: list[LibraryFile] = []
    for file in timed:
        if run and not durations_agree(run[-1], file):
            runs.append(run)
            run = []
        run.append(file)
    return [*runs, run] if run else runs


def _families(run: list[LibraryFile]) -> list[list[LibraryFile]]:
    """A run split by audio_key: files with the same audio need one fingerprint between
    them (copies, hard links and re-tagged files are common; fingerprinting each would run
    fpcalc on every copy of a library's duplicates)."""
    by_audio: dict[str, list[LibraryFile]] = {}
    alone: list[list[LibraryFile]] = []
    for file in run:
        if file.audio_key is None:
            alone.append([file])
        else:
            by_audio.setdefault(file.audio_key, []).append(file)
    return [*by_audio.values(), *alone]


def _recordings(run: list[list[LibraryFile]], prints: FingerprintCache) -> list[list[LibraryFile]]:
    """A run of same-tag files (in families of the same audio), split by what the
    fingerprints hear: files whose fingerprints do not match are different recordings and
    never paired. A file without a fingerprint joins the first recording (the tags are all
    there is)."""
    files = [file for kin in run for file in kin]
    if len(run) < 2 or not prints.enabled:
        return [files]
    recordings: list[list[LibraryFile]] = []
    unheard: list[LibraryFile] = []
    for kin in run:
        if prints.get(kin[0]) is None:
            unheard += kin
            continue
        for recording in recordings:
            alignment = prints.compare(recording[0], kin[0])
            if alignment is not None and alignment.matches:
                recording += kin
                break
        else:
            recordings.append(list(kin))
    if not recordings:
        return [unheard]
    recordings[0] += unheard
    return recordings


def _length_edges(recording: list[LibraryFile]) -> list[Edge]:
    """same_song pairs of one recording: each file with the next by length, where the two
    agree. Enough for `_groups`, which joins the closest first and never lets a group
    span lengths that disagree, so a group is a run of neighbours by length."""
    timed = sorted(recording, key=lambda f: f.duration or 0.0)
    return [
        (first.id or 0, second.id or 0, "same_song")
        for first, second in pairwise(timed)
        if durations_agree(first, second) is not False
    ]


def _add_heard_fuzzy(
    pairs: Pairs, alike: list[tuple[LibraryFile, LibraryFile]], prints: FingerprintCache
) -> None:
    """Pairs whose artist and title are alike and lengths agree (see fuzzy.py), heard by
    their fingerprints where fpcalc is installed: a pair whose fingerprints disagree is
    two songs and is dropped; one that has no fingerprints to compare (no fpcalc, a file
    too short or silent) stays, unconfirmed."""
    if prints.enabled:
        prints.prefetch(file for pair in alike for file in pair)
    for first, second in alike:
        alignment = prints.compare(first, second)
        if alignment is not None and not alignment.matches:
            continue
        a, b = first.id or 0, second.id or 0
        pairs.edges.append((a, b, "fuzzy"))
        if alignment is None:
            pairs.unconfirmed.add((min(a, b), max(a, b)))


def _groups(
    db: LibraryDatabase,
    files: dict[int, LibraryFile],
    pairs: Pairs,
    roots: Sequence[str],
    verdicts: VerdictCache,
) -> Iterator[DuplicateGroup]:
    """The pairs joined into groups (see joining.py), their lossless members given a
    quality verdict where they lack one, each group with its keeper (see keepers.py); the
    album counts the keeper rules need are read in one query for all."""
    joined = join(files, pairs)
    members = [([files[n] for n in group], kind) for group, kind in joined.groups]
    for group, _ in members:
        verdicts.judge(group)
    verdicts.flush()
    ranked = [(by_quality(group), kind) for group, kind in members]
    folders = {
        _folder(f) for order, _ in ranked if len(peers := best_copies(order)) > 1 for f in peers
    }
    rules = keeper_rules(roots, db.matching.album_counts(folders) if folders else {})
    for order, kind in ranked:
        yield _with_keeper(order, kind, joined, rules)


def _folder(file: LibraryFile) -> str:
    return file.directory or os.path.dirname(file.file_path)


def _with_keeper(
    ranked: list[LibraryFile], kind: MatchKind, joined: Joined, rules: Sequence[KeeperRule]
) -> DuplicateGroup:
    """The group with its keeper and the reason; each other member with the kind of its
    direct pair with the keeper (the group's kind when it joined through others), and
    whether confirmed pairs link it to the keeper."""
    keeper, reason = choose_keeper(ranked, rules)
    mine = keeper.id or 0
    others = [
        GroupMember(
            f,
            joined.direct.get((min(mine, f.id or 0), max(mine, f.id or 0)), kind),
            joined.confirmed(mine, f.id or 0),
        )
        for f in ranked
        if f is not keeper
    ]
    return DuplicateGroup(kind, keeper, others, reason)
