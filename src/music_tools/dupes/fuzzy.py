"""The fuzzy pairs of one blocking bucket, without comparing every pair of its rows.

A fuzzy pair needs (rules.py) alike artists and titles, different metadata hashes, and both
lengths known and within `tolerance` of each other. Comparing every row with every later
one made a bucket of n rows cost n*n/2 comparisons: thousands of rows share a bucket in a
real library ("Unknown Artist - Track NN" kinds of names, a prolific artist's "So..." titles)
and a tree of copies puts whole libraries in one. Two facts cut that without changing the
answer:

- the likeness depends only on the normalized artist and title (and the version words and
  numbers they carry), so rows with the same normalized names are compared once, as a name;
- lengths must agree, so names are sorted by their shortest length and each is compared only
  with those whose shortest length lies within reach of its longest (`_reach`, a bound a
  little above `tolerance`, which decides each pair of rows exactly).

The pairs come out in the order the pairwise loop gave them (by the first row's place in
the bucket, then by title likeness, best first, then by the second row's place), so the
groups joined from them are the same.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from operator import attrgetter

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..models import LibraryFile
from .rules import (
    ARTIST_SIMILARITY,
    MIN_TOLERANCE_S,
    RELATIVE_TOLERANCE,
    TITLE_SIMILARITY,
    durations_agree,
    names_a_song,
    normalized_names,
)

__all__ = ["fuzzy_pairs"]


@dataclass(slots=True)
class _Name:
    """One normalized (artist, title, version marks) of a bucket and the rows that carry it."""

    artist: str
    title: str
    marks: tuple[frozenset[str], tuple[str, ...]]
    rows: list[tuple[int, LibraryFile]]
    shortest: float
    longest: float


def fuzzy_pairs(block: list[LibraryFile]) -> list[tuple[LibraryFile, LibraryFile]]:
    """The pairs of `block` whose names are alike, metadata hashes differ and lengths agree."""
    ordered = sorted(_names(block), key=attrgetter("shortest"))
    starts = [name.shortest for name in ordered]
    found: list[tuple[int, float, int, LibraryFile, LibraryFile]] = []
    for at, name in enumerate(ordered):
        if len(name.rows) > 1:
            found += _row_pairs(name, name, 1.0)
        end = bisect_right(starts, _reach(name.longest), lo=at + 1)
        if end == at + 1:
            continue
        window = ordered[at + 1 : end]
        for _, score, j in process.extract(
            name.title,
            [other.title for other in window],
            scorer=OSA.normalized_similarity,
            score_cutoff=TITLE_SIMILARITY,
            limit=None,
        ):
            other = window[j]
            if other.marks == name.marks and OSA.normalized_similarity(
                name.artist, other.artist, score_cutoff=ARTIST_SIMILARITY
            ):
                found += _row_pairs(name, other, score)
    found.sort(key=lambda pair: (pair[0], -pair[1], pair[2]))
    return [(first, second) for _, _, _, first, second in found]


def _names(block: list[LibraryFile]) -> Iterable[_Name]:
    """The bucket's rows that can be in a fuzzy pair (named, with a length), by name."""
    names: dict[tuple[str, str, Hashable], _Name] = {}
    for place, file in enumerate(block):
        duration = file.duration
        if not (duration and file.artist and file.title and names_a_song(file)):
            continue
        artist, title, (words, numbers) = normalized_names(file.artist, file.title)
        marks = (words, tuple(numbers))
        name = names.get((artist, title, marks))
        if name is None:
            names[(artist, title, marks)] = _Name(
                artist, title, marks, [(place, file)], duration, duration
            )
        else:
            name.rows.append((place, file))
            name.shortest = min(name.shortest, duration)
            name.longest = max(name.longest, duration)
    return names.values()


def _row_pairs(
    a: _Name, b: _Name, score: float
) -> list[tuple[int, float, int, LibraryFile, LibraryFile]]:
    """The pairs of rows, one from each name (two of one name's when `a is b`), that are
    fuzzy pairs: metadata hashes differ, lengths agree. Earlier row first."""
    pairs = []
    for i, (place_x, x) in enumerate(a.rows):
        for place_y, y in a.rows[i + 1 :] if a is b else b.rows:
            if x.metadata_hash != y.metadata_hash and durations_agree(x, y):
                if place_x < place_y:
                    pairs.append((place_x, score, place_y, x, y))
                else:
                    pairs.append((place_y, score, place_x, y, x))
    return pairs


def _reach(longest: float) -> float:
    """An upper bound on the length of a row that agrees with one of `longest` seconds
    (`tolerance`, solved for the longer length, plus a rounding margin)."""
    return max(longest + MIN_TOLERANCE_S, longest / (1 - RELATIVE_TOLERANCE)) * (1 + 1e-9) + 1e-9
