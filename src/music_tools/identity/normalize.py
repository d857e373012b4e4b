"""Artist and title normalization, and the metadata key: same song, any encoding.

Two tag sets name the same recording when their normalized artist and title agree:
Unicode NFKC, case-folded, accents folded on Latin, Greek and Cyrillic letters (CJK and
other scripts kept as they are), apostrophes dropped, other punctuation and spacing
collapsed, "&" and "and" dropped as connectors (so "A & B", "A and B" and our own "A; B"
agree), a leading "The" ignored, featured artists removed from both fields, and
remaster/edition noise dropped. Words that mean a different recording stay: live, remix,
acoustic, instrumental, demo, radio edit, extended, unplugged, and the like.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import PurePath

import xxhash

from ..util import fold_text

__all__ = [
    "NORMALIZATION_VERSION",
    "metadata_hash",
    "normalize_artist",
    "normalize_title",
    "tags_from_stem",
]

#: The rules' version, stored beside every metadata_hash: when the rules change, bump it,
#: and keys made under older rules are recomputed from the stored artist and title
#: (`index.refresh_metadata_keys`). 1: the first rules (NULL in the store); 2: "feat.",
#: "ft.", "featuring" and "(with ...)" dropped in any letter case.
NORMALIZATION_VERSION = 2

_NOISE = re.compile(
    r"^\W*(\d{4}\s+)?((digital(ly)?\s+)?re-?master(ed)?(\s+(version|edition))?|"
    r"(super\s+)?deluxe(\s+(edition|version))?|expanded(\s+edition)?|special\s+edition|"
    r"(\d+\w*\s+)?anniversary(\s+(edition|version|remaster))?|bonus(\s+track)?|"
    r"album\s+version|lp\s+version|original\s+album\s+version|explicit|clean|"
    r"from\s+.+(soundtrack|motion\s+picture).*)(\s+\d{4})?(\s+(version|edition))?\W*$"
)
_FEAT = re.compile(
    r"\s*[\(\[]\s*(feat|ft|featuring|with)\b\.?[^\)\]]*[\)\]]"
    r"|\s(feat|ft|featuring)\b\.?\s[^\(\[]*",
    re.IGNORECASE,
)
_GROUP = re.compile(r"\s*[\(\[]([^\(\)\[\]]*)[\)\]]")
_DASH_SUFFIX = re.compile(r"\s+[-\u2013\u2014]\s+(.*)$")
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NON_WORD = re.compile(r"[\W_]+")
_CONNECTORS = re.compile(r"(?:^| )(?:and|&)(?= |$)")
_LEADING_THE = re.compile(r"^the ")
_TRACK_PREFIX = re.compile(r"^\s*(\d{1,3}[\s._-]+|[a-d]\d{1,2}[\s._-]+)(-\s*)?", re.IGNORECASE)


def _clean(text: str) -> str:
    """Case, accents, apostrophes, punctuation, connectors, spacing, a leading "the"."""
    text = fold_text(text)  # as search folds it
    text = _APOSTROPHES.sub("", text)
    text = _NON_WORD.sub(" ", text).strip()
    text = _CONNECTORS.sub("", text).strip()
    text = _LEADING_THE.sub("", text)
    return " ".join(text.split())


def _drop_noise(text: str) -> str:
    """Remove bracketed or dash-suffixed notes that are only remaster/edition noise."""

    def group(match: re.Match[str]) -> str:
        return "" if _NOISE.match(match.group(1).casefold()) else match.group(0)

    text = _GROUP.sub(group, text)
    suffix = _DASH_SUFFIX.search(text)
    if suffix and _NOISE.match(suffix.group(1).casefold()):
        text = text[: suffix.start()]
    return text


def normalize_title(title: str) -> str:
    if _PLAIN_TITLE.match(title):
        plain = _plain_title(title)
        if plain is not None:
            return plain
    return _normalize_title(title)


def _normalize_title(title: str) -> str:
    return _clean(_drop_noise(_FEAT.sub("", unicodedata.normalize("NFKC", title))))


#: ASCII letters and digits in words one space apart: most titles, and the rules above
#: leave such a title's words as they are but for case, "and" and a leading "the". Kept
#: because skipping the regexes saves over 3% of extract's time (docs/benchmarks.md).
_PLAIN_TITLE = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*\Z")


def _plain_title(title: str) -> str | None:
    """`_normalize_title` of a title `_PLAIN_TITLE` matches, without its regexes (None when a
    featured artist is named: the full rules drop it)."""
    words = title.lower().split(" ")
    if "feat" in words or "ft" in words or "featuring" in words:
        return None
    if "and" in words:
        words = [word for word in words if word != "and"]
    if len(words) > 1 and words[0] == "the":
        del words[0]
    return " ".join(words)


@lru_cache(maxsize=4096)  # a library names each artist on many files, in walk order
def normalize_artist(artist: str) -> str:
    return _clean(_FEAT.sub("", unicodedata.normalize("NFKC", artist)))


def tags_from_stem(path: str) -> tuple[str, str]:
    """(artist, title) guessed from a file name: "01 - Artist - Title.mp3" and the like."""
    stem = _TRACK_PREFIX.sub("", PurePath(path).stem)
    artist, sep, title = stem.partition(" - ")
    return (artist, title) if sep and title else ("", stem)


def metadata_hash(artist: str | None, title: str | None, path: str | None = None) -> str:
    """xxh3-128 of the normalized artist and title (or of the file name when both are empty)."""
    if not (artist or title) and path:
        artist, title = tags_from_stem(path)
    key = f"{normalize_artist(artist or '')}\x1f{normalize_title(title or '')}"
    return xxhash.xxh3_128_hexdigest(key.encode("utf-8", "surrogatepass"))
