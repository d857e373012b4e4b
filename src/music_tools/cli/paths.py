"""The paths a command takes from its user: every path argument and option, and the
check that a file a command writes is none of the library's own."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import click

from ..util import printable_path

__all__ = ["EMPTY_PATH", "NOT_A_LOG", "PathParam", "refuse_own_file"]

#: the reason given for '' (which click would take for the current folder)
EMPTY_PATH = "an empty path (. names the current folder)"

#: why a folder given as an action log (--log, undo's LOG) is refused
NOT_A_LOG = "a folder, not an action log"

#: a library's database, and the files SQLite and the run lock keep beside it
_OWN = (
    ("", "the database"),
    ("-wal", "the write-ahead log"),
    ("-shm", "the shared-memory index"),
    ("-journal", "the journal"),
    (".lock", "the run lock"),
)


class PathParam(click.Path):
    """click.Path, its refusals one line `<path>: <reason>`; an empty value is refused
    before click makes it Path('.'), so '' never means the current folder.

    `folder_refused` says why a folder is no good where a file is wanted ("a folder, not an
    action log"); a file where a folder is wanted is "not a folder"."""

    def __init__(self, *, folder_refused: str = "a folder, not a file", **kwargs: Any) -> None:
        kwargs.setdefault("path_type", Path)
        super().__init__(**kwargs)
        self.folder_refused = folder_refused

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str | bytes) and not value:
            raise click.UsageError(f"{_hint(param)}: {EMPTY_PATH}", ctx)
        if isinstance(value, str) and not (self.allow_dash and value == "-"):
            name = printable_path(value)
            try:
                mode = os.stat(value).st_mode
            except OSError:
                mode = None
            if mode is not None and not self.dir_okay and stat.S_ISDIR(mode):
                raise click.UsageError(f"{name}: {self.folder_refused}", ctx)
            if mode is not None and not self.file_okay and not stat.S_ISDIR(mode):
                raise click.UsageError(f"{name}: not a folder", ctx)
            if mode is not None and self.readable and not os.access(value, os.R_OK):
                raise click.UsageError(f"{name}: permission denied", ctx)
        return super().convert(value, param, ctx)


def _hint(param: click.Parameter | None) -> str:
    """How the error line names the parameter: --move-to, or PATHS."""
    if param is None:
        return "path"
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name


def refuse_own_file(option: str, path: Path, db_path: object) -> None:
    """A usage error when `path`, a file the command is to write, is the library's
    database (`db_path`) or one SQLite or the run lock keeps beside it: writing there would
    destroy the library. Compared resolved, and by inode, so links and other spellings of
    the name are caught too; a PostgreSQL catalog has no such file."""
    if not isinstance(db_path, Path) or str(path) == "-":
        return
    database = os.path.realpath(db_path)
    target = os.path.realpath(path)
    for end, what in _OWN:
        for name in {database, os.path.abspath(db_path)}:
            if target == f"{name}{end}" or _same_file(target, f"{name}{end}"):
                raise click.UsageError(
                    f"{printable_path(str(path))}: the library's own file ({what} of "
                    f"{printable_path(database)}); {option} takes another file"
                )


def _same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them is not there: not the same file
        return False
