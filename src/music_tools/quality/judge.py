"""From measures to a verdict: the rules, each with the sentence that explains it."""

from __future__ import annotations

from typing import Any

from .lame import Mp3Header
from .report import QualityReport
from .sources import (
    LOSSY_BELOW_HZ,
    MASTER_FILTER_HZ,
    bitrate_for_lowpass,
    expected_lowpass_hz,
    likely_source,
)
from .spectrum import (
    Spectrum,
    Wall,
    band_edge_drop,
    content_top,
    find_wall,
    quantization_floor_db,
)

__all__ = ["judge_lossless", "judge_mp3"]

#: a fall at least this steep (dB, within ~400 Hz, nothing above) is an encoder's wall;
#: measured on the corpus: lossy-sourced files 15-60 dB, genuine ones at most 5, dark,
#: vinyl- and tape-like ones (6-48 dB an octave) at most 7.6
WALL_DB = 12.0
#: a fall between this and WALL_DB below the lossy range makes the verdict unsure
SOFT_WALL_DB = 6.0
#: how far a hi-res file must fall across a lower rate's band edge to be called upsampled
UPSAMPLED_DB = 30.0
#: content ending (gradually) below this is dark enough to leave the verdict unsure
DARK_BELOW_HZ = 16_000.0
#: lower rates a hi-res file may have been made from, lowest first
_SOURCE_RATES = (44_100, 48_000, 88_200, 96_000)
#: an MP3 cut this far below the band its bitrate or encoder keeps is a transcode
TRANSCODE_MARGIN_HZ = 1_500.0
SOFT_TRANSCODE_MARGIN_HZ = 800.0
#: without its low-pass, a VBR MP3 is held to the band of this share of its average bitrate
_VBR_SHARE = 0.75


def khz(hz: float) -> str:
    """16.8 kHz for a measure; 22.05 kHz, 44.1 kHz, 96 kHz for a rate or a band edge."""
    if hz % 50 == 0:
        return f"{hz / 1000:.2f}".rstrip("0").rstrip(".") + " kHz"
    return f"{hz / 1000:.1f} kHz"


def judge_lossless(
    spectrum: Spectrum, *, bits: int | None, channels: int, effective_bits: int | None, **base: Any
) -> QualityReport:
    """The verdict on a lossless file from its spectrum and bit use; `base` holds the
    figures measured before (sample rate, seconds). The proven faults come first, a lossy
    source before the others, as it costs the most; then the doubts."""
    rate = round(spectrum.nyquist * 2)
    wall = find_wall(spectrum)
    source_rate = _source_rate(spectrum)
    top = content_top(spectrum, quantization_floor_db(bits or 24, rate, channels))
    figures: dict[str, Any] = {
        **base,
        "bits_per_sample": bits,
        "effective_bits": effective_bits,
        "source_rate_hz": source_rate,
        "cutoff_hz": round(top),
        "cutoff_drop_db": round(wall.drop_db, 1) if wall else None,
    }
    full_band = spectrum.nyquist >= MASTER_FILTER_HZ
    if wall and full_band and wall.drop_db >= WALL_DB and wall.cutoff_hz < LOSSY_BELOW_HZ:
        name, phrase = likely_source(wall.cutoff_hz) or ("", "")
        where = f" (a {khz(rate)} file)" if rate > 48_000 else ""
        reason = f"cut off at {khz(wall.cutoff_hz)}{where}: likely made from {phrase}"
        return _report("lossy_source", reason, figures, wall.cutoff_hz, likely_source=name)
    if source_rate is not None:
        edge = source_rate / 2
        reason = (
            f"nothing above {khz(edge)} in a {khz(rate)} file: upsampled from {khz(source_rate)}"
        )
        return _report("upsampled", reason, figures, edge)
    if bits is not None and effective_bits is not None and effective_bits < bits:
        reason = (
            f"{bits}-bit file whose low {bits - effective_bits} bits are always zero: "
            f"a {effective_bits}-bit recording padded"
        )
        return _report("padded", reason, figures)
    doubt = _doubt(wall, top) if full_band else None
    if doubt is not None:
        return _report("unsure", doubt, figures, wall.cutoff_hz if wall else None)
    return _report("genuine", f"no lossy cut-off; content up to {khz(top)}", figures)


def _doubt(wall: Wall | None, top: float) -> str | None:
    """Why a full-band file with no proven fault may still not be genuine, if it may not."""
    if wall is not None and wall.drop_db >= WALL_DB and wall.cutoff_hz < MASTER_FILTER_HZ:
        return (
            f"cut off at {khz(wall.cutoff_hz)}: a 224-320 kbps lossy source or the master's "
            "own filter; cannot tell"
        )
    if wall is not None and wall.drop_db >= SOFT_WALL_DB and wall.cutoff_hz < LOSSY_BELOW_HZ:
        return (
            f"falls {wall.drop_db:.0f} dB at {khz(wall.cutoff_hz)}: perhaps made from a lossy "
            "file, with too little above to tell"
        )
    if top < DARK_BELOW_HZ:
        return (
            f"little above {khz(top)}, falling gradually: a dark master, vinyl or tape, "
            "or a lossy source; cannot tell"
        )
    return None


def _source_rate(spectrum: Spectrum) -> int | None:
    """The lowest usual rate whose band holds all the content of a higher-rate file."""
    rate = spectrum.nyquist * 2
    for source in _SOURCE_RATES:
        if source * 1.5 <= rate:
            drop = band_edge_drop(spectrum, source / 2)
            if drop is not None and drop >= UPSAMPLED_DB:
                return source
    return None


def judge_mp3(header: Mp3Header, spectrum: Spectrum | None, **base: Any) -> QualityReport:
    """An MP3's verdict: its LAME low-pass against its bitrate, and its decoded spectrum's
    cut-off against both."""
    bitrate, lowpass = header.bitrate_kbps, header.lowpass_hz
    keeps = expected_lowpass_hz(header.target_kbps or bitrate)
    if header.vbr:  # the average follows the music: a V4 of dense music averages 190 kbps
        keeps = lowpass or expected_lowpass_hz(round(bitrate * _VBR_SHARE))
    figures: dict[str, Any] = {
        **base,
        "sample_rate_hz": header.sample_rate,
        "bitrate_kbps": bitrate,
        "lame_lowpass_hz": lowpass,
    }
    wall = find_wall(spectrum) if spectrum is not None else None
    if wall is not None:
        figures["cutoff_drop_db"] = round(wall.drop_db, 1)
    band = min(keeps, lowpass or keeps)
    what = f"a {bitrate} kbps {'VBR ' if header.vbr else ''}MP3"
    if wall is not None and wall.drop_db >= WALL_DB:
        short = band - wall.cutoff_hz
        if short >= TRANSCODE_MARGIN_HZ:
            name, phrase = likely_source(wall.cutoff_hz) or ("", "a lower-bitrate file")
            reason = (
                f"{what} cut off at {khz(wall.cutoff_hz)}, where its bitrate keeps "
                f"{khz(band)}: transcoded from {phrase}"
            )
            return _report("lossy_source", reason, figures, wall.cutoff_hz, likely_source=name)
    if lowpass and not header.vbr and keeps - lowpass >= TRANSCODE_MARGIN_HZ:
        source = bitrate_for_lowpass(lowpass)
        name = f"MP3 {source} kbps"
        reason = (
            f"{what} encoded with a {khz(lowpass)} low-pass, where its bitrate keeps "
            f"{khz(keeps)}: made from a {source} kbps MP3 or lower, or at least low-passed"
        )
        cutoff = wall.cutoff_hz if wall else lowpass
        return _report("lossy_source", reason, figures, cutoff, likely_source=name)
    if spectrum is None:
        reason = f"{what}; its audio could not be decoded to look for a transcode"
        return _report("unsure", reason, figures)
    if wall is not None and wall.drop_db >= WALL_DB:
        if band - wall.cutoff_hz >= SOFT_TRANSCODE_MARGIN_HZ:
            reason = (
                f"{what} cut off at {khz(wall.cutoff_hz)}, a little below the "
                f"{khz(band)} its bitrate keeps: perhaps a transcode"
            )
            return _report("unsure", reason, figures, wall.cutoff_hz)
        reason = f"{what} with the band its bitrate keeps (cut off at {khz(wall.cutoff_hz)})"
        return _report("genuine", reason, figures, wall.cutoff_hz)
    top = content_top(spectrum, quantization_floor_db(24, header.sample_rate, 1))
    return _report("genuine", f"{what} with content up to {khz(top)}", figures, top)


def _report(
    verdict: Any, reason: str, figures: dict[str, Any], cutoff: float | None = None, **more: Any
) -> QualityReport:
    if cutoff is not None:
        figures["cutoff_hz"] = round(cutoff)
    return QualityReport(verdict, reason, **figures, **more)
