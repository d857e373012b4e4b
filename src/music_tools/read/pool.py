"""Reading files in worker processes as the walk finds them, in order, a few tasks ahead;
and what each worker runs (a worker imports this module and the readers, nothing of the
store, the walk or the duplicate finder: each starts a fresh interpreter).

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from operator import attrgetter
from typing import Any, TypeVar

from ..errors import ExtractError, ExtractKind
from ..models import LIBRARY_FILE_FIELDS, FileEntry, LibraryFile
from ..util import chunks, die_with_parent
from .extract import ExtractBatch, extract, extract_batch

__all__ = [
    "GRACE_S",
    "IN_PROCESS_FILES",
    "ORPHAN_CHECK_S",
    "TASK_FILES",
    "map_in_pool",
    "read_in_pool",
]

T = TypeVar("T")
R = TypeVar("R")
TASK_FILES = 64  # files per worker task: large enough to amortise the pickling
#: Tasks in flight per worker: enough that the workers read on while this process commits.
_TASKS_AHEAD = 8
#: Fewer files than this are read in this process: starting worker processes takes longer.
IN_PROCESS_FILES = 400
#: How long a stopping pool waits for a worker to finish its task before killing it.
GRACE_S = 3.0
#: How often a worker checks that its parent is still there (the fallback to PDEATHSIG).
ORPHAN_CHECK_S = 0.5
#: the signals the parent handles for its workers: held back while they start, then ignored
_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
_FIELDS = attrgetter(*LIBRARY_FILE_FIELDS)
#: what a worker returns for a task: each file's fields in LIBRARY_FILE_FIELDS order, and
#: (path, reason, kind's value) of each failure
_Packed = tuple[list[tuple[Any, ...]], list[tuple[str, str, str]]]


def read_in_pool(
    entries: Iterable[FileEntry], workers: int, full_hash: bool, fast_read: bool = True
) -> Iterator[tuple[Sequence[FileEntry], ExtractBatch]]:
    """(task, what it gave) for tasks of a few dozen files, in order, `workers` at a time,
    each file read as `extract(..., full_hash=, fast_read=)` reads it.

    `entries` may be a generator (the walk and the diff): tasks are submitted as it yields
    them, so the pool reads while the walk goes on, and results come back as they are done.
    """
    iterator = iter(entries)
    first = list(islice(iterator, IN_PROCESS_FILES + 1))
    tasks = chunks(chain(first, iterator), TASK_FILES)
    if workers == 1 or len(first) <= IN_PROCESS_FILES:
        for task in tasks:
            yield task, extract_batch(task, full_hash=full_hash, fast_read=fast_read)
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )
    pending: deque[tuple[Sequence[FileEntry], Future[_Packed]]] = deque()
    try:
        for number, task in enumerate(tasks):
            items = [(entry.path, entry.library_root) for entry in task]
            # the first submits start the workers: they inherit the blocked signals
            blocked = _block_stop_signals() if number < workers else None
            try:
                pending.append((task, pool.submit(_read_task, items, full_hash, fast_read)))
            finally:
                if blocked is not None:
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
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


def map_in_pool(
    function: Callable[..., R],
    tasks: Iterable[T],
    workers: int,
    *args: Any,
    payload: Callable[[T], Any] = lambda task: task,
) -> Iterator[tuple[T, R]]:
    """(task, function(payload(task), *args)) for each task, in order, in `workers` worker
    processes started, stopped and reaped as read_in_pool's (Ctrl-C stops them between two
    results).

    `function` must be a module-level function of a light module (each worker imports it);
    `payload` is what of a task travels to it (plain data pickles fast). It all runs in
    this process when `workers` is 1."""
    if workers == 1:
        for task in tasks:
            yield task, function(payload(task), *args)
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )
    pending: deque[tuple[T, Future[R]]] = deque()
    try:
        for number, task in enumerate(tasks):
            blocked = _block_stop_signals() if number < workers else None
            try:
                pending.append((task, pool.submit(function, payload(task), *args)))
            finally:
                if blocked is not None:
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            while pending and (len(pending) >= workers * _TASKS_AHEAD or pending[0][1].done()):
                done_task, done = pending.popleft()
                yield done_task, done.result()
        while pending:
            done_task, done = pending.popleft()
            yield done_task, done.result()
    except BaseException:
        _tear_down(pool)
        raise
    pool.shutdown(wait=True)


def _unpack(packed: _Packed) -> ExtractBatch:
    files, errors = packed
    return ExtractBatch(
        [LibraryFile(*fields) for fields in files],
        [ExtractError(path, reason, ExtractKind(kind)) for path, reason, kind in errors],
    )


def _block_stop_signals() -> set[int | signal.Signals] | None:
    """Hold SIGINT and SIGTERM back in this thread (and in the processes it starts), if it
    is the main thread: the mask to restore (a signal that came is delivered then)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)


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


# -- in each worker ---------------------------------------------------------------------------


def _start_worker(parent: int) -> None:
    """Leave Ctrl-C and SIGTERM to the parent (which stops the pool between two results),
    and die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    die_with_parent()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(1)


def _read_task(items: list[tuple[str, str | None]], full_hash: bool, fast_read: bool) -> _Packed:
    """Read a task's files (path, library root). The results travel as plain tuples, which
    pickle faster than dataclasses: the parent unpickles every result (docs/benchmarks.md)."""
    files: list[tuple[Any, ...]] = []
    errors: list[tuple[str, str, str]] = []
    for path, root in items:
        try:
            file = extract(path, full_hash=full_hash, root=root, fast_read=fast_read)
            files.append(_FIELDS(file))
        except ExtractError as exc:
            errors.append((exc.path, exc.reason, exc.kind.value))
    return files, errors
