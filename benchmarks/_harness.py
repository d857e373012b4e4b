"""What the benchmarks share: a warm page cache and a count of the bytes a process read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["bytes_read_so_far", "warm_page_cache"]


def warm_page_cache(paths: Sequence[Path]) -> None:
    """Re-read every file right before a timed pass: this machine pages out what idles."""
    for path in paths:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass


def bytes_read_so_far() -> int:
    """Bytes this process has read through read(2) and friends (`rchar`)."""
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar:")).split()[1])
