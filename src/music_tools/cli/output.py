"""Where a command's output goes, stdout or the file `-o` names, and the one line a person
reads when it cannot be written there."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

import click

from ..errors import MusicToolsError, os_reason
from ..util import printable_path, special_kind

__all__ = ["STDOUT", "check_folder", "output_file", "settle_stdout", "writing_stdout"]

#: how an error line names the standard output
STDOUT = "<stdout>"


@contextmanager
def writing_stdout() -> Iterator[None]:
    """Around a command's writes to stdout, flushed at the end.

    A reader that stops early (`| head`) ends the output, not the command: the rest goes
    nowhere, and the command finishes as it would have (`check` still exits 3, an applied
    action still runs). Any other failure, a full disk, is one line naming <stdout>."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise MusicToolsError(f"{STDOUT}: {os_reason(exc)}") from None


def settle_stdout() -> None:
    """Before an error line: what the command printed is flushed, or dropped when it cannot
    be written (the reader left, the disk is full), so that the error stays the one line."""
    try:
        sys.stdout.flush()
    except OSError:
        _discard_stdout()


def _discard_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered, and whatever comes after, goes
    nowhere, so the interpreter's last flush has nothing to fail on (no "Exception ignored")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a stream without a descriptor (tests)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


@contextmanager
def output_file(path: Path) -> Iterator[TextIO]:
    """Where `-o PATH` writes ("-": stdout).

    A name of a descriptor this process holds open (/dev/stdout, /dev/stderr, /dev/fd/N,
    /proc/self/fd/N: a shell's redirection) is written through that descriptor, so a
    `>>` appends. A new file is written in full or not at all: a temporary file beside it,
    renamed into place on success; so is an existing regular file of this user's with no
    other name. One that has other names (hard links) or another owner is written to
    once the temporary file is whole, in place, as `>` would: it stays the same file. One
    this user may not write is refused, as `>` refuses it. A symbolic link is followed,
    and its target treated so. Anything else is written straight to, as `>` does: a FIFO
    (a reader waits for this very output) or a character device (/dev/null; /dev/full
    then fails with "no space left on device"). A block device is refused.
    """
    held = _held_descriptor(str(path))
    if str(path) == "-" or held == 1:
        with writing_stdout():
            yield sys.stdout
        return
    name = printable_path(str(path))
    if held is not None:
        with _through(held, name) as out:
            yield out
        return
    check_folder(path)
    target = os.path.realpath(path)
    try:
        found: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        found = None  # a new file (or a dangling link's target, which `>` would create too)
    except OSError as exc:
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None
    if found is not None and stat.S_ISBLK(found.st_mode):
        raise click.UsageError(
            f"{name}: {special_kind(found.st_mode)}; -o takes a file, a FIFO or /dev/null"
        )
    try:
        if found is None or stat.S_ISREG(found.st_mode):
            with _replacing(target, found, name) as out:
                yield out
        else:
            with open(target, "w", encoding="utf-8", newline="") as out:
                yield out
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None  # a write: ENOSPC, EIO


#: the names by which a process reaches the descriptors it holds
_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_FOLDERS = ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/")


def _held_descriptor(path: str) -> int | None:
    """The descriptor `path` names in this process, or None for any other path."""
    if path == "-":
        return None
    path = os.path.abspath(path)
    if path in _STANDARD:
        return _STANDARD[path]
    for folder in (*_FD_FOLDERS, f"/proc/{os.getpid()}/fd/"):
        number = path.removeprefix(folder)
        if number != path and number.isdigit() and number.isascii():
            return int(number)
    return None


@contextmanager
def _through(fd: int, name: str) -> Iterator[TextIO]:
    """Writes through a copy of descriptor `fd`: the same open file, its offset and its
    append mode shared (reopening the name would start it anew, or find no file at all
    for a pipe's)."""
    try:
        copy = os.dup(fd)
    except OSError as exc:
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None
    with open(copy, "w", encoding="utf-8", newline="") as out:
        yield out


def check_folder(path: Path) -> None:
    """A usage error when the folder `path` names is not there (the user's folder, named
    as given, rather than "no such file"): for `-o` and `--log`."""
    name = printable_path(str(path))
    folder = os.path.dirname(path) or "."
    try:
        mode = os.stat(folder).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise click.UsageError(
            f"{name}: the folder {printable_path(folder)} does not exist"
        ) from None
    except OSError:
        return  # not for this check to tell (permission denied): the write says it
    if not stat.S_ISDIR(mode):
        raise click.UsageError(f"{name}: {printable_path(folder)} is not a folder")


@contextmanager
def _replacing(target: str, found: os.stat_result | None, name: str) -> Iterator[TextIO]:
    """A temporary file beside `target`, put in its place once written, removed on any
    error; `found` is what is at `target` now (None: nothing)."""
    if found is not None and not os.access(target, os.W_OK, effective_ids=_EFFECTIVE):
        raise MusicToolsError(f"{name}: permission denied (a file you may not write)")
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", dir=os.path.dirname(target)
        )
    except OSError as exc:
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None
    try:
        with open(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        if found is None or (found.st_nlink == 1 and found.st_uid == os.geteuid()):
            os.chmod(temporary, stat.S_IMODE(found.st_mode) if found else 0o666 & ~_umask())
            os.replace(temporary, target)
        else:  # the same file stays: its other names, owner and permissions with it
            with open(temporary, "rb") as whole, open(target, "wb") as kept:
                shutil.copyfileobj(whole, kept)
            os.unlink(temporary)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


_EFFECTIVE = os.access in os.supports_effective_ids


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
