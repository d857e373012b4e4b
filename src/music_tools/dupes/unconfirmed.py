"""What the actions may touch: a fuzzy match that no fingerprint confirmed (fpcalc not
installed, or a file without a fingerprint) is only a likeness of names, so it is
reported but left alone, unless the user asks for it (`--act-on-fuzzy`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from .model import DuplicateGroup, DuplicateResult

__all__ = ["LEFT_ALONE", "OWN_LEFT_ALONE", "split_groups", "split_results"]

LEFT_ALONE = "fuzzy match not confirmed by fingerprint; left alone"
#: why `check --move-dupes-to` leaves the library's own files where they are
OWN_LEFT_ALONE = (
    "the library's own file, and so is its copy checked beside it: music-tools dupes "
    "chooses which copy stays; left alone"
)


def split_groups(
    groups: Iterable[DuplicateGroup], act_on_fuzzy: bool = False
) -> tuple[list[DuplicateGroup], list[DuplicateGroup]]:
    """(the groups with the members to act on, the groups with the members to leave
    alone); with `act_on_fuzzy`, every member is acted on."""
    acted: list[DuplicateGroup] = []
    held: list[DuplicateGroup] = []
    for group in groups:
        sure = [m for m in group.others if m.confirmed or act_on_fuzzy]
        unsure = [m for m in group.others if not (m.confirmed or act_on_fuzzy)]
        if sure:
            acted.append(replace(group, others=sure))
        if unsure:
            held.append(replace(group, others=unsure))
    return acted, held


def split_results(
    results: Iterable[DuplicateResult], act_on_fuzzy: bool = False
) -> tuple[list[DuplicateResult], list[DuplicateResult]]:
    """(the results to act on, those whose best match is unconfirmed, to leave alone)."""
    acted: list[DuplicateResult] = []
    held: list[DuplicateResult] = []
    for result in results:
        sure = act_on_fuzzy or not result.matches or result.matches[0].confirmed
        (acted if sure else held).append(result)
    return acted, held
