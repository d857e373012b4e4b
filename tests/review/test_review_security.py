"""Who may use the review page, checked with real HTTP requests against a running server:
only this machine, only under the server's own name, only with the token, changes only
by POST, files only by the row ids of the groups."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.test import Client

from music_tools.library import LibraryIndexer
from music_tools.review.server import HOST
from support.audio_factory import Tags, make_audio
from support.review_library import Served, serving


@pytest.fixture(scope="module")
def served(music_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One page for the module: these requests are refused, or change only a keeper or a
    mark (each test below checks what it changes itself)."""
    with serving(music_template, tmp_path_factory.mktemp("security")) as page:
        yield page


def _error(data: bytes) -> str:
    return str(json.loads(data)["error"])


def test_the_server_listens_on_loopback_only(served: Served) -> None:
    assert HOST == "127.0.0.1"
    assert served.server._server.server_address[0] == "127.0.0.1"
    assert served.server.url.startswith(f"http://127.0.0.1:{served.server.port}/?token=")


@pytest.mark.parametrize("path", ["/", "/api/groups", "/api/info", "/audio/1", "/export.csv"])
def test_a_request_without_the_token_is_refused(served: Served, path: str) -> None:
    status, _, data = served.request("GET", path, token=None)
    assert status == 403
    assert "token" in _error(data)


def test_a_wrong_token_is_refused_and_the_right_one_accepted_in_query_or_header(
    served: Served,
) -> None:
    wrong = served.server.token[:-1] + ("A" if served.server.token[-1] != "A" else "B")
    for token in (wrong, "", served.server.token + "x", "%C3%A9" * 8, "%FF%FE"):
        assert served.request("GET", "/api/info", token=token)[0] == 403, token
    assert served.request("GET", "/api/info")[0] == 200
    assert served.request("GET", "/api/info", token="header")[0] == 200


@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "127.0.0.1", "127.0.0.1:1", "attacker.test", "[::1]:{port}"]
)
def test_a_host_header_that_is_not_this_servers_loopback_address_is_refused(
    served: Served, host: str
) -> None:
    """A page whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name."""
    status, _, data = served.request("GET", "/api/info", host=host.format(port=served.server.port))
    assert status == 403
    assert "Host" in _error(data)
    assert served.request("GET", "/api/info", host=f"localhost:{served.server.port}")[0] == 200


def test_a_peer_that_is_not_loopback_is_refused(served: Served) -> None:
    """The socket is bound to 127.0.0.1, so no other peer can reach it; the application
    refuses one all the same (a proxy in front of it, a server bound otherwise)."""
    client = Client(served.server.app)
    headers = {"Host": f"127.0.0.1:{served.server.port}"}
    query = {"token": served.server.token}
    outside = client.get(
        "/api/info", headers=headers, query_string=query, environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert outside.status_code == 403
    assert "only this machine" in outside.get_json()["error"]
    inside = client.get(
        "/api/info", headers=headers, query_string=query, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert inside.status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/apply", "/api/undo", "/api/preview", "/api/keeper", "/api/mark", "/api/refresh"]
)
def test_an_action_by_get_is_refused_and_changes_nothing(served: Served, path: str) -> None:
    group = served.session.groups[0]
    served.session.mark(group.id, True)
    status, _, _ = served.request("GET", f"{path}?group={group.id}&keeper={group.files[0].id}")
    assert status == 405
    assert not served.spare.exists()
    assert all(os.path.exists(f.file_path) for g in served.session.groups for f in g.files)


def test_a_change_must_be_json_from_the_page_itself(served: Served) -> None:
    group = served.session.groups[0]
    other = next(f for f in group.files if f is not group.keeper)
    form = served.request(
        "POST",
        "/api/keeper",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=None,
    )
    assert form[0] == 415
    cross = served.request(
        "POST",
        "/api/keeper",
        {"group": group.id, "keeper": other.id},
        headers={"Origin": "http://evil.example"},
    )
    assert cross[0] == 403
    assert served.session.groups[0].keeper is not other
    own = served.request(
        "POST",
        "/api/keeper",
        {"group": group.id, "keeper": other.id},
        headers={"Origin": f"http://127.0.0.1:{served.server.port}"},
    )
    assert own[0] == 200
    assert served.session.groups[0].keeper is other


@pytest.mark.parametrize(
    "path",
    [
        "/audio/999999",
        "/audio/-1",
        "/audio/..%2F..%2Fetc%2Fpasswd",
        "/audio/../../etc/passwd",
        "/audio/%2Fetc%2Fpasswd",
        "/audio/1/../../../etc/passwd",
        "/spectrogram/999999",
        "/static/..%2F..%2F__init__.py",
        "/static/index.html/../../session.py",
        "/etc/passwd",
    ],
)
def test_only_files_of_the_groups_are_served_and_never_by_path(served: Served, path: str) -> None:
    status, _, data = served.request("GET", path)
    assert status == 404
    assert b"root:" not in data and b"import" not in data


def test_a_library_row_outside_the_groups_is_not_served(served: Served) -> None:
    grouped = {f.id for g in served.session.groups for f in g.files}
    with served.session.lock:
        every = {f.id for f in served.session.db.iter_files()}
    assert not every - grouped  # every file of this library is in a group: add one that is not
    solo = served.music / "solo.flac"
    make_audio(solo, "flac", seed=9, seconds=1, tags=Tags(artist="Solo", title="One", mbid=None))
    with served.session.lock:
        LibraryIndexer(served.session.db, workers=1).index([served.music])
        row = served.session.db.get_file_by_path(str(solo))
    assert row is not None and row.id not in grouped
    status, _, _ = served.request("GET", f"/audio/{row.id}")
    assert status == 404


def test_every_response_forbids_framing_sniffing_and_referrers(served: Served) -> None:
    status, headers, _ = served.request("GET", "/")
    assert status == 200
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    refused = served.request("GET", "/", token=None)
    assert refused[1]["Referrer-Policy"] == "no-referrer"
