"""Which parser a file wants: by extension, and by the magic bytes at its start.

A *kind* names one parser (one mutagen class, or our own fast path): "mp3", "flac",
"vorbis", "opus", ... The scan uses the extensions alone; reading confirms with the bytes.
"""

from __future__ import annotations

from .asf import ASF_HEADER_GUID
from .ogg import pages as ogg_pages

__all__ = ["AUDIO_EXTENSIONS", "EXTENSION_KINDS", "sniff"]

_OGG = ("vorbis", "opus", "oggflac", "speex")
_MP4 = ("m4a",)
#: extension -> the kinds a file so named usually is, most likely first
EXTENSION_KINDS: dict[str, tuple[str, ...]] = {
    ".mp3": ("mp3",),
    ".mp2": ("mp3",),
    ".flac": ("flac",),
    ".ogg": _OGG,
    ".oga": _OGG,
    ".opus": ("opus",),
    ".spx": ("speex",),
    ".m4a": _MP4,
    ".m4b": _MP4,
    ".m4p": _MP4,
    ".mp4": _MP4,
    ".alac": _MP4,
    ".aac": ("aac", "m4a"),
    ".wav": ("wav",),
    ".aif": ("aiff",),
    ".aiff": ("aiff",),
    ".aifc": ("aiff",),
    ".wma": ("wma",),
    ".asf": ("wma",),
    ".ape": ("ape",),
    ".wv": ("wv",),
    ".mpc": ("mpc",),
    ".mp+": ("mpc",),
    ".dsf": ("dsf",),
    ".dff": ("dff",),
    ".tta": ("tta",),
    ".ofr": ("ofr",),
    ".ofs": ("ofr",),
    ".tak": ("tak",),
    ".ac3": ("ac3",),
    ".eac3": ("ac3",),
}
AUDIO_EXTENSIONS = frozenset(EXTENSION_KINDS)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"fLaC", "flac"),
    (b"MAC ", "ape"),
    (b"wvpk", "wv"),
    (b"MPCK", "mpc"),
    (b"MP+", "mpc"),
    (b"DSD ", "dsf"),
    (b"FRM8", "dff"),
    (b"TTA1", "tta"),
    (b"OFR ", "ofr"),
    (b"tBaK", "tak"),
    (ASF_HEADER_GUID, "wma"),
)


def sniff(head: bytes) -> str | None:
    """The kind the file's first bytes name, if they name one unambiguously.

    Cheaper than mutagen's scoring of every class, and right even for a misnamed file.
    """
    if head.startswith(b"OggS"):
        codec = ogg_pages.codec(ogg_pages.first_packet(head))
        return codec[0] if codec else None
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
