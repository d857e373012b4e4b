"""One pair of files: which kind of duplicate they are, if any, strongest kind first.

Each step runs only when the cheaper one before it could not decide: the audio key (read
at indexing) before the full hashes (read now, only for files whose keys agree), tags
before string similarity.
"""

from __future__ import annotations

from dataclasses import replace

from ..identity.fingerprint import confidence as fingerprint_confidence
from ..models import LibraryFile
from .hashes import HashCache
from .model import Basis, Evidence, Match, Miss
from .prints import FingerprintCache
from .rules import durations_agree, names_a_song, similarity

__all__ = ["compare"]


def compare(
    new: LibraryFile,
    old: LibraryFile,
    cache: HashCache,
    fuzzy: bool = True,
    prints: FingerprintCache | None = None,
) -> tuple[Match | None, Evidence | None]:
    """(the match, or None; and when None, why a near miss is not one, or None).

    `fuzzy=False` stops after the key-based kinds. With `prints`, a same-song or fuzzy
    match whose lengths agree is confirmed or rejected by the fingerprints, when both have
    one; a fuzzy match without them is reported unconfirmed."""
    if new.audio_key and new.audio_key == old.audio_key:
        match = _same_audio(new, old, cache)
        if match is not None:
            return match, None
    by_tags = bool(
        new.metadata_hash and new.metadata_hash == old.metadata_hash and names_a_song(new)
    )
    by_mbid = bool(
        new.musicbrainz_recording_id
        and new.musicbrainz_recording_id == old.musicbrainz_recording_id
    )
    if by_tags or by_mbid:
        return _same_song(new, old, by_tags, by_mbid, prints)
    score = similarity(new, old) if fuzzy else 0.0
    if not score:
        return None, None
    if not durations_agree(new, old):
        return None, _evidence("names", new, old, miss="lengths")
    return _fuzzy(new, old, score, prints)


def _evidence(
    basis: Basis,
    new: LibraryFile,
    old: LibraryFile,
    *,
    similarity: float | None = None,
    bit_error_rate: float | None = None,
    miss: Miss | None = None,
) -> Evidence:
    """What the pair shows: the basis, the other file and both lengths, and the figures."""
    return Evidence(
        basis,
        old.file_path,
        new.duration,
        old.duration,
        similarity=similarity,
        bit_error_rate=bit_error_rate,
        miss=miss,
    )


def _fuzzy(
    new: LibraryFile, old: LibraryFile, score: float, prints: FingerprintCache | None
) -> tuple[Match | None, Evidence | None]:
    """Names alike and lengths that agree: the fingerprints decide, when both files have
    one ("Wildflower" and "Wildflowers" are two songs); without, the match is unconfirmed."""
    confidence = round(0.8 * score, 3)
    alignment = prints.compare(new, old) if prints is not None else None
    if alignment is None:
        evidence = _evidence("names", new, old, similarity=score)
        return Match(old, "fuzzy", confidence, evidence, False), None
    heard = _evidence("names", new, old, similarity=score, bit_error_rate=alignment.ber)
    if not alignment.matches:
        return None, replace(heard, miss="another_recording")
    confidence = max(confidence, fingerprint_confidence(alignment))
    return Match(old, "fuzzy", confidence, heard), None


def _same_audio(new: LibraryFile, old: LibraryFile, cache: HashCache) -> Match | None:
    """Exact or same_audio once the full hashes confirm what the audio keys suggest.

    Same size: the file hashes decide whether they are byte copies. Otherwise (or when they
    are not), the audio hashes decide; a FLAC STREAMINFO MD5 is a hash of the decoded audio
    and confirms same_audio by itself, without reading anything."""
    if new.file_size == old.file_size:
        new_content, old_content = cache.content(new), cache.content(old)
        if new_content is not None and new_content == old_content:
            return Match(old, "exact", 1.0, _evidence("same_bytes", new, old))
    if (new.audio_key or "").startswith("md5:"):
        return Match(old, "same_audio", 0.99, _evidence("flac_md5", new, old))
    new_audio, old_audio = cache.audio(new), cache.audio(old)
    if new_audio is not None and old_audio is not None:
        if new_audio == old_audio:
            return Match(old, "same_audio", 0.99, _evidence("audio_hash", new, old))
        return None  # the keys collided on head and tail; the middle differs
    return Match(old, "same_audio", 0.9, _evidence("audio_key", new, old))


def _same_song(
    new: LibraryFile,
    old: LibraryFile,
    by_tags: bool,
    by_mbid: bool,
    prints: FingerprintCache | None = None,
) -> tuple[Match | None, Evidence | None]:
    basis: Basis = "tags" if by_tags else "musicbrainz"
    agree = durations_agree(new, old)
    if agree is False:
        return None, _evidence(basis, new, old, miss="lengths")
    confidence = 0.95 if by_tags and by_mbid else 0.9
    if agree is None:
        confidence -= 0.2
    alignment = prints.compare(new, old) if prints is not None and agree else None
    if alignment is None:
        return Match(old, "same_song", confidence, _evidence(basis, new, old)), None
    heard = _evidence(basis, new, old, bit_error_rate=alignment.ber)
    if not alignment.matches:
        return None, replace(heard, miss="another_recording")
    confidence = max(confidence, fingerprint_confidence(alignment))
    return Match(old, "same_song", confidence, heard), None
