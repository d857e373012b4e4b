"""The run lock of an SQLite library: an exclusive `flock` on a file beside the database
(`library.db.lock`), so that the commands that change files or many rows (`index`,
`relocate`, `undo`, an acting `check` or `dupes`) of one library take turns, as
PostgreSQL's advisory lock makes them do on a catalog. SQLite's own write lock serializes
each transaction only: two runs that each plan on what they read first (two `dupes
--apply` keeping opposite copies) would each remove the copy the other keeps.

- Waited for as long as the other run holds it (as on PostgreSQL; Ctrl-C ends the wait),
  saying so through `on_wait` after a second.
- Made on first use and never removed: a run waiting on a lock file that another removed
  and made anew would hold a lock no one else sees. It stays empty.
- Re-entrant within one process (an `index` inside a command that holds it already).
- No lock where there is nothing to lock beside or with: `:memory:`, a system without
  `fcntl` (Windows), a folder this user cannot write holding no lock file yet.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import StoreError, os_reason

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["RunLock"]

#: how often a waiting run tries again (a second run starts within this of the first's end)
_POLL_S = 0.05
_NOTICE_S = 1.0
_CANNOT_CREATE = (errno.EACCES, errno.EPERM, errno.EROFS)


class RunLock:
    """The lock file at `path`, held by `held()` blocks (nested ones share it)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._depth = 0

    @contextmanager
    def held(self, on_wait: Callable[[], None] | None) -> Iterator[None]:
        if self._depth or fcntl is None:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        fd = self._open()
        try:
            if fd is not None:
                self._wait_for(fd, on_wait)
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                if fd is not None:  # before closing: a child process may share the file
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            if fd is not None:
                os.close(fd)

    def _open(self) -> int | None:
        """The lock file, opened (made if need be); None where it cannot be made."""
        flags = os.O_NONBLOCK | os.O_CLOEXEC  # a FIFO put there must not block the open
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | flags, 0o666)
        except OSError as exc:
            if exc.errno == errno.EISDIR:
                raise StoreError(self.path, _NOT_A_FILE) from None
            if exc.errno not in _CANNOT_CREATE:
                raise StoreError(self.path, os_reason(exc)) from None
            try:  # a folder this user cannot write: a lock file made by another will do
                fd = os.open(self.path, os.O_RDONLY | flags)
            except FileNotFoundError:
                return None
            except OSError as again:
                raise StoreError(self.path, os_reason(again)) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StoreError(self.path, _NOT_A_FILE)
        return fd

    def _wait_for(self, fd: int, on_wait: Callable[[], None] | None) -> None:
        assert fcntl is not None
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            except OSError as exc:
                raise StoreError(self.path, f"cannot take the run lock: {os_reason(exc)}") from None
            if not told and time.monotonic() - started >= _NOTICE_S:
                told = True
                if on_wait is not None:
                    on_wait()
            time.sleep(_POLL_S)


_NOT_A_FILE = "not a regular file: music-tools keeps the library's run lock here; remove it"
