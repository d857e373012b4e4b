"""`review`: find the groups, serve the page on 127.0.0.1 until Ctrl-C. The page's code
(Werkzeug, numpy, soundfile) is imported only when it runs: other commands start fast."""

from __future__ import annotations

import os
import threading
import webbrowser
from pathlib import Path

import click
import platformdirs
from rich.console import Console

from ..review import PRESETS, ReviewOptions, ReviewSession
from .acting import KINDS_OPTION, roots_option, status
from .app import (
    ExitStatus,
    Target,
    db_option,
    fpcalc,
    kinds_from,
    open_db_to_cache,
    view_option,
)
from .commands import cli
from .paths import PathParam

__all__ = ["review"]

_FOLDER = PathParam(file_okay=False)


@cli.command()
@KINDS_OPTION
@roots_option("Of copies of one quality, keep one under this folder; repeat to rank several.")
@click.option(
    "--protect",
    multiple=True,
    type=_FOLDER,
    help="Never move or trash files under this folder; of copies of one quality, keep one here.",
)
@click.option(
    "--preset",
    type=click.Choice(list(PRESETS)),
    default="quality",
    show_default=True,
    help="The keeper rules the page starts with.",
)
@click.option("--move-to", type=_FOLDER, help="Apply moves the other copies here.")
@click.option("--trash", is_flag=True, help="Apply sends the other copies to the system trash.")
@click.option("--no-browser", is_flag=True, help="Print the address only; open no browser.")
@db_option
@view_option
def review(
    kinds: str,
    roots: tuple[Path, ...],
    protect: tuple[Path, ...],
    preset: str,
    move_to: Path | None,
    trash: bool,
    no_browser: bool,
    db_path: Target,
    view: str | None,
) -> ExitStatus:
    """Decide duplicate groups on a local page: listen to each copy, see its spectrogram,
    pick the keeper, preview, apply, undo. Serves 127.0.0.1 only, with a secret address;
    Ctrl-C stops it. Without --move-to or --trash the page shows but cannot act.

    Example: music-tools review --root ~/Music/flac --move-to ~/Music/spare
    """
    from ..review.server import ReviewServer
    from ..review.spectrogram import SpectrogramCache

    if move_to is not None and trash:
        raise click.UsageError("--move-to and --trash: choose one")
    options = ReviewOptions(
        kinds=tuple(kinds_from(kinds)),
        preferred=tuple(os.path.abspath(r) for r in roots),
        protected=tuple(os.path.abspath(p) for p in protect),
        preset=preset,
        move_to=os.path.abspath(move_to) if move_to is not None else None,
        trash=trash,
        log_folder=str(db_path.parent) if isinstance(db_path, Path) else ".",
        fpcalc=fpcalc(),
    )
    errors = Console(stderr=True)
    with open_db_to_cache(db_path, move_to is not None or trash, view) as db:
        session = ReviewSession(db, options)
        with status(errors, False, "finding duplicates"):
            seconds = session.refresh()
        click.echo(f"{len(session.groups):,} groups found in {seconds:.1f} s", err=True)
        cache = platformdirs.user_cache_path("music-tools") / "spectrograms"
        server = ReviewServer(session, SpectrogramCache(str(cache)))
        server.start()
        try:
            click.echo(f"review: {server.url}")
            click.echo("the page runs until Ctrl-C", err=True)
            if not no_browser:  # a text-mode browser would hold this thread: not Ctrl-C's
                threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
            while server.running:
                server.wait(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    click.echo("review stopped", err=True)
    return ExitStatus.OK
