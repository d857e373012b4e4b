"""A batch of keyed writes in one transaction, handed to the engine a chunk at a time."""

from __future__ import annotations

from collections.abc import Iterable, Sized
from typing import Any

from ..util import chunks
from .batch import BatchResult
from .engine import Engine
from .sql import ItemWrite

__all__ = ["write_many"]


def write_many(
    engine: Engine, job: ItemWrite, items: Iterable[Any], batch_size: int
) -> BatchResult:
    """Write `items` in chunks of `batch_size`, all in one transaction.

    `batch_size` is the unit handed to the engine at once; a bad row is isolated
    within it at no cost to the others, so it no longer trades speed for safety.
    Committing per chunk would: each commit rewrites the touched index pages to the
    WAL (see benchmarks/benchmark_batch_operations.py, "commit per batch").
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = BatchResult()
    size = engine.write_chunk(batch_size)
    rows = len(items) if isinstance(items, Sized) else None
    with engine.atomic(), engine.bulk_load(job.spec, rows):
        for chunk in chunks(items, size):
            result += engine.write(job, chunk)
    return result
