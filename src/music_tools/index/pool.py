"""Reading files in worker processes as the walk finds them, in order, a few tasks ahead.

The entries come from a generator (the walk and the diff); the pool reads while the walk
goes on, so the disk and the processors are busy at once.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice

from ..models import FileEntry
from ..read import ExtractBatch, extract_batch
from ..util import chunks

__all__ = ["IN_PROCESS_FILES", "TASK_FILES", "read_in_pool"]

TASK_FILES = 64  # files per worker task: large enough to amortise the pickling
#: Fewer files than this are read in this process: starting worker processes takes longer.
IN_PROCESS_FILES = 400


def read_in_pool(
    entries: Iterable[FileEntry], workers: int, full_hash: bool
) -> Iterator[tuple[Sequence[FileEntry], ExtractBatch]]:
    """(task, what it gave) for tasks of a few dozen files, in order, `workers` at a time."""
    iterator = iter(entries)
    first = list(islice(iterator, IN_PROCESS_FILES + 1))
    tasks = chunks(chain(first, iterator), TASK_FILES)
    if workers == 1 or len(first) <= IN_PROCESS_FILES:
        for task in tasks:
            yield task, extract_batch(task, full_hash=full_hash)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_sigint) as pool:
        pending: deque[tuple[Sequence[FileEntry], Future[ExtractBatch]]] = deque()
        try:
            for task in tasks:
                pending.append((task, pool.submit(extract_batch, task, full_hash=full_hash)))
                while pending and (len(pending) >= workers * 3 or pending[0][1].done()):
                    done_task, done = pending.popleft()
                    yield done_task, done.result()
            while pending:
                done_task, done = pending.popleft()
                yield done_task, done.result()
        except BaseException:
            for _, future in pending:
                future.cancel()
            raise


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and commits what is done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
