"""Reading files in worker processes as the walk finds them, in order, a few tasks ahead.

No worker outlives the command. Workers start with SIGINT and SIGTERM blocked (the mask is
inherited through exec), so a Ctrl-C that reaches the whole process group while they are
still importing prints nothing there; once started they ignore SIGINT and SIGTERM (the
parent stops them, between two results) and die with their parent: PR_SET_PDEATHSIG on
Linux, and a thread that watches `os.getppid()` everywhere, for a parent killed with SIGKILL
or by the out-of-memory killer. On any exception in the parent (Ctrl-C, SIGTERM turned into
one by the CLI, a store error), the pool is stopped and its processes reaped before it re-
raises.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import chain, islice

from ..errors import ExtractError
from ..models import FileEntry, LibraryFile
from ..util import chunks
from .extract import ExtractBatch, extract_batch
from .worker import ORPHAN_CHECK_S, STOP_SIGNALS, Packed, read_task, start_worker

__all__ = ["GRACE_S", "IN_PROCESS_FILES", "ORPHAN_CHECK_S", "TASK_FILES", "read_in_pool"]

TASK_FILES = 64  # files per worker task: large enough to amortise the pickling
#: Tasks in flight per worker: enough that the workers read on while this process commits
#: (a commit of a few thousand rows takes a tenth of a second; a task, about 10 ms).
_TASKS_AHEAD = 8
#: Fewer files than this are read in this process: starting worker processes takes longer.
IN_PROCESS_FILES = 400
#: How long a stopping pool waits for a worker to finish its task before killing it.
GRACE_S = 3.0


def read_in_pool(
    entries: Iterable[FileEntry], workers: int, full_hash: bool
) -> Iterator[tuple[Sequence[FileEntry], ExtractBatch]]:
    """(task, what it gave) for tasks of a few dozen files, in order, `workers` at a time.

    `entries` may be a generator (the walk and the diff): tasks are submitted as it yields
    them, so the pool reads while the walk goes on, and results come back as they are done.
    """
    iterator = iter(entries)
    first = list(islice(iterator, IN_PROCESS_FILES + 1))
    tasks = chunks(chain(first, iterator), TASK_FILES)
    if workers == 1 or len(first) <= IN_PROCESS_FILES:
        for task in tasks:
            yield task, extract_batch(task, full_hash=full_hash)
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=start_worker, initargs=(os.getpid(),)
    )
    pending: deque[tuple[Sequence[FileEntry], Future[Packed]]] = deque()
    try:
        for number, task in enumerate(tasks):
            items = [(entry.path, entry.library_root) for entry in task]
            with _signals_blocked(number < workers):  # the first submits start the workers
                pending.append((task, pool.submit(read_task, items, full_hash)))
            while pending and (len(pending) >= workers * _TASKS_AHEAD or pending[0][1].done()):
                done_task, done = pending.popleft()
                yield done_task, _unpack(done.result())
        while pending:
            done_task, done = pending.popleft()
            yield done_task, _unpack(done.result())
    except BaseException:
        _tear_down(pool)
        raise
    pool.shutdown(wait=True)


def _unpack(packed: Packed) -> ExtractBatch:
    files, errors = packed
    return ExtractBatch(
        [LibraryFile(*fields) for fields in files],
        [ExtractError(path, reason) for path, reason in errors],
    )


@contextmanager
def _signals_blocked(blocked: bool) -> Iterator[None]:
    """SIGINT and SIGTERM held back in this thread (and in processes it starts) meanwhile;
    one that arrives is delivered when the block ends."""
    if not blocked or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _tear_down(pool: ProcessPoolExecutor) -> None:
    """Stop the pool now: queued tasks cancelled, each worker left to finish the task in
    hand (a few dozen files, well under a second) and gone; one still busy after `GRACE_S`
    is killed. Every worker is reaped, and the pool's manager thread joined.

    Workers are not killed at once: one killed while it writes a result into the pipe it
    shares with the manager thread leaves half a message there, the manager blocks reading
    the rest forever, and the command hangs at the join (or at the interpreter's exit)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + GRACE_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(1.0)
    manager = getattr(pool, "_executor_manager_thread", None)
    if isinstance(manager, threading.Thread):
        manager.join(GRACE_S)
