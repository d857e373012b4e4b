"""One pair of files: which kind of duplicate they are, if any, strongest kind first.

Each step runs only when the cheaper one before it could not decide: the audio key (read
at indexing) before the full hashes (read now, only for files whose keys agree), tags
before string similarity.
"""

from __future__ import annotations

from ..identity.fingerprint import confidence as fingerprint_confidence
from ..models import LibraryFile
from ..util import printable_path
from .hashes import HashCache
from .model import Match
from .prints import FingerprintCache
from .rules import durations_agree, format_duration, names_a_song, similarity

__all__ = ["compare"]


def compare(
    new: LibraryFile,
    old: LibraryFile,
    cache: HashCache,
    fuzzy: bool = True,
    prints: FingerprintCache | None = None,
) -> tuple[Match | None, str]:
    """(the match, or None; and when None, why a near miss is not one, or "").

    `fuzzy=False` stops after the key-based kinds. With `prints`, a same-song or fuzzy
    match whose lengths agree is confirmed or rejected by the fingerprints, when both have
    one; a fuzzy match without them is reported unconfirmed."""
    where = printable_path(old.file_path)
    if new.audio_key and new.audio_key == old.audio_key:
        match = _same_audio(new, old, cache, where)
        if match is not None:
            return match, ""
    by_tags = bool(
        new.metadata_hash and new.metadata_hash == old.metadata_hash and names_a_song(new)
    )
    by_mbid = bool(
        new.musicbrainz_recording_id
        and new.musicbrainz_recording_id == old.musicbrainz_recording_id
    )
    if by_tags or by_mbid:
        return _same_song(new, old, by_tags, by_mbid, where, prints)
    score = similarity(new, old) if fuzzy else 0.0
    if not score:
        return None, ""
    lengths = f"{format_duration(new.duration)} against {format_duration(old.duration)}"
    if not durations_agree(new, old):
        return None, f"similar artist and title to {where}, but {lengths}"
    return _fuzzy(
        new,
        old,
        f"similar artist and title ({score:.0%}) to {where}, {lengths}",
        round(0.8 * score, 3),
        prints,
    )


def _fuzzy(
    new: LibraryFile,
    old: LibraryFile,
    what: str,
    confidence: float,
    prints: FingerprintCache | None,
) -> tuple[Match | None, str]:
    """Names alike and lengths that agree: the fingerprints decide, when both files have
    one ("Wildflower" and "Wildflowers" are two songs); without, the match is unconfirmed."""
    alignment = prints.compare(new, old) if prints is not None else None
    if alignment is None:
        return Match(old, "fuzzy", confidence, f"{what}, not confirmed by fingerprint", False), ""
    if not alignment.matches:
        heard = f"{alignment.ber:.0%} of fingerprint bits differ"
        return None, f"{what}, but another recording ({heard})"
    confidence = max(confidence, fingerprint_confidence(alignment))
    reason = f"{what}, fingerprints agree ({alignment.ber:.0%} of bits differ)"
    return Match(old, "fuzzy", confidence, reason), ""


def _same_audio(new: LibraryFile, old: LibraryFile, cache: HashCache, where: str) -> Match | None:
    """Exact or same_audio once the full hashes confirm what the audio keys suggest.

    Same size: the file hashes decide whether they are byte copies. Otherwise (or when they
    are not), the audio hashes decide; a FLAC STREAMINFO MD5 is a hash of the decoded audio
    and confirms same_audio by itself, without reading anything."""
    if new.file_size == old.file_size:
        new_content, old_content = cache.content(new), cache.content(old)
        if new_content is not None and new_content == old_content:
            return Match(old, "exact", 1.0, f"same bytes as {where}")
    if (new.audio_key or "").startswith("md5:"):
        return Match(old, "same_audio", 0.99, f"same decoded audio (FLAC MD5) as {where}")
    new_audio, old_audio = cache.audio(new), cache.audio(old)
    if new_audio is not None and old_audio is not None:
        if new_audio == old_audio:
            return Match(old, "same_audio", 0.99, f"same audio as {where}, other tags")
        return None  # the keys collided on head and tail; the middle differs
    reason = f"same audio key as {where} (not confirmed: a file changed or is gone)"
    return Match(old, "same_audio", 0.9, reason)


def _same_song(
    new: LibraryFile,
    old: LibraryFile,
    by_tags: bool,
    by_mbid: bool,
    where: str,
    prints: FingerprintCache | None = None,
) -> tuple[Match | None, str]:
    lengths = f"{format_duration(new.duration)} against {format_duration(old.duration)}"
    what = "same artist and title" if by_tags else "same MusicBrainz recording"
    agree = durations_agree(new, old)
    if agree is False:
        return None, f"{what} as {where}, but {lengths}"
    confidence = 0.95 if by_tags and by_mbid else 0.9
    if agree is None:
        confidence -= 0.2
        lengths = "a length unknown"
    form = f"{old.file_format or '?'} {old.bitrate or '?'} kbps"
    alignment = prints.compare(new, old) if prints is not None and agree else None
    if alignment is not None:
        if not alignment.matches:
            heard = f"{alignment.ber:.0%} of fingerprint bits differ"
            return None, f"{what} as {where}, {lengths}, but another recording ({heard})"
        confidence = max(confidence, fingerprint_confidence(alignment))
        lengths += f", fingerprints agree ({alignment.ber:.0%} of bits differ)"
    return Match(old, "same_song", confidence, f"{what} as {where} ({form}), {lengths}"), ""
