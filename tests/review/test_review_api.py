"""The page's API over real HTTP: a page of groups as the page reads it, and a decision
taken through it from the choice of keeper to the undo."""

from __future__ import annotations

from pathlib import Path

from support.review_library import Served


def test_a_page_of_groups_carries_what_the_rows_show(served: Served) -> None:
    info = served.json("GET", "/api/info")
    assert info["groups"] == 2 and info["presets"] == ["quality", "folder", "oldest"]
    assert "move the other copies to" in info["acting"]
    page = served.json("GET", "/api/groups?offset=1&limit=1")
    assert page["total"] == 2 and page["offset"] == 1
    (group,) = page["groups"]
    assert group["kind"] == "same_song" and group["not_best"] == ""
    flac = next(f for f in group["files"] if f["id"] == group["keeper"])
    assert flac["format"] == "flac" and flac["lossless"] is True
    assert {"artist", "title", "album", "codec", "mode", "bitrate", "sample_rate", "bits"} <= set(
        flac
    )
    assert {"duration", "size", "path", "verdict", "media_type"} <= set(flac)
    assert flac["artist"] == "Björk" and flac["path"].endswith("flac/joga.flac")
    assert flac["verdict"] == "genuine"  # judged as its group was found, and stored
    assert flac["mode"] is None  # CBR/VBR says nothing of a lossless file
    mp3 = next(f for f in group["files"] if f["format"] == "mp3")
    assert mp3["mode"] == "VBR"  # libsndfile's LAME encodes VBR, and its Xing header says so
    filtered = served.json("GET", "/api/groups?q=PORTISHEAD&kind=same_song")
    assert filtered["total"] == 1
    assert served.json("GET", "/api/groups?limit=100000")["total"] == 2
    assert served.json("POST", "/api/refresh", {})["groups"] == 2


def test_a_decision_taken_over_http_moves_and_puts_back_the_same_bytes(served: Served) -> None:
    before = {p: p.read_bytes() for p in served.music.rglob("*") if p.is_file()}
    group = served.json("GET", "/api/groups")["groups"][0]
    mp3 = next(f for f in group["files"] if f["format"] == "mp3")
    chosen = served.json("POST", "/api/keeper", {"group": group["id"], "keeper": mp3["id"]})
    assert chosen["keeper"] == mp3["id"]
    assert chosen["not_best"] == "a genuine lossless copy exists"
    served.json("POST", "/api/mark", {"group": group["id"], "marked": True})
    preview = served.json("POST", "/api/preview", {})
    assert preview["counts"] == {"would": 2}
    assert {Path(o["path"]).suffix for o in preview["outcomes"]} == {".flac"}
    assert not served.spare.exists()
    applied = served.json("POST", "/api/apply", {})
    assert applied["counts"] == {"done": 2} and applied["log"]
    assert sorted(p.name for p in served.spare.rglob("*.flac")) == ["roads.flac", "roads.flac"]
    assert served.json("GET", "/api/groups")["groups"][0]["applied"] is True
    undone = served.json("POST", "/api/undo", {})
    assert undone["counts"] == {"done": 2}
    after = {p: p.read_bytes() for p in served.music.rglob("*") if p.is_file()}
    assert after == before
    status, _, _ = served.request("POST", "/api/undo", {})
    assert status == 409


def test_apply_to_all_rechooses_the_keepers_in_the_filter(served: Served) -> None:
    for group in served.json("GET", "/api/groups")["groups"]:
        mp3 = next(f for f in group["files"] if f["format"] == "mp3")
        served.json("POST", "/api/keeper", {"group": group["id"], "keeper": mp3["id"]})
    flagged = served.json("GET", "/api/groups?flagged=1")
    assert flagged["total"] == 2
    changed = served.json("POST", "/api/preset", {"preset": "quality", "filter": {"q": "jóga"}})
    assert changed == {"changed": 1}
    assert served.json("GET", "/api/groups?flagged=1")["total"] == 1
    status, _, _ = served.request("POST", "/api/preset", {"preset": "loudest", "filter": {}})
    assert status == 400
