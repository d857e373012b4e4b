"""Running one check as the unprivileged user `nobody` (the tests run as root, who may read
and write everything): a subprocess through `runuser`, or a forked child that drops to
nobody, does the one check, reports it through a pipe and always exits."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NOBODY = 65534


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root, to drop to the user nobody")


def as_nobody(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` in a forked child running as nobody; its JSON-able result.

    The child never returns into pytest: whatever happens, it writes one answer and
    leaves with os._exit.
    """
    return as_user(NOBODY, function, *args)


def as_user(uid: int, function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` in a forked child running as user (and group) `uid`; as
    `as_nobody`."""
    require_root()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        answer: Any = "child failed"
        try:
            os.close(read_fd)
            os.setgid(uid)
            os.setuid(uid)
            answer = function(*args)
        except BaseException as exc:
            answer = f"child failed: {exc!r}"
        finally:
            try:
                os.write(write_fd, json.dumps(answer).encode())
            finally:
                os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        output = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(output)


def run_cli_as_nobody(*args: str | Path) -> CliOutcome:
    """`music-tools ARGS` as nobody, in a forked child (the interpreter lives under /root,
    which nobody cannot execute, so runuser is no option here)."""
    return run_cli_as(NOBODY, *args)


def run_cli_as(uid: int, *args: str | Path) -> CliOutcome:
    """`music-tools ARGS` as user `uid`, as `run_cli_as_nobody`."""
    answer = as_user(uid, _invoke, [str(a) for a in args])
    if isinstance(answer, str):
        raise AssertionError(answer)
    return CliOutcome(**answer)


@dataclass
class CliOutcome:
    returncode: int
    stdout: str
    stderr: str


def _invoke(args: list[str]) -> dict[str, Any]:
    from click.testing import CliRunner

    from music_tools.cli import cli

    result = CliRunner().invoke(cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return {"returncode": -1, "stdout": result.stdout, "stderr": repr(result.exc_info)}
    return {"returncode": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}


@contextmanager
def shared_folder(prefix: str) -> Iterator[Path]:
    """A folder outside pytest's private tmp_path, which nobody cannot enter."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o777 if path.is_dir() else 0o666)
        shutil.rmtree(folder)
