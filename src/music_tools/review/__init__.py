"""`music-tools review`: a local page to decide duplicate groups by looking and listening.

The session (`session.py`: groups, keepers, marks, actions through the engine of `dupes`)
and the keeper rules (`keepers.py`) need only the core; the page itself (`web.py`,
`server.py`, `spectrogram.py`) needs the `review` extra (Werkzeug, numpy, soundfile),
imported only by the modules that serve it.
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
    "INSTALL_HINT",
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
    "missing_extra",
    "verdict_of",
]

#: the modules the page needs beyond the base install
EXTRA_MODULES = ("werkzeug", "numpy", "soundfile")
INSTALL_HINT = "install the review extra: pip install 'music-tools[review]'"


def missing_extra() -> str:
    """The first module of the review extra that cannot be imported, or ""."""
    import importlib

    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except (ImportError, OSError):  # soundfile without its libsndfile: OSError
            return name
    return ""
