"""The judgement calls, in one place: duration tolerance, the quality verdict, and when two
different tag sets are similar enough to be the same song.

Duration tolerance: the same PCM encoded twice comes out a few dozen milliseconds apart.
An MP3 encoder adds 576 samples of delay plus the decoder's 529, and pads the last frame
with up to 1,151 samples (about 51 ms at 44.1 kHz); AAC adds 2,112 samples of priming and
pads to 1,024 (about 71 ms); Opus has a 312-sample pre-skip at 48 kHz. A player or tagger
that ignores the gapless headers reports those samples as length, and a VBR MP3 without a
Xing header has its length estimated from the first frame's bitrate, which can be off by
a percent or more. Hence max(1 s, 1% of the longer file). Different versions of a song
are further apart: a radio edit cuts 10-40%, an extended mix adds minutes, and a live take
rarely lands within a second of the studio one; when it does, only an acoustic
fingerprint can tell them apart (see `compare._same_song` and `identity/fingerprint.py`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from ..identity.normalize import normalize_artist, normalize_title, tags_from_stem
from ..models import LibraryFile
from ..quality.sources import bitrate_for_lowpass
from .model import Quality

__all__ = [
    "Effective",
    "aligned_durations_agree",
    "describe",
    "durations_agree",
    "effective",
    "has_copy_marker",
    "names_a_song",
    "quality_rank",
    "quality_verdict",
    "same_version",
    "similarity",
    "tolerance",
    "version_words",
]

MIN_TOLERANCE_S = 1.0
RELATIVE_TOLERANCE = 0.01
ARTIST_SIMILARITY = 0.85
TITLE_SIMILARITY = 0.85
_NUMBERS = re.compile(r"\b(?:\d+|[ivx]+)\b")  # also roman: "Part I" and "Part II"
#: what rippers write when a disc lookup failed ("Unknown Artist", "Track 01"): no song
_PLACEHOLDER_ARTISTS = frozenset({"unknown", "unknown artist", "no artist"})
_PLACEHOLDER_TITLE = re.compile(r"(?:audio ?track|track|piste|titel|titre) ?\d+")
_LOWEST_RATE = 44_100  # the rate an upsampled file was made at, where the verdict names none
_KBPS = re.compile(r"(\d+)(?:-\d+)? kbps")
_BITRATE_SLACK = 0.05  # VBR averages of the same setting wander by a few percent
_VERSION_WORDS = re.compile(
    r"\b(live|remix|mix|edit|extended|acoustic|instrumental|demo|unplugged|version|"
    r"dub|karaoke|reprise|session|take|rehearsal|mono|stereo)\b"
)

#: what file managers add to a copy's name: "x (copy)", "x - Copy", "x - Copy (2)", "Copy of
#: x", "x copy 2" (macOS), "x (1)", "x(2)" (browsers); a year in brackets is no marker
_COPY_MARKER = re.compile(r"^copy of\b|(?:^|[\s_(-])copy(?: \d+)?\)?$|\(\d{1,2}\)$", re.IGNORECASE)


def tolerance(a: float, b: float) -> float:
    return max(MIN_TOLERANCE_S, RELATIVE_TOLERANCE * max(a, b))


def durations_agree(a: LibraryFile, b: LibraryFile) -> bool | None:
    """True or False; None when either length is unknown."""
    if not a.duration or not b.duration:
        return None
    return abs(a.duration - b.duration) <= tolerance(a.duration, b.duration)


def aligned_durations_agree(a: LibraryFile, b: LibraryFile, offset_s: float) -> bool | None:
    """As durations_agree, for two files whose audio aligns with b's starting `offset_s`
    later than a's (leading silence added, or the first second cut): whether the audio
    ends at about the same place. An edit or an extended mix does not."""
    if not a.duration or not b.duration:
        return None
    end = b.duration - offset_s
    return abs(end - a.duration) <= tolerance(a.duration, end)


def version_words(file: LibraryFile) -> frozenset[str] | None:
    """The version words ("live", "remix", "edit"...) of the file's title tag; None when it
    has no title (an untagged file says nothing about its version)."""
    if not file.title:
        return None
    return _normalized(file.artist or "", file.title)[2][0]


def same_version(a: LibraryFile, b: LibraryFile) -> bool:
    """False only when both files have titles and these name different versions."""
    words_a, words_b = version_words(a), version_words(b)
    return words_a is None or words_b is None or words_a == words_b


def has_copy_marker(path: str) -> bool:
    """Whether the file's name says it is a copy of another (see `_COPY_MARKER`)."""
    stem = os.path.splitext(os.path.basename(path))[0].strip()
    return _COPY_MARKER.search(stem) is not None


@lru_cache(maxsize=262_144)
def _normalized(artist: str, title: str) -> tuple[str, str, tuple[frozenset[str], list[str]]]:
    clean_title = normalize_title(title)
    marks = (frozenset(_VERSION_WORDS.findall(clean_title)), _NUMBERS.findall(clean_title))
    return normalize_artist(artist), clean_title, marks


def normalized_names(artist: str, title: str) -> tuple[str, str, tuple[frozenset[str], list[str]]]:
    """(artist, title, (version words, numbers)) as `similarity` compares them."""
    return _normalized(artist, title)


def names_a_song(file: LibraryFile) -> bool:
    """Whether the file's artist and title (its tags, or its file name when it has none)
    say which song it is. "Track 01.wav", "01.mp3" or "Unknown Artist - Track 1" do not:
    every untagged rip has such names, so matching them pairs different recordings."""
    artist, title = file.artist, file.title
    if not (artist or title):
        artist, title = tags_from_stem(file.file_path)
    name, song, _ = _normalized(artist or "", title or "")
    return (
        bool(name and song)
        and name not in _PLACEHOLDER_ARTISTS
        and not (_PLACEHOLDER_TITLE.fullmatch(song))
    )


def similarity(a: LibraryFile, b: LibraryFile) -> float:
    """0-1: how alike the normalized artists and titles are (optimal string alignment, so
    a swap of two letters is one edit), 0 when either falls short of its threshold, or
    when the titles differ in a version word ("live", "remix", "edit"...) or a number
    ("Part 1" and "Part 2", "Symphony No. 5" and "No. 6" are different pieces)."""
    if not (a.artist and a.title and b.artist and b.title):
        return 0.0
    if not (names_a_song(a) and names_a_song(b)):
        return 0.0
    artist_a, title_a, marks_a = _normalized(a.artist, a.title)
    artist_b, title_b, marks_b = _normalized(b.artist, b.title)
    if marks_a != marks_b:
        return 0.0
    artist = OSA.normalized_similarity(artist_a, artist_b, score_cutoff=ARTIST_SIMILARITY)
    if not artist:
        return 0.0
    title = OSA.normalized_similarity(title_a, title_b, score_cutoff=TITLE_SIMILARITY)
    return min(artist, title) if title else 0.0


@dataclass(frozen=True, slots=True)
class Effective:
    """A file's quality as its quality verdict says it is: a lossless file made from an MP3
    counts as that MP3 (lossy, at the source's bitrate), an upsampled one at the rate it was
    made at, a padded one at the bits it uses. `fault`: that in words ("" when none)."""

    lossless: bool
    bitrate: int | None
    sample_rate: int | None
    bits: int | None
    fault: str = ""


def effective(file: LibraryFile) -> Effective:
    """The quality `file` really has, from its stored verdict (as it claims, without one)."""
    verdict, rate = file.quality_verdict, file.sample_rate
    if file.is_lossless:
        if verdict == "lossy_source":
            source = file.quality_likely_source or "a lossy file"
            return Effective(False, _source_kbps(file), rate, None, f"made from {source}")
        if verdict == "upsampled":  # its bits are all in use, filled by the resampler
            source_rate = file.quality_source_rate_hz or _LOWEST_RATE
            upsampled = f"upsampled from {source_rate / 1000:g} kHz"
            return Effective(True, None, source_rate, None, upsampled)
        if verdict == "padded" and file.quality_effective_bits:
            used = file.quality_effective_bits
            return Effective(True, None, rate, used, f"padded from {used} bits")
        return Effective(True, None, rate, file.bits_per_sample)
    if verdict == "lossy_source" and file.quality_likely_source and file.bitrate:
        kbps = _source_kbps(file)
        if kbps < file.bitrate:
            fault = f"transcoded from {file.quality_likely_source}"
            return Effective(False, kbps, rate, None, fault)
    return Effective(False, file.bitrate, rate, None)


def _source_kbps(file: LibraryFile) -> int:
    """The bitrate of the lossy source a verdict names ("MP3 96-112 kbps": the lowest);
    from its cut-off where it names none."""
    found = _KBPS.search(file.quality_likely_source or "")
    if found:
        return int(found.group(1))
    return bitrate_for_lowpass(file.quality_cutoff_hz) if file.quality_cutoff_hz else 0


def describe(file: LibraryFile) -> str:
    """The file's quality in words, for a reason: "genuine lossless", "lossless made from
    MP3 128 kbps", "MP3 320 kbps"."""
    real = effective(file)
    if file.is_lossless:
        if real.fault:
            return f"lossless {real.fault}"
        return "genuine lossless" if file.quality_verdict == "genuine" else "lossless"
    name = (file.codec or file.file_format or "lossy").upper()
    text = f"{name} {file.bitrate} kbps" if file.bitrate else name
    return f"{text} {real.fault}" if real.fault else text


def quality_verdict(new: LibraryFile, old: LibraryFile) -> tuple[Quality, str]:
    """How `new` compares with `old`, and the deciding property in words.

    Each file counts at its effective quality (`effective`: what its stored quality verdict
    says it is). Lossless beats lossy; two lossless files by sample rate, then bit depth (a
    FLAC's bitrate says how well it compressed, not its quality); two lossy files by
    bitrate (a VBR or ABR file by its average, as the readers report it; within 5% of
    the higher, as a LAME V0 file's ~245 kbps against 256 kbps CBR, the same; the CBR/VBR
    label itself never decides), then sample rate. Where
    a verdict's fault decided, the reason names both files ("genuine lossless over lossless
    made from MP3 128 kbps").
    """
    if new.is_lossless is None or old.is_lossless is None:
        return "unknown", "format not known"
    mine, theirs = effective(new), effective(old)
    quality, reason = _compare(mine, theirs)
    if quality in ("better", "worse") and (mine.fault or theirs.fault):
        winner, loser = (new, old) if quality == "better" else (old, new)
        reason = f"{describe(winner)} over {describe(loser)}"
    return quality, reason


def _compare(new: Effective, old: Effective) -> tuple[Quality, str]:
    if new.lossless != old.lossless:
        return ("better" if new.lossless else "worse"), "lossless over lossy"
    if new.lossless:
        steps = [
            ("sample rate", new.sample_rate, old.sample_rate, 0.0),
            ("bit depth", new.bits, old.bits, 0.0),
        ]
    else:
        steps = [
            ("bitrate", new.bitrate, old.bitrate, _BITRATE_SLACK),
            ("sample rate", new.sample_rate, old.sample_rate, 0.0),
        ]
    for primary, (name, mine, theirs, slack) in enumerate(steps, start=1):
        if mine is None or theirs is None:
            if primary == 1:
                return "unknown", f"{name} not known"
            continue
        if abs(mine - theirs) > slack * max(mine, theirs):
            return ("better" if mine > theirs else "worse"), f"higher {name}"
    if new.lossless and bool(new.fault) != bool(old.fault):  # equal but for a proven fault
        return ("worse" if new.fault else "better"), "genuine lossless"
    return "same", "same quality"


def quality_rank(file: LibraryFile) -> tuple[int, int, int, int]:
    """A sort key, higher is better, consistent with quality_verdict for the keeper (each
    file at its effective quality)."""
    real = effective(file)
    rate = real.sample_rate or 0
    if real.lossless:
        return (1, rate, real.bits or 0, 0 if real.fault else 1)
    return (0, real.bitrate or 0, rate, 0)
