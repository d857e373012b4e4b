"""Duplicates: checking new files against the library (`DuplicateChecker`), finding groups
inside it (`find_duplicates`), and acting on them safely (`actions`)."""

from .checker import DuplicateChecker
from .groups import find_duplicates
from .model import (
    KINDS,
    DuplicateGroup,
    DuplicateResult,
    Evidence,
    GroupMember,
    KeeperReason,
    Match,
    MatchKind,
    Quality,
    Status,
)

__all__ = [
    "KINDS",
    "DuplicateChecker",
    "DuplicateGroup",
    "DuplicateResult",
    "Evidence",
    "GroupMember",
    "KeeperReason",
    "Match",
    "MatchKind",
    "Quality",
    "Status",
    "find_duplicates",
]
