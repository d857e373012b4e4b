"""The command line: parse, call the library, render, exit. No SQL and no mutagen here."""

from __future__ import annotations

import enum

import click

from . import __version__

__all__ = ["ExitStatus", "cli", "main"]


class ExitStatus(enum.IntEnum):
    """Exit codes, in one place."""

    OK = 0
    ERROR = 1
    USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="music-tools")
def cli() -> None:
    """Index a music collection and tell, fast and exactly, which files you already have."""


def main() -> None:
    cli(prog_name="music-tools")
