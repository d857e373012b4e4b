"""One pair of files: which kind of duplicate they are, if any, strongest kind first.

Each step runs only when the cheaper one before it could not decide: the audio key (read
at indexing) before the full hashes (read now, only for files whose keys agree), tags
before string similarity.
"""

from __future__ import annotations

from ..models import LibraryFile
from ..util import printable_path
from .hashes import HashCache
from .model import Match
from .rules import durations_agree, format_duration, similarity

__all__ = ["compare"]


def compare(new: LibraryFile, old: LibraryFile, cache: HashCache) -> tuple[Match | None, str]:
    """(the match, or None; and when None, why a near miss is not one, or "")."""
    where = printable_path(old.file_path)
    if new.audio_key and new.audio_key == old.audio_key:
        match = _same_audio(new, old, cache, where)
        if match is not None:
            return match, ""
    by_tags = bool(new.metadata_hash and new.metadata_hash == old.metadata_hash)
    by_mbid = bool(
        new.musicbrainz_recording_id
        and new.musicbrainz_recording_id == old.musicbrainz_recording_id
    )
    if by_tags or by_mbid:
        return _same_song(new, old, by_tags, by_mbid, where)
    score = similarity(new, old)
    if not score:
        return None, ""
    lengths = f"{format_duration(new.duration)} against {format_duration(old.duration)}"
    if not durations_agree(new, old):
        return None, f"similar artist and title to {where}, but {lengths}"
    reason = f"similar artist and title ({score:.0%}) to {where}, {lengths}"
    return Match(old, "fuzzy", round(0.8 * score, 3), reason), ""


def _same_audio(new: LibraryFile, old: LibraryFile, cache: HashCache, where: str) -> Match | None:
    """Exact or same_audio once the full hashes confirm what the audio keys suggest.

    A FLAC STREAMINFO MD5 is a hash of the decoded audio: it confirms same_audio by
    itself, so such files are read only when their sizes say they may be byte copies."""
    flac_md5 = (new.audio_key or "").startswith("md5:")
    if new.file_size == old.file_size or not flac_md5:
        new_hashes, old_hashes = cache.of(new), cache.of(old)
        if new_hashes is not None and old_hashes is not None:
            if (
                new.file_size == old.file_size
                and new_hashes.file_content_hash == old_hashes.file_content_hash
            ):
                return Match(old, "exact", 1.0, f"same bytes as {where}")
            if not flac_md5:
                if new_hashes.audio_hash and new_hashes.audio_hash == old_hashes.audio_hash:
                    return Match(old, "same_audio", 0.99, f"same audio as {where}, other tags")
                return None  # the keys collided on head and tail; the middle differs
        elif not flac_md5:
            reason = f"same audio key as {where} (not confirmed: a file changed or is gone)"
            return Match(old, "same_audio", 0.9, reason)
    return Match(old, "same_audio", 0.99, f"same decoded audio (FLAC MD5) as {where}")


def _same_song(
    new: LibraryFile, old: LibraryFile, by_tags: bool, by_mbid: bool, where: str
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
    return Match(old, "same_song", confidence, f"{what} as {where} ({form}), {lengths}"), ""
