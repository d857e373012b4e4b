"""`music-tools review`: a local page to decide duplicate groups by looking and listening.

The session (`session.py`: groups, keepers, marks, actions through the engine of `dupes`)
and the keeper rules (`keepers.py`) need only the core; the page itself (`web.py`,
`server.py`, `spectrogram.py`) imports Werkzeug, numpy and soundfile (core dependencies)
only when it is served.
"""

from .keepers import PRESETS, KeeperContext, choose_keeper, verdict_of
from .session import (
    ActionReport,
    GroupFilter,
    Page,
    ReviewError,
    ReviewGroup,
    ReviewOptions,
    ReviewSession,
)

__all__ = [
    "PRESETS",
    "ActionReport",
    "GroupFilter",
    "KeeperContext",
    "Page",
    "ReviewError",
    "ReviewGroup",
    "ReviewOptions",
    "ReviewSession",
    "choose_keeper",
    "verdict_of",
]
