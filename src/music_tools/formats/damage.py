"""Damaged files, found cheaply: the file's size against the sizes its own headers declare.

A truncated WAV or AIFF declares more audio than it holds, as does an MP4 atom, a WMA data
object or a DSD data chunk that runs past the end of the file; a truncated MP3 keeps the
frame and byte counts of its Xing, Info or VBRI header (so its length and bitrate read as
the whole file's); an Ogg file cut short ends inside its last page; a FLAC file cut short, or
whose STREAMINFO is garbage, is told by `flac_damage`. Such a file is reported as damaged,
never indexed, so it can never be a keeper, an upgrade or a copy the user already has. Each
check reads only headers, nearly all of them bytes the readers and keys read anyway (the
window caches them): a FLAC file's last frame is the one read of its own.
"""

from __future__ import annotations

import struct

from ..util import human_size
from .flac.blocks import flac_blocks
from .flac.damage import flac_damage
from .mp4.atoms import Mp4Layout, top_atoms
from .mpeg_audio import frame_header, smallest_frame, vbr_counts
from .payload import declared_data, id3v2_size, skip_id3v2
from .riff import top_chunks
from .sv8 import replay_gain_fits, stream_header, sv8_int
from .window import FileWindow

__all__ = ["TAG_LIMIT", "damage", "tag_bytes"]

#: Tags (pictures included) larger than this are not read: mutagen would hold them in memory.
TAG_LIMIT = 32 * 1024 * 1024
_OGG_KINDS = frozenset({"vorbis", "opus", "oggflac", "speex"})  # as `sniff` names them


def damage(window: FileWindow, file_format: str) -> str | None:
    """Why the file's audio is incomplete, or None when its headers and size agree."""
    if file_format == "mp3":
        return _mp3_damage(window)
    if file_format == "flac":
        return flac_damage(window, flac_blocks(window))
    if file_format in ("wav", "aiff"):
        return _chunk_damage(window, file_format)
    if file_format == "m4a":
        return _mp4_damage(window, top_atoms(window))
    if file_format in _OGG_KINDS:
        return _ogg_damage(window)
    if file_format in ("wma", "dsf", "dff"):
        return _data_damage(window, file_format)
    if file_format == "mpc":
        return _musepack_damage(window)
    return None


def tag_bytes(window: FileWindow, file_format: str | None) -> int:
    """How many bytes of tags mutagen would read into memory (ID3v2 at the start, FLAC
    metadata blocks, the MP4 `moov` atom)."""
    if file_format == "flac":
        flac = flac_blocks(window)
        if flac is None:
            return _id3v2_end(window)
        return max(flac.start, (flac.frames or window.size) - flac.start)
    size = _id3v2_end(window)
    if file_format == "m4a":
        for kind, start, _, end in top_atoms(window).atoms:
            if kind == b"moov":
                size = max(size, min(end, window.size) - start)
    return size


def _id3v2_end(window: FileWindow) -> int:
    return skip_id3v2(window, 0)


def _chunk_damage(window: FileWindow, file_format: str) -> str | None:
    """A chunk that declares more than the file holds (the audio, or any other chunk a
    parser would read whole), or no audio chunk at all."""
    wanted = b"data" if file_format == "wav" else b"SSND"
    name = file_format.upper()
    found = False
    layout = "<I" if file_format == "wav" else ">I"
    for chunk_id, _, present, size_field in top_chunks(window):
        declared = struct.unpack(layout, size_field)[0]
        if declared > present + 1:  # one pad byte may be missing
            what = "of audio" if chunk_id == wanted else f"in its {_printable(chunk_id)} chunk"
            return (
                f"damaged {name}: {human_size(declared)} {what} declared, "
                f"{human_size(present)} present (truncated?)"
            )
        found = found or chunk_id == wanted
    return None if found else f"damaged {name}: no audio data (truncated?)"


def _printable(chunk_id: bytes) -> str:
    return repr(chunk_id.decode("latin-1"))


def _mp4_damage(window: FileWindow, walked: Mp4Layout) -> str | None:
    for kind, _, _, declared_end in walked.atoms:
        if declared_end > window.size:
            missing = declared_end - window.size
            what = "of audio" if kind == b"mdat" else f"of its '{kind.decode('latin-1')}' atom"
            return f"damaged M4A: {human_size(missing)} {what} missing (truncated?)"
    return None


def _data_damage(window: FileWindow, file_format: str) -> str | None:
    """A WMA data object or a DSD data chunk that declares more than the file holds."""
    data = declared_data(window, file_format)
    if data is None or data[1] <= window.size:
        return None
    name = file_format.upper()
    return f"damaged {name}: {human_size(data[1] - window.size)} of audio missing (truncated?)"


# -- MP3: the stream a Xing, Info or VBRI header declares ----------------------------------

#: what a whole stream may lack against its VBR header's byte count: an encoder's rounding,
#: a last frame or two, never seconds of audio
_MP3_SLACK = 2048
_VBR_SPAN = 256  # the first frame's header, side information and VBR header fields


def _mp3_damage(window: FileWindow) -> str | None:
    """An MPEG stream shorter than its first frame's VBR header declares: fewer bytes after
    the first frame than the header's byte count, or than its frame count needs at the
    lowest bitrate. A cut file keeps that header, so its length and bitrate would read as
    the whole file's. Reads the bytes the reader and the key read after the ID3v2 tag."""
    start = skip_id3v2(window, 0)
    data = window.read(start, _VBR_SPAN)  # in the head, or the spot the key's bytes left
    frame = frame_header(data[:4])
    if frame is None or frame.layer != 3:
        return None  # junk before the stream, or no Layer III: no VBR header to trust
    counts = vbr_counts(data, frame)
    if counts is None:
        return None  # no VBR header: the length is read from the file's size
    declared = counts.stream_bytes or 0
    if counts.frames:
        declared = max(declared, counts.frames * smallest_frame(frame))
    missing = declared - (window.size - start)
    if missing <= _MP3_SLACK:
        return None
    return f"damaged MP3: {human_size(missing)} of audio missing (truncated?)"


# -- Ogg: the last page against the end of the file ----------------------------------------


def _ogg_damage(window: FileWindow) -> str | None:
    """An Ogg file whose last page runs past its end: cut short, yet its length would read
    from that page's granule position, the whole stream's. A file cut between two pages is
    not told (nothing of it says more was there), but it then reads as the shorter file it
    is. Reads the tail the reader and the key read anyway."""
    tail = window.tail
    at = tail.rfind(b"OggS")
    if at < 0:
        return None
    header = tail[at : at + 27]
    if len(header) > 4 and header[4] != 0:
        return None  # "OggS" inside a page, not a page (a page's version byte is 0)
    lacing = tail[at + 27 : at + 27 + header[26]] if len(header) == 27 else b""
    if len(header) == 27 and len(lacing) == header[26]:
        missing = at + 27 + len(lacing) + sum(lacing) - len(tail)
        if missing <= 0:
            return None
        return f"damaged Ogg: {human_size(missing)} of its last page missing (truncated?)"
    return "damaged Ogg: its last page's header is cut short (truncated?)"


# -- Musepack SV8: packet sizes that send mutagen round in circles -------------------------

_SV8_STEPS = 100_000  # packets walked at most; a longer walk is left to mutagen (it ends)


def _musepack_damage(window: FileWindow) -> str | None:
    """A Musepack SV8 stream whose packet sizes lead back to a packet already read (a size
    smaller than its own header): mutagen's header loop, which seeks by each size, would
    never end. Walked as mutagen walks (`MusepackInfo.__parse_sv8`), its errors left to it."""
    read = window.read
    header = read(0, 10)
    position = id3v2_size(header) if header[:3] == b"ID3" and len(header) == 10 else 0
    if read(position, 4) != b"MPCK":
        return None
    position += 4
    mandatory = {b"SH", b"RG"}
    seen: set[tuple[int, bool, bool]] = set()
    for _ in range(_SV8_STEPS):
        key = read(position, 2)
        if len(key) != 2 or not b"AA" <= key <= b"ZZ":
            return None  # mutagen: "Invalid frame key."
        if key in (b"AP", b"SE") or not mandatory:
            return None
        state = (position, b"SH" in mandatory, b"RG" in mandatory)  # all the walk depends on
        if state in seen:
            return "corrupt MPC file: its packet sizes lead back to a packet already read"
        seen.add(state)
        size = sv8_int(read(position + 2, 9))
        if size is None:
            return None  # mutagen: "Invalid packet size."
        body, data_size = position + 2 + size[1], size[0] - 2 - size[1]
        if key in (b"SH", b"RG"):
            if key not in mandatory:
                return None  # mutagen: a duplicate packet
            mandatory.discard(key)
            if key == b"SH" and stream_header(read, body, data_size) is None:
                return None  # mutagen fails on the packet's contents
            if key == b"RG" and not replay_gain_fits(read, body, data_size):
                return None
        # mutagen reads a packet it parses to its end, and seeks past any other by its size:
        # backwards, when the size is smaller than the packet's own header
        position = body + data_size
        if position < 0:
            return None  # mutagen: a seek before the start fails
    return None
