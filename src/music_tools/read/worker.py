"""What a worker process of the index's pool runs: kept out of `music_tools.index`, so that
a worker imports the readers and nothing of the store, the walk or the duplicate finder
(each worker starts a fresh interpreter: what it imports, every run pays per worker)."""

from __future__ import annotations

import os
import signal
import threading
import time
from operator import attrgetter
from typing import Any

from ..errors import ExtractError
from ..models import LIBRARY_FILE_FIELDS
from ..util import die_with_parent
from .extract import extract

__all__ = ["ORPHAN_CHECK_S", "STOP_SIGNALS", "Packed", "read_task", "start_worker"]

#: How often a worker checks that its parent is still there (the fallback to PDEATHSIG).
ORPHAN_CHECK_S = 0.5
#: the signals the parent handles for its workers: held back while they start, then ignored
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
_FIELDS = attrgetter(*LIBRARY_FILE_FIELDS)
#: what a worker returns for a task: each file's fields in LIBRARY_FILE_FIELDS order, and
#: (path, reason) of each failure
Packed = tuple[list[tuple[Any, ...]], list[tuple[str, str]]]


def read_task(items: list[tuple[str, str | None]], full_hash: bool) -> Packed:
    """In a worker: read a task's files (path, library root). The results travel as plain
    tuples: a slotted dataclass pickles and unpickles about five times slower, and the
    parent, which unpickles every result, shares the CPUs with the workers."""
    files: list[tuple[Any, ...]] = []
    errors: list[tuple[str, str]] = []
    for path, root in items:
        try:
            files.append(_FIELDS(extract(path, full_hash=full_hash, root=root)))
        except ExtractError as exc:
            errors.append((exc.path, exc.reason))
    return files, errors


def start_worker(parent: int) -> None:
    """In each worker: leave Ctrl-C and SIGTERM to the parent (which stops the pool between
    two results), and die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    die_with_parent()  # where it cannot, the watchdog below still ends the worker
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(1)
