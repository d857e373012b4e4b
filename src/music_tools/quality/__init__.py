"""The quality verdict: is a file what it claims to be?

A lossless file made from an MP3, a 96 kHz file upsampled from 44.1 kHz, a 24-bit file that
holds 16-bit audio: each looks better than it is, and "keep the FLAC" then keeps the worse
copy. `analyse(path)` decodes a few seconds in this process (soundfile, no process a file),
looks at the spectrum and the bits in use, and returns a `QualityReport`: a verdict, the
figures it rests on and one line that explains it. The verdicts are honest: a dark master,
vinyl or tape cuts off low too, so a gradual roll-off is `unsure`, never `lossy_source`.

numpy and soundfile are imported when a file is analysed, not when this package is.
"""

from .analyse import DEFAULT_SECONDS, analyse
from .batch import analyse_batch, is_failure
from .report import ANALYSIS_VERSION, VERDICTS, QualityReport, Verdict

__all__ = [
    "ANALYSIS_VERSION",
    "DEFAULT_SECONDS",
    "VERDICTS",
    "QualityReport",
    "Verdict",
    "analyse",
    "analyse_batch",
    "is_failure",
]
