"""Where a command's output goes, stdout or the file `-o` names, and the one line a person
reads when it cannot be written there."""

from __future__ import annotations

import os
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

    A regular file, or a new name, is written in full or not at all: a temporary file
    beside it, renamed over it on success (an existing file's permissions kept). A symbolic
    link is followed, and its target treated so. Anything else is written straight to, as
    a shell's `>` does: a FIFO (a reader waits for this very output) or a character device
    (/dev/null; /dev/full then fails with "no space left on device"); a rename would put a
    plain file in its place. A block device is refused: text is never written over a disk.
    """
    if str(path) == "-":
        with writing_stdout():
            yield sys.stdout
        return
    name = printable_path(str(path))
    check_folder(path)
    target = os.path.realpath(path)
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None  # a new file (or a dangling link's target, which `>` would create too)
    except OSError as exc:
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None
    if mode is not None and stat.S_ISBLK(mode):
        raise click.UsageError(
            f"{name}: {special_kind(mode)}; -o takes a file, a FIFO or /dev/null"
        )
    try:
        if mode is None or stat.S_ISREG(mode):
            with _replacing(target, mode, name) as out:
                yield out
        else:
            with open(target, "w", encoding="utf-8", newline="") as out:
                yield out
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None  # a write: ENOSPC, EIO


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
def _replacing(target: str, mode: int | None, name: str) -> Iterator[TextIO]:
    """A temporary file beside `target`, renamed over it once written, removed on any error."""
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", dir=os.path.dirname(target)
        )
    except OSError as exc:
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None
    try:
        with open(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
