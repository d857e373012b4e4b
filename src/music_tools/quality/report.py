"""What the quality verdict returns: plain data, one row's worth, to store and to rank by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ANALYSIS_VERSION", "VERDICTS", "QualityReport", "Verdict"]

#: bumped whenever a change to the analysis can change a verdict: stored verdicts of an
#: older version are worth recomputing
ANALYSIS_VERSION = 1

Verdict = Literal["genuine", "lossy_source", "upsampled", "padded", "unsure", "not_analysed"]
#: every verdict, best first as a keeper rule ranks them (`unsure` above the proven faults)
VERDICTS: tuple[Verdict, ...] = (
    "genuine",
    "unsure",
    "not_analysed",
    "padded",
    "upsampled",
    "lossy_source",
)


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The quality verdict on one file and the figures it rests on.

    `verdict`: `genuine` (a lossless file: full band, no lossy cut-off; an MP3: the band its
    bitrate keeps), `lossy_source` (made from a lossy file of a lower quality: a lossless file
    cut off as an encoder cuts, an MP3 cut lower than its own bitrate keeps), `upsampled`
    (a high sample rate with nothing above a lower rate's band), `padded` (more stored bits
    than were ever used), `unsure` (a dark master, vinyl or tape look like a lossy source
    and cannot be told from one; a high cut-off may be a 256-320 kbps source or the
    master's filter), `not_analysed` (cannot decode, too short, silent, or a format the
    verdict does not cover). `reason` says why in one line a person understands.
    Figures are None where not measured.
    """

    verdict: Verdict
    reason: str
    #: where the content ends: a steep cut-off's frequency, or the highest frequency whose
    #: level stands 10 dB above the format's quantization noise
    cutoff_hz: int | None = None
    #: how far the spectrum falls within ~400 Hz at its steepest fall with nothing above:
    #: a lossy encoder's brick wall 15-60 dB, a roll-off of 6-48 dB an octave under 8
    #: (12 or more is a wall)
    cutoff_drop_db: float | None = None
    #: the lossy source a cut-off points to, as "MP3 128 kbps"
    likely_source: str | None = None
    sample_rate_hz: int | None = None
    #: the sample rate the audio was made at, when it was upsampled
    source_rate_hz: int | None = None
    #: bits a sample stores (16, 24, 32) for integer PCM
    bits_per_sample: int | None = None
    #: bits in use: the stored bits less those always zero (padded: fewer)
    effective_bits: int | None = None
    #: an MP3's bitrate (kbit/s), and the low-pass its LAME header records
    bitrate_kbps: int | None = None
    lame_lowpass_hz: int | None = None
    #: seconds of audio decoded and measured
    seconds_analysed: float = 0.0

    def stored(self) -> tuple[str, str, int | None, str | None, int | None, int | None, int]:
        """What a library row keeps of this verdict, in the order of
        `models.QUALITY_FIELDS` (and of `store.quality.QualityRow`'s verdict fields): the
        verdict, its reason, the figures the keeper rules rank by, the analysis version."""
        return (
            self.verdict,
            self.reason,
            self.cutoff_hz,
            self.likely_source,
            self.source_rate_hz,
            self.effective_bits,
            ANALYSIS_VERSION,
        )
