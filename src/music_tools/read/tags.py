"""Tags and audio properties through mutagen: the only module that imports it.

`read_with_mutagen(opened, ...)` fills a LibraryFile's tag and audio-property fields, for
every file no lean reader read; it never decodes audio. The mutagen class is chosen by the
file's magic bytes, then by its extension (a handful of candidates to score instead of two
dozen), with mutagen's full guess as the fallback for misnamed files.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import mutagen
from mutagen.aac import AAC
from mutagen.ac3 import AC3
from mutagen.aiff import AIFF
from mutagen.apev2 import APEv2
from mutagen.asf import ASF
from mutagen.dsdiff import DSDIFF
from mutagen.dsf import DSF
from mutagen.flac import FLAC
from mutagen.id3 import ID3, ID3FileType
from mutagen.monkeysaudio import MonkeysAudio
from mutagen.mp3 import MP3, BitrateMode
from mutagen.mp4 import MP4
from mutagen.musepack import Musepack
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis
from mutagen.optimfrog import OptimFROG
from mutagen.tak import TAK
from mutagen.trueaudio import TrueAudio
from mutagen.wave import WAVE
from mutagen.wavpack import WavPack

from ..formats.riff import read_riff_info, streamed_wav_length
from ..formats.sniff import EXTENSION_KINDS
from ..formats.tag_fields import APE_KEYS_LOWER, ASF_KEYS, MP4_KEYS, VORBIS_KEYS
from ..formats.window import OpenFile
from ..models import LibraryFile
from .fields import fill_tags, from_keys, id3_values, mp4_text, set_properties, vorbis_dict

__all__ = ["MutagenError", "NotAudioError", "read_with_mutagen"]

MutagenError = mutagen.MutagenError


class NotAudioError(Exception):
    """mutagen recognised no audio format in the file."""


_CLASSES: dict[str, Any] = {
    "mp3": MP3,
    "flac": FLAC,
    "vorbis": OggVorbis,
    "opus": OggOpus,
    "oggflac": OggFLAC,
    "speex": OggSpeex,
    "m4a": MP4,
    "aac": AAC,
    "wav": WAVE,
    "aiff": AIFF,
    "wma": ASF,
    "ape": MonkeysAudio,
    "wv": WavPack,
    "mpc": Musepack,
    "dsf": DSF,
    "dff": DSDIFF,
    "tta": TrueAudio,
    "ofr": OptimFROG,
    "tak": TAK,
    "ac3": AC3,
}
_CANDIDATES: dict[str, list[Any]] = {
    extension: [_CLASSES[kind] for kind in kinds] for extension, kinds in EXTENSION_KINDS.items()
}

# Per mutagen class: (file_format, codec, lossless). MP4, ASF and MP3 refine the codec below.
_KINDS: dict[type, tuple[str, str, bool]] = {
    MP3: ("mp3", "mp3", False),
    FLAC: ("flac", "flac", True),
    OggVorbis: ("ogg", "vorbis", False),
    OggOpus: ("opus", "opus", False),
    OggFLAC: ("ogg", "flac", True),
    OggSpeex: ("ogg", "speex", False),
    MP4: ("m4a", "aac", False),
    AAC: ("aac", "aac", False),
    WAVE: ("wav", "pcm", True),
    AIFF: ("aiff", "pcm", True),
    ASF: ("wma", "wma", False),
    MonkeysAudio: ("ape", "ape", True),
    WavPack: ("wv", "wavpack", True),
    Musepack: ("mpc", "musepack", False),
    DSF: ("dsf", "dsd", True),
    DSDIFF: ("dff", "dsd", True),
    TrueAudio: ("tta", "tta", True),
    OptimFROG: ("ofr", "optimfrog", True),
    TAK: ("tak", "tak", True),
    AC3: ("ac3", "ac3", False),
}


def read_with_mutagen(
    opened: OpenFile, file: LibraryFile, extension: str, kind: str | None
) -> int | None:
    """Fill `file`'s tag and audio-property fields from the file `opened`.

    `kind` is what the file's first bytes say it is (formats.sniff), None when they say
    nothing clear. Returns the MD5 of the decoded audio that a FLAC STREAMINFO carries (None
    when absent or zero). Raises NotAudioError when no format is recognised; mutagen's own
    errors pass.
    """
    fileobj = opened.buffered
    audio = _open(fileobj, extension, _CLASSES.get(kind or ""))
    parser = type(audio)
    file.file_format, file.codec, file.is_lossless = _KINDS.get(
        parser, (parser.__name__, "", False)
    )
    _fill_properties(file, audio)
    if isinstance(audio, WAVE):  # a WAV streamed to a pipe: mutagen takes its placeholder
        file.duration = streamed_wav_length(fileobj) or file.duration
    fill_tags(file, _tag_values(audio, fileobj))
    md5 = getattr(audio.info, "md5_signature", None) if parser is FLAC else None
    return md5 or None


def _open(fileobj: BinaryIO, extension: str, sniffed: Any) -> Any:
    if sniffed is not None:
        return sniffed(fileobj)
    candidates = _CANDIDATES.get(extension, [])
    if candidates:
        try:
            audio = mutagen.File(fileobj, options=candidates)
        except MutagenError as exc:
            failure: MutagenError | None = exc
        else:
            if audio is not None:
                return audio
            failure = None
        # Named for one format, maybe another: let mutagen guess among the rest.
        fileobj.seek(0)
        try:
            audio = mutagen.File(fileobj, options=[k for k in _KINDS if k not in candidates])
        except MutagenError:
            audio = None
        if audio is not None:
            return audio
        if failure is not None:
            raise failure
        raise NotAudioError
    audio = mutagen.File(fileobj, options=list(_KINDS))
    if audio is None:
        raise NotAudioError
    return audio


#: mutagen's bitrate modes as a LibraryFile names them (its UNKNOWN: None)
_BITRATE_MODES = {BitrateMode.CBR: "CBR", BitrateMode.VBR: "VBR", BitrateMode.ABR: "ABR"}


def _fill_properties(file: LibraryFile, audio: Any) -> None:
    info = audio.info
    rate = getattr(info, "sample_rate", None) or (48_000 if isinstance(audio, OggOpus) else None)
    set_properties(
        file,
        getattr(info, "length", None),
        rate,
        getattr(info, "channels", None),
        getattr(info, "bits_per_sample", None),
        getattr(info, "bitrate", None),
    )
    if isinstance(audio, MP4):
        codec = str(getattr(info, "codec", ""))
        lossless = codec == "alac"
        file.codec, file.is_lossless = (
            ("alac" if lossless else codec.split(".")[0] or "aac"),
            lossless,
        )
        if file.codec == "mp4a":
            file.codec = "aac"
    elif isinstance(audio, ASF):
        name = str(getattr(info, "codec_name", "")).lower()
        file.is_lossless = "lossless" in name
        file.codec = "wmalossless" if file.is_lossless else "wma"
    elif isinstance(audio, AC3):
        file.codec = str(getattr(info, "codec", "ac-3")).replace("-", "")
    elif isinstance(audio, MP3):
        file.bitrate_mode = _BITRATE_MODES.get(getattr(info, "bitrate_mode", BitrateMode.UNKNOWN))
        if getattr(info, "layer", 3) != 3:
            file.codec = f"mp{info.layer}"


def _tag_values(audio: Any, fileobj: BinaryIO) -> dict[str, str]:
    tags = audio.tags
    if isinstance(tags, ID3):
        values = _from_id3(tags)
    elif isinstance(audio, MP4):
        values = from_keys(tags, MP4_KEYS, mp4_text)
    elif isinstance(audio, ASF):
        values = from_keys(tags, ASF_KEYS, str)
    elif isinstance(tags, APEv2):
        values = from_keys(tags, APE_KEYS_LOWER, _ape_text)  # its keys are case-insensitive
    elif isinstance(tags, list):  # Vorbis comments: a list of (key, value) pairs
        values = from_keys(vorbis_dict(tags), VORBIS_KEYS, str)
    else:
        values = {}
    if not values and isinstance(audio, ID3FileType | WAVE | AIFF | DSF):
        values = _trailing_ape(fileobj)  # e.g. an MP3 tagged with APEv2 only
    if isinstance(audio, WAVE) and not values:
        values = read_riff_info(fileobj)  # WAV files tagged only with RIFF INFO
    return values


def _from_id3(tags: Any) -> dict[str, str]:
    def texts(frame_id: str) -> list[str] | None:
        frame = tags.get(frame_id)
        return None if frame is None else [str(t) for t in frame.text]

    ufid = tags.get("UFID:http://musicbrainz.org")
    return id3_values(texts, ufid.data if ufid is not None else None)


def _ape_text(value: Any) -> str:
    if getattr(value, "kind", 0) != 0:  # binary or external APE item
        return ""
    return "; ".join(str(value).split("\x00"))


def _trailing_ape(fileobj: BinaryIO) -> dict[str, str]:
    fileobj.seek(0)
    try:
        ape: Any = APEv2(fileobj)  # type: ignore[no-untyped-call]
    except MutagenError:
        return {}
    return from_keys(ape, APE_KEYS_LOWER, _ape_text)
