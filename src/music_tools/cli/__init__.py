"""The command line: the only layer that prints. `main` is the `music-tools` entry point."""

from . import (
    dupes_commands,  # noqa: F401  (registers check, dupes on cli)
    review_commands,  # noqa: F401  (registers review on cli)
    undo_command,  # noqa: F401  (registers undo on cli)
)
from .app import ExitStatus
from .commands import cli, main

__all__ = ["ExitStatus", "cli", "main"]
