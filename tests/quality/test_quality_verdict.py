"""The quality verdict file by file: each rule, each reason, and the files it must not judge."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from music_tools.quality import VERDICTS, QualityReport, analyse
from music_tools.quality.judge import judge_mp3
from music_tools.quality.lame import Mp3Header
from support.quality_corpus import ffmpeg_missing, music

RATE = 44_100


def _flac(path: Path, samples: np.ndarray, rate: int = RATE, subtype: str = "PCM_16") -> Path:
    soundfile.write(path, samples, rate, subtype=subtype, format="FLAC")
    return path


def _lowpassed(samples: np.ndarray, cutoff: float, width: float, rate: int = RATE) -> np.ndarray:
    """`samples` with nothing above `cutoff`, through a raised-cosine edge `width` Hz wide."""
    spectrum = np.fft.rfft(samples, axis=0)
    freqs = np.fft.rfftfreq(samples.shape[0], 1 / rate)
    edge = np.clip((freqs - (cutoff - width)) / width, 0, 1)
    gain = 0.5 * (1 + np.cos(np.pi * edge))
    return np.fft.irfft(spectrum * gain[:, None], samples.shape[0], axis=0).astype(np.float32)


def test_a_full_band_lossless_file_is_genuine(tmp_path: Path) -> None:
    report = analyse(_flac(tmp_path / "a.flac", music(1, 4.0)))
    assert report.verdict == "genuine", report.reason
    assert report.reason.startswith("no lossy cut-off; content up to ")
    assert report.cutoff_hz is not None and report.cutoff_hz > 21_000
    assert (report.sample_rate_hz, report.bits_per_sample, report.effective_bits) == (
        RATE,
        16,
        16,
    )


def test_a_brick_wall_at_16_khz_is_named_as_a_128k_mp3(tmp_path: Path) -> None:
    walled = _lowpassed(music(2, 4.0), 16_800, 200)
    report = analyse(_flac(tmp_path / "a.flac", walled))
    assert report.verdict == "lossy_source", report.reason
    assert report.reason.startswith("cut off at 16.")
    assert report.reason.endswith("likely made from a 128 kbps MP3")
    assert report.likely_source == "MP3 128 kbps"
    assert report.cutoff_drop_db is not None and report.cutoff_drop_db > 30


@pytest.mark.parametrize(
    ("order", "corner"), [(1, 3_000), (2, 3_000), (4, 3_000), (8, 6_000), (8, 12_000)]
)
def test_a_roll_off_of_so_many_db_an_octave_is_never_called_lossy(
    tmp_path: Path, order: int, corner: float
) -> None:
    """Dark masters, tape, vinyl, a 78's transfer filtered at 48 dB an octave."""
    samples = music(3, 4.0)
    spectrum = np.fft.rfft(samples, axis=0)
    freqs = np.fft.rfftfreq(samples.shape[0], 1 / RATE)
    gain = 1 / np.sqrt(1 + (freqs / corner) ** (2 * order))
    dark = np.fft.irfft(spectrum * gain[:, None], samples.shape[0], axis=0)
    report = analyse(_flac(tmp_path / "a.flac", (dark * 0.9 / np.abs(dark).max())))
    assert report.verdict in ("genuine", "unsure"), report.reason


def test_pure_tones_with_silence_above_them_are_not_called_lossy(tmp_path: Path) -> None:
    """A synthesizer's sine waves, no noise between them, nothing above 9 kHz: the last
    tone's edge is steep, but it is no encoder's dense band."""
    t = np.arange(4 * RATE) / RATE
    tones = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220, 440, 1_320, 3_300, 5_500, 8_800))
    report = analyse(_flac(tmp_path / "a.flac", np.stack([tones, tones], axis=1)))
    assert report.verdict != "lossy_source", report.reason


def test_a_cut_off_near_20_khz_is_unsure_not_lossy(tmp_path: Path) -> None:
    """LAME at 256-320 kbps and a CD master's own filter both cut there."""
    report = analyse(_flac(tmp_path / "a.flac", _lowpassed(music(4, 4.0), 20_300, 200)))
    assert report.verdict == "unsure", report.reason
    assert "cannot tell" in report.reason


def test_a_24_bit_file_holding_16_bit_audio_is_padded(tmp_path: Path) -> None:
    as_16 = np.round(music(5, 3.0) * 32767).astype(np.int32) << 16
    report = analyse(_flac(tmp_path / "a.flac", as_16, subtype="PCM_24"))
    assert report.verdict == "padded"
    assert report.reason == (
        "24-bit file whose low 8 bits are always zero: a 16-bit recording padded"
    )
    assert (report.bits_per_sample, report.effective_bits) == (24, 16)


def test_a_real_24_bit_file_uses_all_its_bits(tmp_path: Path) -> None:
    report = analyse(_flac(tmp_path / "a.flac", music(6, 3.0), subtype="PCM_24"))
    assert report.verdict == "genuine", report.reason
    assert report.effective_bits == 24


def test_a_96_khz_file_with_nothing_above_22_khz_is_upsampled(tmp_path: Path) -> None:
    hi_res = music(7, 3.0, 96_000)
    upsampled = _lowpassed(hi_res, 21_000, 1_500, 96_000)
    report = analyse(_flac(tmp_path / "a.flac", upsampled, 96_000, "PCM_24"))
    assert report.verdict == "upsampled", report.reason
    assert report.source_rate_hz == 44_100
    assert report.reason == "nothing above 22.05 kHz in a 96 kHz file: upsampled from 44.1 kHz"
    genuine = analyse(_flac(tmp_path / "b.flac", hi_res, 96_000, "PCM_24"))
    assert genuine.verdict == "genuine", genuine.reason


@pytest.mark.parametrize("fmt", ["WAV", "AIFF"])
def test_wav_and_aiff_are_judged_like_flac(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"a.{fmt.lower()}"
    soundfile.write(path, _lowpassed(music(8, 3.0), 16_800, 200), RATE, format=fmt)
    assert analyse(path).verdict == "lossy_source"


def test_a_float_wav_is_judged_without_bit_counts(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    soundfile.write(path, music(9, 3.0), RATE, subtype="FLOAT")
    report = analyse(path)
    assert report.verdict == "genuine", report.reason
    assert report.bits_per_sample is None and report.effective_bits is None


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b"not audio at all" * 100), "cannot decode: "),
        (lambda p: p.write_bytes(b"fLaC" + bytes(60)), "cannot decode: "),
        (lambda p: _flac(p, np.zeros((RATE * 3, 2), np.float32)), "silent where analysed"),
        (lambda p: _flac(p, music(10, 0.5)), "too short to judge (0.5 s)"),
    ],
    ids=["text", "broken-header", "silence", "half-a-second"],
)
def test_a_file_that_cannot_be_judged_says_why(tmp_path: Path, make: object, reason: str) -> None:
    path = tmp_path / "a.flac"
    make(path)  # type: ignore[operator]
    report = analyse(path)
    assert report.verdict == "not_analysed"
    assert report.reason.startswith(reason), report.reason


def test_a_truncated_flac_gives_a_verdict_or_a_reason(tmp_path: Path) -> None:
    whole = _flac(tmp_path / "whole.flac", music(11, 4.0)).read_bytes()
    for cut in (100, 5_000, len(whole) // 3, len(whole) - 7):
        path = tmp_path / f"cut-{cut}.flac"
        path.write_bytes(whole[:cut])
        assert analyse(path).verdict in VERDICTS


def test_a_missing_file_and_a_folder_are_reasons(tmp_path: Path) -> None:
    assert analyse(tmp_path / "gone.flac").verdict == "not_analysed"
    assert analyse(tmp_path).verdict == "not_analysed"


def test_a_lossy_format_other_than_mp3_is_not_judged(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    soundfile.write(path, music(12, 2.0), RATE, format="OGG", subtype="VORBIS")
    report = analyse(path)
    assert report.verdict == "not_analysed"
    assert report.reason == "a OGG VORBIS file: only lossless files and MP3 are judged"


def test_the_report_is_frozen_plain_data() -> None:
    report = QualityReport("genuine", "why")
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.verdict = "unsure"  # type: ignore[misc]
    assert not hasattr(report, "__dict__")
    assert set(VERDICTS) == {
        "genuine",
        "lossy_source",
        "upsampled",
        "padded",
        "unsure",
        "not_analysed",
    }


def test_importing_the_package_loads_neither_numpy_nor_soundfile() -> None:
    code = "import sys, music_tools.quality; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "music_tools.quality" in loaded
    assert not {m for m in loaded if m.startswith(("numpy", "soundfile", "mutagen"))}


# -- MP3: the LAME header's low-pass and the decoded spectrum --------------------------------


def _need_lame() -> str:
    program = shutil.which("lame")
    if program is None:
        pytest.skip("LAME is not installed (apt install lame); .ci/run installs it")
    return program


def _wav(tmp_path: Path, seed: int) -> Path:
    path = tmp_path / f"source-{seed}.wav"
    soundfile.write(path, music(seed, 4.0), RATE, subtype="PCM_16")
    return path


def _lame(*args: str | Path) -> None:
    subprocess.run([_need_lame(), "--quiet", *map(str, args)], check=True)


@pytest.mark.parametrize("setting", [["-b", "128"], ["-b", "320"], ["-V", "2"], ["-V", "0"]])
def test_an_honest_mp3_is_genuine(tmp_path: Path, setting: list[str]) -> None:
    mp3 = tmp_path / "a.mp3"
    _lame(*setting, _wav(tmp_path, 20), mp3)
    report = analyse(mp3)
    assert report.verdict == "genuine", report.reason
    assert report.bitrate_kbps is not None and report.lame_lowpass_hz is not None


def test_a_320k_mp3_with_a_16_khz_lowpass_is_named_by_its_lame_header(tmp_path: Path) -> None:
    mp3 = tmp_path / "a.mp3"
    _lame("-b", "320", "--lowpass", "16", _wav(tmp_path, 21), mp3)
    report = analyse(mp3)
    assert report.verdict == "lossy_source"
    assert (report.bitrate_kbps, report.lame_lowpass_hz) == (320, 16_000)
    assert report.reason == (
        "a 320 kbps MP3 encoded with a 16 kHz low-pass, where its bitrate keeps 20.5 kHz: "
        "made from a 128 kbps MP3 or lower, or at least low-passed"
    )


def test_a_320k_mp3_made_from_a_128k_one_is_a_transcode(tmp_path: Path) -> None:
    low, decoded, high = tmp_path / "low.mp3", tmp_path / "decoded.wav", tmp_path / "high.mp3"
    _lame("-b", "128", _wav(tmp_path, 22), low)
    _lame("--decode", low, decoded)
    _lame("-b", "320", decoded, high)
    report = analyse(high)
    assert report.verdict == "lossy_source", report.reason
    assert report.lame_lowpass_hz == 20_500  # the header is honest: only the audio tells
    assert report.reason.startswith("a 320 kbps MP3 cut off at 16.")
    assert report.reason.endswith("transcoded from a 128 kbps MP3")


def test_an_ffmpeg_made_transcode_without_a_lowpass_is_found_by_its_spectrum(
    tmp_path: Path,
) -> None:
    missing = ffmpeg_missing()
    if missing is not None:
        pytest.skip(missing)
    low, high = tmp_path / "low.mp3", tmp_path / "high.mp3"
    run = ["ffmpeg", "-v", "error", "-y", "-i"]
    subprocess.run([*run, _wav(tmp_path, 23), "-b:a", "128k", low], check=True)
    subprocess.run([*run, low, "-c:a", "libmp3lame", "-b:a", "320k", high], check=True)
    report = analyse(high)
    assert report.lame_lowpass_hz is None  # FFmpeg's header records no low-pass
    assert report.verdict == "lossy_source", report.reason


def test_without_an_mp3_decoder_the_lame_header_alone_is_judged() -> None:
    """libsndfile before 1.1 decodes no MP3: the header still tells a low-passed file."""
    low_passed = judge_mp3(Mp3Header(320, False, RATE, 16_000, 320), None)
    assert low_passed.verdict == "lossy_source"
    assert low_passed.likely_source == "MP3 128 kbps"
    honest = judge_mp3(Mp3Header(320, False, RATE, 20_500, 320), None)
    assert honest.verdict == "unsure"
    assert honest.reason == (
        "a 320 kbps MP3; its audio could not be decoded to look for a transcode"
    )
