"""Markdown for the benchmarks page: numbers as the page writes them, and tables."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

Result = dict[str, Any]


def n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def x(value: float) -> str:
    return f"{value:.2f}x"


def s(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def paragraph(text: str) -> list[str]:
    """A paragraph wrapped as the hand-written pages are, then a blank line."""
    return [textwrap.fill(text, width=92, break_on_hyphens=False), ""]
