"""Reading files in worker processes, in order, a few tasks ahead of the consumer."""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from ..models import FileEntry
from ..read import ExtractBatch, extract_batch
from ..util import chunks

__all__ = ["IN_PROCESS_FILES", "TASK_FILES", "read_in_pool"]

TASK_FILES = 64  # files per worker task: large enough to amortise the pickling
#: Fewer files than this are read in this process: starting worker processes takes longer.
IN_PROCESS_FILES = 400


def read_in_pool(
    entries: Sequence[FileEntry], workers: int, full_hash: bool
) -> Iterator[tuple[Sequence[FileEntry], ExtractBatch]]:
    """(task, what it gave) for tasks of a few dozen files, in order, `workers` at a time."""
    tasks = list(chunks(entries, TASK_FILES))
    if workers == 1 or len(entries) <= IN_PROCESS_FILES:
        for task in tasks:
            yield task, extract_batch(task, full_hash=full_hash)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_sigint) as pool:
        pending: deque[tuple[Sequence[FileEntry], Future[ExtractBatch]]] = deque()
        try:
            for task in tasks:
                pending.append((task, _submit(pool, task, full_hash)))
                if len(pending) >= workers * 3:
                    done_task, done = pending.popleft()
                    yield done_task, done.result()
            while pending:
                done_task, done = pending.popleft()
                yield done_task, done.result()
        except BaseException:
            for _, future in pending:
                future.cancel()
            raise


def _submit(
    pool: ProcessPoolExecutor, task: Sequence[FileEntry], full_hash: bool
) -> Future[ExtractBatch]:
    """Submit with SIGINT blocked: a worker started here inherits the mask, so a Ctrl-C that
    arrives while it is still starting up waits until it ignores SIGINT (no traceback)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return pool.submit(extract_batch, task, full_hash=full_hash)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and commits what is done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
