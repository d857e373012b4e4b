"""Real, decodable test audio: soundfile writes it, mutagen tags it.

Used by the tests and by the benchmarks (which put `tests/` on sys.path). soundfile writes
MP3, FLAC, Ogg Vorbis, Opus (48 kHz), WAV and AIFF from generated signals: distinct seeds
give distinct audio. Formats it cannot write come from tiny committed samples in
tests/data (two each, `a` and `b`, of different audio), copied before use, never written
in place; Monkey's Audio and DSF are synthesized here (a DSF of random 1-bit DSD is a valid
stream; the APE file has a valid header and random frame bytes, as no APE encoder exists
on these machines, which is enough for everything but decoding).
"""

from __future__ import annotations

import base64
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from mutagen.aiff import AIFF
from mutagen.apev2 import APEv2
from mutagen.asf import ASF
from mutagen.dsf import DSF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import (
    APIC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    UFID,
)
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

DATA = Path(__file__).parent.parent / "data"  # tests/data

#: format -> (soundfile container, subtype, sample rate)
SOUNDFILE_FORMATS: dict[str, tuple[str, str, int]] = {
    "mp3": ("MP3", "MPEG_LAYER_III", 44_100),
    "flac": ("FLAC", "PCM_16", 44_100),
    "ogg": ("OGG", "VORBIS", 44_100),
    "opus": ("OGG", "OPUS", 48_000),
    "wav": ("WAV", "PCM_16", 44_100),
    "aiff": ("AIFF", "PCM_16", 44_100),
}
#: format -> committed sample stem (tests/data/<stem>-a.<ext>, -b.<ext>)
SAMPLE_FORMATS: dict[str, str] = {
    "m4a": "aac",
    "alac": "alac",
    "wma": "wma",
    "wv": "wavpack",
    "mpc": "musepack",
}
SYNTHESIZED_FORMATS = ("ape", "dsf")
ALL_FORMATS = (*SOUNDFILE_FORMATS, *SAMPLE_FORMATS, *SYNTHESIZED_FORMATS)
EXTENSIONS = {"alac": "m4a", "aiff": "aiff"}

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class Tags:
    artist: str | None = "Test Artist"
    title: str | None = "Test Title"
    album: str | None = "Test Album"
    album_artist: str | None = "Test Album Artist"
    track: str | None = "3/12"
    disc: str | None = "1/2"
    date: str | None = "2011-03-01"
    genre: str | None = "Rock"
    mbid: str | None = "b1a9c0e9-d987-4042-ae91-78d6a3267d69"
    extra: dict[str, str] = field(default_factory=dict)


def signal(seed: int, seconds: float, rate: int, channels: int) -> Any:
    """A tone plus noise; distinct seeds give distinct samples."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * (220 + 37 * (seed % 50)) * t)
    data = np.stack([tone + 0.05 * rng.standard_normal(t.size) for _ in range(channels)], axis=1)
    return data.astype(np.float32)


def file_name(fmt: str, stem: str = "track") -> str:
    return f"{stem}.{EXTENSIONS.get(fmt, fmt)}"


def make_audio(
    path: Path,
    fmt: str,
    *,
    seed: int = 0,
    seconds: float = 1.0,
    channels: int = 2,
    tags: Tags | None = None,
    picture: bool = False,
) -> Path:
    """Write a real audio file of `fmt` at `path`, tagged with `tags` if given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in SOUNDFILE_FORMATS:
        container, subtype, rate = SOUNDFILE_FORMATS[fmt]
        data = signal(seed, seconds, rate, channels)
        # Written a second at a time: libsndfile's Vorbis encoder crashes on long single writes.
        with soundfile.SoundFile(
            path, "w", rate, channels, subtype=subtype, format=container
        ) as out:
            for start in range(0, len(data), rate):
                out.write(data[start : start + rate])
    elif fmt in SAMPLE_FORMATS:
        variant = "ab"[seed % 2]
        shutil.copyfile(DATA / f"{SAMPLE_FORMATS[fmt]}-{variant}.{EXTENSIONS.get(fmt, fmt)}", path)
        _clear_tags(path, fmt)
    elif fmt == "dsf":
        _write_dsf(path, seed, seconds)
    elif fmt == "ape":
        _write_ape(path, seed, seconds)
    else:
        raise ValueError(f"no way to make {fmt}")
    if tags is not None or picture:
        write_tags(path, fmt, tags or Tags(), picture=picture)
    return path


#: format -> the ffmpeg encoder arguments that make it (AAC and ALAC in MP4, MP3 by LAME)
FFMPEG_CODECS: dict[str, tuple[str, ...]] = {
    "m4a": ("-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"),
    "alac": ("-c:a", "alac", "-movflags", "+faststart"),
    "mp3": ("-c:a", "libmp3lame", "-b:a", "192k"),
}


def identical_pairs(
    lib: Path, count: int, seconds: float = 0.01, name: str = "s{}.wav", title: str | None = None
) -> None:
    """lib/A and lib/B holding `count` pairs of byte-identical WAV files (`name` formatted
    with the pair's number; the default tags without a MusicBrainz id, the title `title`
    so formatted if given): the library the action tests keep one copy of and move or
    trash the other."""
    (lib / "B").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        tags = Tags(mbid=None) if title is None else Tags(title=title.format(i), mbid=None)
        made = make_audio(lib / "A" / name.format(i), "wav", seed=i, seconds=seconds, tags=tags)
        shutil.copy2(made, lib / "B" / made.name)


def ffmpeg_encoders() -> frozenset[str]:
    """The formats of FFMPEG_CODECS this machine's ffmpeg can encode (none without ffmpeg)."""
    if shutil.which("ffmpeg") is None:
        return frozenset()
    listed = subprocess.run(
        ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, check=False
    ).stdout
    names = {line.split()[1] for line in listed.splitlines() if len(line.split()) > 1}
    return frozenset(fmt for fmt, args in FFMPEG_CODECS.items() if args[1] in names)


def encode_with_ffmpeg(path: Path, fmt: str, *, seed: int = 0, seconds: float = 1.0) -> Path:
    """A real encoded file of `fmt` (m4a, alac, mp3) at `path`, untagged: the factory's
    signal written as WAV, then encoded by ffmpeg, as a user's encoder would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.with_name(path.name + ".source.wav")
    make_audio(source, "wav", seed=seed, seconds=seconds)
    command = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), *FFMPEG_CODECS[fmt]]
    try:
        subprocess.run([*command, str(path)], check=True)
    finally:
        source.unlink()
    return path


def write_tags(
    path: Path,
    fmt: str,
    tags: Tags,
    *,
    picture: bool = False,
    id3_version: int = 4,
    id3v1: bool = False,
    padding: int | None = None,
    cover: bytes = PNG_1PX,
) -> None:
    """(Re)write every tag of the file at `path`; `cover` is the picture's image data."""
    if fmt in ("mp3", "wav", "aiff", "dsf"):
        _write_id3(path, fmt, tags, picture, id3_version, id3v1, padding, cover)
    elif fmt in ("flac", "ogg", "opus"):
        _write_vorbis(path, fmt, tags, picture, padding, cover)
    elif fmt in ("m4a", "alac"):
        _write_mp4(path, tags, picture, cover)
    elif fmt == "wma":
        _write_asf(path, tags, picture)
    else:
        _write_ape_tags(path, tags, picture)


def _clear_tags(path: Path, fmt: str) -> None:
    if fmt in ("m4a", "alac"):
        audio: Any = MP4(path)
    elif fmt == "wma":
        audio = ASF(path)
    else:
        APEv2(path).delete(path) if _has_ape(path) else None
        return
    audio.delete()


def _has_ape(path: Path) -> bool:
    try:
        APEv2(path)
    except Exception:
        return False
    return True


def _id3_frames(tags: Tags, picture: bool, v23: bool, cover: bytes = PNG_1PX) -> list[Any]:
    enc = 1 if v23 else 3
    frames: list[Any] = []
    for frame_type, value in (
        (TPE1, tags.artist),
        (TIT2, tags.title),
        (TALB, tags.album),
        (TPE2, tags.album_artist),
        (TRCK, tags.track),
        (TPOS, tags.disc),
        (TDRC, tags.date),
        (TCON, tags.genre),
    ):
        if value is not None:
            frames.append(frame_type(encoding=enc, text=value.split("\x00")))
    if tags.mbid:
        frames.append(UFID(owner="http://musicbrainz.org", data=tags.mbid.encode()))
    if picture:
        frames.append(APIC(encoding=enc, mime="image/png", type=3, desc="cover", data=cover))
    return frames


def _write_id3(
    path: Path,
    fmt: str,
    tags: Tags,
    picture: bool,
    version: int,
    id3v1: bool,
    padding: int | None,
    cover: bytes = PNG_1PX,
) -> None:
    if fmt == "mp3":
        id3 = ID3()
    else:
        holder: Any = {"wav": WAVE, "aiff": AIFF, "dsf": DSF}[fmt](path)
        if holder.tags is None:
            holder.add_tags()
        holder.tags.clear()
        id3 = holder.tags
    for frame in _id3_frames(tags, picture, version == 3, cover):
        id3.add(frame)
    pad = (lambda info: padding) if padding is not None else None
    if fmt == "mp3":
        ID3(path).delete(path) if _has_id3(path) else None
        id3.save(path, v2_version=version, v1=2 if id3v1 else 0, padding=pad)
    else:
        holder.save(v2_version=version, padding=pad)


def _has_id3(path: Path) -> bool:
    try:
        ID3(path)
    except Exception:
        return False
    return True


def _vorbis_values(tags: Tags) -> dict[str, str]:
    values = {
        "artist": tags.artist,
        "title": tags.title,
        "album": tags.album,
        "albumartist": tags.album_artist,
        "tracknumber": tags.track,
        "discnumber": tags.disc,
        "date": tags.date,
        "genre": tags.genre,
        "musicbrainz_trackid": tags.mbid,
        **tags.extra,
    }
    return {k: v for k, v in values.items() if v is not None}


def _picture(cover: bytes = PNG_1PX) -> Picture:
    pic = Picture()
    pic.type, pic.mime, pic.desc, pic.data = 3, "image/png", "cover", cover
    pic.width = pic.height = 1
    pic.depth = 24
    return pic


def _write_vorbis(
    path: Path, fmt: str, tags: Tags, picture: bool, padding: int | None, cover: bytes = PNG_1PX
) -> None:
    audio: Any = {"flac": FLAC, "ogg": OggVorbis, "opus": OggOpus}[fmt](path)
    audio.delete() if fmt != "flac" else audio.clear()
    if fmt == "flac":
        audio.clear_pictures()
    _set_values(audio, _vorbis_values(tags))
    if picture:
        if fmt == "flac":
            audio.add_picture(_picture(cover))
        else:
            audio["metadata_block_picture"] = [base64.b64encode(_picture(cover).write()).decode()]
    audio.save(padding=(lambda info: padding) if padding is not None else None)


def _set_values(audio: Any, values: dict[str, Any]) -> None:
    """Set each tag that has a value; "\x00" separates several values of one tag."""
    for key, value in values.items():
        if value is not None:
            audio[key] = value.split("\x00")


def _write_mp4(path: Path, tags: Tags, picture: bool, cover: bytes = PNG_1PX) -> None:
    audio = MP4(path)
    audio.delete()
    audio = MP4(path)
    values: dict[str, Any] = {
        "\xa9ART": tags.artist,
        "\xa9nam": tags.title,
        "\xa9alb": tags.album,
        "aART": tags.album_artist,
        "\xa9day": tags.date,
        "\xa9gen": tags.genre,
    }
    _set_values(audio, values)
    if tags.track:
        number, _, total = tags.track.partition("/")
        audio["trkn"] = [(int(number), int(total or 0))]
    if tags.disc:
        number, _, total = tags.disc.partition("/")
        audio["disk"] = [(int(number), int(total or 0))]
    if tags.mbid:
        audio["----:com.apple.iTunes:MusicBrainz Track Id"] = [MP4FreeForm(tags.mbid.encode())]
    if picture:
        audio["covr"] = [MP4Cover(cover, imageformat=MP4Cover.FORMAT_PNG)]
    audio.save()


def _write_asf(path: Path, tags: Tags, picture: bool) -> None:
    audio = ASF(path)
    audio.delete()
    audio = ASF(path)
    values = {
        "Author": tags.artist,
        "Title": tags.title,
        "WM/AlbumTitle": tags.album,
        "WM/AlbumArtist": tags.album_artist,
        "WM/TrackNumber": tags.track,
        "WM/PartOfSet": tags.disc,
        "WM/Year": tags.date,
        "WM/Genre": tags.genre,
        "MusicBrainz/Track Id": tags.mbid,
    }
    _set_values(audio, values)
    if picture:
        from mutagen.asf import ASFByteArrayAttribute

        blob = struct.pack("<bI", 3, len(PNG_1PX)) + "image/png\x00".encode("utf-16-le")
        blob += "\x00".encode("utf-16-le") + PNG_1PX
        audio["WM/Picture"] = [ASFByteArrayAttribute(blob)]
    audio.save()


def _write_ape_tags(path: Path, tags: Tags, picture: bool) -> None:
    if _has_ape(path):
        APEv2(path).delete(path)
    ape = APEv2()
    values = {
        "Artist": tags.artist,
        "Title": tags.title,
        "Album": tags.album,
        "Album Artist": tags.album_artist,
        "Track": tags.track,
        "Disc": tags.disc,
        "Year": tags.date,
        "Genre": tags.genre,
        "MUSICBRAINZ_TRACKID": tags.mbid,
    }
    for key, value in values.items():
        if value is not None:
            ape[key] = value
    if picture:
        from mutagen.apev2 import APEValue

        ape["Cover Art (Front)"] = APEValue(b"cover.png\x00" + PNG_1PX, 1)
    ape.save(path)


def _write_dsf(path: Path, seed: int, seconds: float) -> None:
    """A valid DSF file: 1-bit DSD64 stereo, random bits (distinct per seed), no tags."""
    rate, channels, block = 2_822_400, 2, 4096
    samples = int(rate * seconds)
    blocks = -(-samples // 8 // block)
    data = np.random.default_rng(seed).integers(0, 256, blocks * block * channels, np.uint8)
    data_chunk = b"data" + struct.pack("<Q", 12 + data.size) + data.tobytes()
    fmt_chunk = b"fmt " + struct.pack(
        "<QIIIIIIQII", 52, 1, 0, 2, channels, rate, 1, samples, block, 0
    )
    total = 28 + len(fmt_chunk) + len(data_chunk)
    path.write_bytes(b"DSD " + struct.pack("<QQQ", 28, total, 0) + fmt_chunk + data_chunk)


def _write_ape(path: Path, seed: int, seconds: float) -> None:
    """A Monkey's Audio 3.99 header with random frame bytes (not decodable, see above)."""
    rate, channels, bits = 44_100, 2, 16
    blocks_per_frame = 73_728
    total_blocks = int(rate * seconds)
    frames = max(1, -(-total_blocks // blocks_per_frame))
    final = total_blocks - (frames - 1) * blocks_per_frame
    payload = np.random.default_rng(seed).integers(0, 256, total_blocks // 4, np.uint8).tobytes()
    descriptor = (
        b"MAC "
        + struct.pack("<HH", 3990, 0)
        + struct.pack("<IIIIIII", 52, 24, frames * 4, 0, len(payload), 0, 0)
        + bytes(16)
    )
    header = struct.pack(
        "<HHIIIHHI", 2000, 0, blocks_per_frame, final, frames, bits, channels, rate
    )
    path.write_bytes(descriptor + header + struct.pack(f"<{frames}I", *range(frames)) + payload)
