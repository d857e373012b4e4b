"""WAV and AIFF: RIFF/WAVE (little-endian) and IFF/AIFF (big-endian) chunks. The walk (the
top-level chunks, `chunks`), the damage check (`damage`), the lean readers (`reader`), and
the payload: the `data` or `SSND` chunk."""

from __future__ import annotations

from ..container import Container, Payload
from ..raw import id3v2_end, raw_payload
from ..window import FileWindow
from .chunks import SizedChunk, read_riff_info, streamed_wav_length, top_chunks
from .damage import aiff_damage, wav_damage
from .reader import read_aiff, read_wav

__all__ = ["AIFF", "WAV", "read_riff_info", "streamed_wav_length"]


def _audio_chunk(window: FileWindow, chunks: list[SizedChunk], wanted: bytes) -> Payload:
    chunk = next((c for c in chunks if c[0] == wanted), None)
    if chunk is None:
        return raw_payload(window, chunks)
    return Payload(((chunk[1], chunk[1] + chunk[2]),))


def _wav_audio(window: FileWindow, chunks: list[SizedChunk]) -> Payload:
    return _audio_chunk(window, chunks, b"data")


def _aiff_audio(window: FileWindow, chunks: list[SizedChunk]) -> Payload:
    return _audio_chunk(window, chunks, b"SSND")


WAV = Container(top_chunks, wav_damage, _wav_audio, id3v2_end, read_wav, head_first=True)
AIFF = Container(top_chunks, aiff_damage, _aiff_audio, id3v2_end, read_aiff, head_first=True)
