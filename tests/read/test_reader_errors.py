"""The error boundary: whatever a file holds, extract gives a LibraryFile or an ExtractError."""

from __future__ import annotations

import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from music_tools import ExtractError, FileEntry, MusicToolsError, extract, extract_batch
from support.audio_factory import ALL_FORMATS, Tags, file_name, make_audio
from support.nobody import as_nobody, shared_folder

ODD_CORPUS = os.environ.get("MUSIC_TOOLS_ODD_CORPUS")


def _expect_error(path: Path, reason: str) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        extract(path)
    assert caught.value.path == str(path)
    assert caught.value.reason == reason
    assert str(caught.value) == f"{path}: {reason}"
    return caught.value


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_a_zero_byte_file_is_an_empty_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / file_name(fmt)
    path.touch()
    _expect_error(path, "empty file")


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("keep", [4, 40, 400, 4000])
def test_a_truncated_file_is_read_or_refused_never_crashes(
    tmp_path: Path, samples: dict[str, bytes], fmt: str, keep: int
) -> None:
    path = tmp_path / file_name(fmt)
    path.write_bytes(samples[fmt][:keep])
    try:
        extract(path, full_hash=True)
    except ExtractError as exc:
        assert exc.reason and "Traceback" not in exc.reason


def test_a_truncated_flac_stream_says_so(tmp_path: Path, samples: dict[str, bytes]) -> None:
    path = tmp_path / "cut.flac"
    path.write_bytes(samples["flac"][:30])
    _expect_error(path, "truncated FLAC stream")


def test_a_text_file_is_not_an_audio_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 50)
    _expect_error(path, "not an audio file")


def test_a_text_file_renamed_to_mp3_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "fake.mp3"
    path.write_text("this is not an mp3\n" * 500)
    with pytest.raises(ExtractError, match=r"fake\.mp3: (corrupt MP3 file|not an audio file)"):
        extract(path)


def test_a_missing_file_and_a_directory_are_clear_errors(tmp_path: Path) -> None:
    _expect_error(tmp_path / "gone.mp3", "no such file (deleted, or a broken symbolic link)")
    (tmp_path / "folder.flac").mkdir()
    _expect_error(tmp_path / "folder.flac", "is a directory")


def _reason_of(path: str) -> str:
    try:
        extract(path)
    except ExtractError as exc:
        return exc.reason
    except BaseException as exc:
        return f"leaked {type(exc).__name__}"
    return "read it"


def test_an_unreadable_file_is_permission_denied() -> None:
    """Run as `nobody` in a forked child: root can read a chmod-000 file."""
    with shared_folder("mt-perm-") as shared:
        path = make_audio(shared / "locked.mp3", "mp3", tags=Tags())
        path.chmod(0o000)
        assert as_nobody(_reason_of, str(path)) == "permission denied"


@settings(
    max_examples=int(os.environ.get("MUSIC_TOOLS_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fmt=st.sampled_from(ALL_FORMATS),
    edits=st.lists(
        st.tuples(
            st.floats(0, 1),
            st.sampled_from(["flip", "zero", "ff", "cut", "insert"]),
            st.binary(min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_real_files_give_a_file_or_an_extract_error(
    samples: dict[str, bytes], fmt: str, edits: list[tuple[float, str, bytes]]
) -> None:
    data = bytearray(samples[fmt])
    for where, kind, blob in edits:
        at = int(where * (len(data) - 1)) if data else 0
        if kind == "flip" and data:
            data[at] ^= blob[0] or 1
        elif kind == "zero":
            data[at : at + 4 * len(blob)] = bytes(len(data[at : at + 4 * len(blob)]))
        elif kind == "ff":
            data[at : at + len(blob)] = b"\xff" * len(data[at : at + len(blob)])
        elif kind == "cut":
            del data[at:]
        else:
            data[at:at] = blob * 64
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / file_name(fmt)
        path.write_bytes(bytes(data))
        try:
            extract(path, full_hash=True)
        except ExtractError as exc:
            assert exc.reason


@pytest.mark.skipif(not ODD_CORPUS, reason="set MUSIC_TOOLS_ODD_CORPUS (.ci/run does)")
def test_a_corpus_of_odd_real_world_files_raises_only_extract_errors() -> None:
    assert ODD_CORPUS is not None
    paths = sorted(Path(ODD_CORPUS).rglob("*"))
    files = [p for p in paths if p.is_file()]
    assert len(files) > 50
    read = 0
    for path in files:
        try:
            extract(path, full_hash=True)
            read += 1
        except ExtractError as exc:
            assert exc.reason
    assert read > len(files) // 2


def test_extract_errors_belong_to_the_package_root_and_pickle() -> None:
    from music_tools.errors import ExtractKind

    error = ExtractError("/m/x.flac", "truncated FLAC stream", ExtractKind.TRUNCATED)
    assert isinstance(error, MusicToolsError)
    again = pickle.loads(pickle.dumps(error))
    assert (again.path, again.reason, again.kind) == (error.path, error.reason, error.kind)


def test_extract_batch_returns_files_and_errors_side_by_side(tmp_path: Path) -> None:
    good = [make_audio(tmp_path / f"{i}.flac", "flac", seed=i, tags=Tags()) for i in range(3)]
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"")
    entries = [FileEntry(str(p), p.stat().st_size, 0, str(tmp_path)) for p in good]
    with ProcessPoolExecutor(2) as pool:
        batches = list(pool.map(extract_batch, [entries, [bad, str(tmp_path / "missing.ogg")]]))
    assert [f.file_path for f in batches[0].files] == [str(p) for p in good]
    assert all(f.library_root == str(tmp_path) for f in batches[0].files)
    assert batches[0].errors == [] and batches[1].files == []
    assert [(e.path, e.reason, e.kind.name) for e in batches[1].errors] == [
        (str(bad), "empty file", "NOT_AUDIO"),
        (
            str(tmp_path / "missing.ogg"),
            "no such file (deleted, or a broken symbolic link)",
            "UNREADABLE",
        ),
    ]


def _kind_of(path: Path) -> object:
    with pytest.raises(ExtractError) as caught:
        extract(path)
    return caught.value.kind


def test_each_failure_says_its_kind_beside_its_reason(
    tmp_path: Path, samples: dict[str, bytes]
) -> None:
    """What code decides by (a retry, a hint) is the kind, set where the error is raised;
    the reason is for a person."""
    from music_tools.errors import ExtractKind

    empty, text, cut, gone = (tmp_path / n for n in ("e.mp3", "t.txt", "cut.flac", "gone.mp3"))
    empty.touch()
    text.write_text("shopping list\n" * 50)
    cut.write_bytes(samples["flac"][:30])
    (tmp_path / "folder.flac").mkdir()
    damaged = tmp_path / "damaged.wav"
    damaged.write_bytes(samples["wav"][:100])
    huge = tmp_path / "huge.mp3"
    with open(huge, "wb") as out:  # an ID3v2 tag declaring 256 MiB, never read
        out.write(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f")
        out.seek(2**28 + 9)
        out.write(samples["mp3"])
    assert _kind_of(empty) is ExtractKind.NOT_AUDIO
    assert _kind_of(text) is ExtractKind.NOT_AUDIO
    assert _kind_of(cut) is ExtractKind.TRUNCATED
    assert _kind_of(gone) is ExtractKind.UNREADABLE
    assert _kind_of(tmp_path / "folder.flac") is ExtractKind.NOT_A_FILE
    assert _kind_of(damaged) is ExtractKind.DAMAGED
    assert _kind_of(huge) is ExtractKind.TOO_LARGE


def _kind_as_nobody(path: str) -> str:
    try:
        extract(path)
    except ExtractError as exc:
        return exc.kind.name
    return "read it"


def test_an_unreadable_file_is_an_access_failure_worth_retrying() -> None:
    """Run as `nobody`: a chmod fixes it without changing size or mtime, so the kind, not
    the words of the reason, says to try again."""
    with shared_folder("mt-kind-") as shared:
        path = make_audio(shared / "locked.mp3", "mp3", tags=Tags())
        path.chmod(0o000)
        assert as_nobody(_kind_as_nobody, str(path)) == "ACCESS"


def test_the_worker_pool_keeps_each_failures_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from music_tools.read import pool

    monkeypatch.setattr(pool, "IN_PROCESS_FILES", 0)  # read in worker processes
    empty, text = tmp_path / "e.flac", tmp_path / "t.mp3"
    empty.touch()
    text.write_text("not audio\n" * 50)
    entries = [FileEntry(str(p), p.stat().st_size, 0, str(tmp_path)) for p in (empty, text)]
    errors = [e for _, batch in pool.read_in_pool(entries, 2, False) for e in batch.errors]
    assert [(e.path, e.kind.name) for e in errors] == [
        (str(empty), "NOT_AUDIO"),
        (str(text), _kind_of(text).name),  # type: ignore[attr-defined]
    ]
