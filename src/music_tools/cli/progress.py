"""The progress bar on a terminal (and nothing when piped or quiet)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from ..models import Progress as Event

__all__ = ["count_progress", "index_progress"]


@contextmanager
def index_progress(console: Console, quiet: bool) -> Iterator[Callable[[Event], None]]:
    if quiet or not console.is_terminal:
        yield lambda event: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("scanning", total=None, rate="")

        phase = ["read"]

        def update(event: Event) -> None:
            if event.phase != phase[0]:  # its own bar: the fingerprints' rate is not reading's
                phase[0] = event.phase
                bar.reset(task)
            speed = bar.tasks[task].speed
            rate = f"{speed:,.1f} files/s" if speed else ""
            description = f"{event.found:,} found, reading" if event.total is None else "reading"
            if event.phase == "fingerprint":
                description = "fingerprinting"
            elif event.phase == "quality":
                description = "judging quality"
            bar.update(
                task, description=description, completed=event.done, total=event.total, rate=rate
            )

        yield update


@contextmanager
def count_progress(
    console: Console, quiet: bool, description: str
) -> Iterator[Callable[[Event], None]]:
    """A bar fed with each event's done and total; nothing when quiet or piped."""
    if quiet or not console.is_terminal:
        yield lambda event: None
        return
    with Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda event: bar.update(task, completed=event.done, total=event.total)
