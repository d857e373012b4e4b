"""A small real library with duplicate groups, for the review page's tests.

Music/ holds one song as a FLAC, a byte copy of that FLAC and an MP3 (a group of three),
and another song as a FLAC and an MP3 (a group of two), all music-like audio (chords, a
melody, drums), so a spectrogram shows something. `Served` is the page running over it,
with a real HTTP client.
"""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from music_tools.identity.fpcalc import Fpcalc
from music_tools.library import LibraryDatabase, LibraryIndexer
from music_tools.review import ReviewOptions, ReviewSession
from music_tools.review.server import ReviewServer
from music_tools.review.spectrogram import SpectrogramCache

from .audio_factory import Tags, write_tags
from .music_factory import song, write_song


def make_music(root: Path, seconds: float = 2.0) -> Path:
    music = root / "Music"
    roads = Tags(artist="Portishead", title="Roads", album="Dummy", mbid=None)
    flac = _song(music / "flac" / "roads.flac", 1, seconds, roads)
    _song(music / "mp3" / "roads.mp3", 1, seconds, roads)
    (music / "copies").mkdir()
    shutil.copyfile(flac, music / "copies" / "roads.flac")
    joga = Tags(artist="Björk", title="Jóga", album="Homogenic", mbid=None)
    _song(music / "flac" / "joga.flac", 2, seconds, joga)
    _song(music / "mp3" / "joga.mp3", 2, seconds, joga)
    return music


def copy_music(template: Path, root: Path) -> Path:
    """The template's files under root/Music, with their mtimes (the keeper rules read
    them)."""
    return Path(shutil.copytree(template, root / "Music"))


def _song(path: Path, seed: int, seconds: float, tags: Tags) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix[1:]
    write_song(path, song(seed, seconds), fmt)
    write_tags(path, fmt, tags)
    return path


def index_music(music: Path, db_path: Path | str) -> None:
    with LibraryDatabase(db_path) as db:
        LibraryIndexer(db, workers=1).index([music])


@dataclass
class Served:
    """A running review server over a real library, and what the tests need of it."""

    server: ReviewServer
    session: ReviewSession
    music: Path
    spare: Path
    cache: Path

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "query",
        host: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """A real HTTP request: the token in the query (default), in the header
        ("header"), wrong or absent (any other string, None)."""
        sent = dict(headers or {})
        sent["Host"] = host or f"127.0.0.1:{self.server.port}"
        if token == "query":
            path += ("&" if "?" in path else "?") + f"token={self.server.token}"
        elif token == "header":
            sent["X-Music-Tools-Token"] = self.server.token
        elif token is not None:
            path += ("&" if "?" in path else "?") + f"token={token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, _, data = self.request(method, path, body)
        assert status == 200, data
        return json.loads(data)


@contextmanager
def serving(template: Path, root: Path) -> Iterator[Served]:
    """The template's library copied under `root`, indexed, and served; Apply moves the
    other copies to root/spare."""
    music = copy_music(template, root)
    db_path = root / "library.db"
    index_music(music, db_path)
    spare = root / "spare"
    options = ReviewOptions(move_to=str(spare), log_folder=str(root), fpcalc=Fpcalc(""))
    with LibraryDatabase(db_path) as db:
        session = ReviewSession(db, options)
        session.refresh()
        cache = root / "cache"
        with ReviewServer(session, SpectrogramCache(str(cache))) as server:
            yield Served(server, session, music, spare, cache)
