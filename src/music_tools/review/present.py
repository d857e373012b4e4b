"""Groups and files as the page reads them (plain dicts for JSON), and the media type a
browser is asked to play for each format."""

from __future__ import annotations

import os
from typing import Any

from ..dupes.actions import Outcome
from ..models import LibraryFile
from ..util import printable_path
from .keepers import verdict_of
from .session import ReviewGroup, ReviewSession

__all__ = ["file_record", "group_record", "media_types", "outcome_record"]

#: file_format -> (Content-Type served, the type the page asks `canPlayType` about)
_MEDIA: dict[str, tuple[str, str]] = {
    "mp3": ("audio/mpeg", "audio/mpeg"),
    "flac": ("audio/flac", "audio/flac"),
    "ogg": ("audio/ogg", 'audio/ogg; codecs="vorbis"'),
    "opus": ("audio/ogg", 'audio/ogg; codecs="opus"'),
    "m4a": ("audio/mp4", 'audio/mp4; codecs="mp4a.40.2"'),
    "aac": ("audio/aac", "audio/aac"),
    "wav": ("audio/wav", 'audio/wav; codecs="1"'),
    "aiff": ("audio/aiff", "audio/aiff"),
    "wma": ("audio/x-ms-wma", "audio/x-ms-wma"),
    "ape": ("audio/x-ape", "audio/x-ape"),
    "wv": ("audio/x-wavpack", "audio/x-wavpack"),
    "mpc": ("audio/x-musepack", "audio/x-musepack"),
    "dsf": ("audio/x-dsf", "audio/x-dsf"),
    "dff": ("audio/x-dff", "audio/x-dff"),
    "tta": ("audio/x-tta", "audio/x-tta"),
    "ac3": ("audio/ac3", "audio/ac3"),
}
#: (file_format, codec) whose codec the format's row above does not name
_BY_CODEC: dict[tuple[str, str], str] = {
    ("ogg", "flac"): 'audio/ogg; codecs="flac"',
    ("m4a", "alac"): 'audio/mp4; codecs="alac"',
}


def media_types(file: LibraryFile) -> tuple[str, str]:
    """(the Content-Type to serve the file with, the type a browser is asked about)."""
    served, asked = _MEDIA.get(file.file_format or "", ("application/octet-stream", ""))
    return served, _BY_CODEC.get((file.file_format or "", file.codec or ""), asked)


def file_record(file: LibraryFile) -> dict[str, Any]:
    path = printable_path(file.file_path)
    return {
        "id": file.id,
        "artist": file.artist,
        "title": file.title,
        "album": file.album,
        "album_artist": file.album_artist,
        "track": file.track_number,
        "year": file.year,
        "format": file.file_format,
        "codec": file.codec,
        "mode": file.bitrate_mode,
        "bitrate": file.bitrate,
        "sample_rate": file.sample_rate,
        "bits": file.bits_per_sample,
        "channels": file.channels,
        "duration": file.duration,
        "size": file.file_size,
        "lossless": file.is_lossless,
        "verdict": verdict_of(file),
        "path": path,
        "name": os.path.basename(path),
        "folder": os.path.dirname(path),
        "machine": file.machine,
        "media_type": media_types(file)[1],
    }


def group_record(session: ReviewSession, group: ReviewGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "kind": group.kind,
        "keeper": group.keeper.id,
        "marked": group.marked,
        "applied": group.applied,
        "not_best": session.not_best(group),
        "files": [file_record(f) for f in group.files],
    }


def outcome_record(outcome: Outcome) -> dict[str, Any]:
    action = outcome.action
    return {
        "status": outcome.status,
        "op": action.op,
        "path": printable_path(action.path),
        "target": printable_path(outcome.target) if outcome.target else None,
        "keep": printable_path(action.keep),
        "reason": outcome.reason,
    }
