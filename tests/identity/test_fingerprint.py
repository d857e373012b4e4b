"""Chromaprint fingerprints through fpcalc: what one file gives, and how two compare."""

from __future__ import annotations

import json
import random
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from music_tools.errors import MusicToolsError
from music_tools.identity.fingerprint import ITEM_S, MATCH_BER, align, terms
from music_tools.identity.fpcalc import Fpcalc, fingerprint_file, fingerprint_many, fingerprinter
from music_tools.identity.fpcalc_output import FingerprintOutcome, decode, encode, parse_output
from support.audio_factory import make_audio
from support.fake_fpcalc import alive, fake_fpcalc, started
from support.fingerprint_corpus import fpcalc_children, requires_fpcalc
from support.music_factory import song, write_song

RATE = 44_100


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    audio = song(7, 20.0)
    silence = np.zeros((int(1.5 * RATE), 2), np.float32)
    return {
        "flac": write_song(folder / "a.flac", audio, "flac"),
        "mp3": write_song(folder / "a.mp3", audio, "mp3"),
        "silence": write_song(folder / "s.mp3", np.concatenate([silence, audio]), "mp3"),
        "take": write_song(folder / "t.mp3", song(7, 20.0, take=1), "mp3"),
        "other": write_song(folder / "o.mp3", song(8, 20.0), "mp3"),
        "silent": write_song(folder / "z.wav", np.zeros((RATE * 10, 2), np.float32), "wav"),
    }


def _print(path: Path) -> bytes:
    outcome = fingerprint_file(str(path))
    assert outcome.data is not None, outcome.reason
    return outcome.data


@given(st.lists(st.integers(0, 2**32 - 1), max_size=50))
def test_a_fingerprint_is_stored_as_little_endian_uint32_and_read_back(values: list[int]) -> None:
    data = encode(values)
    assert len(data) == 4 * len(values)
    assert list(decode(data)) == values


def test_identical_fingerprints_align_at_zero_with_no_differing_bit() -> None:
    rng = random.Random(1)
    values = [rng.getrandbits(32) for _ in range(300)]
    alignment = align(encode(values), encode(values))
    assert alignment is not None and alignment.ber == 0 and alignment.offset_s == 0


def test_a_shifted_fingerprint_is_found_at_its_offset() -> None:
    rng = random.Random(2)
    values = [rng.getrandbits(32) for _ in range(300)]
    alignment = align(encode(values), encode(values[20:]))  # the second starts 20 values in
    assert alignment is not None and alignment.ber == 0
    assert alignment.offset_s == pytest.approx(-20 * ITEM_S, abs=0.01)


def test_unrelated_values_differ_in_about_half_their_bits() -> None:
    rng = random.Random(3)
    a, b = ([rng.getrandbits(32) for _ in range(300)] for _ in range(2))
    alignment = align(encode(a), encode(b))
    assert alignment is not None and 0.4 < alignment.ber < 0.6 and not alignment.matches


def test_fingerprints_too_short_to_overlap_are_not_compared() -> None:
    assert align(encode(range(30)), encode(range(30))) is None


def test_without_fpcalc_a_file_gets_a_reason_saying_what_to_install(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF")
    none = Fpcalc.from_environment({"MUSIC_TOOLS_FPCALC": ""})
    assert fingerprinter(none) is None
    outcome = fingerprint_file(str(path), none)
    assert outcome.data is None and "apt install libchromaprint-tools" in (outcome.reason or "")


@requires_fpcalc
def test_a_transcode_has_nearly_the_same_fingerprint(clips: dict[str, Path]) -> None:
    alignment = align(_print(clips["flac"]), _print(clips["mp3"]))
    assert alignment is not None and alignment.ber < 0.05 and alignment.offset_s == 0


@requires_fpcalc
def test_leading_silence_is_found_as_an_offset(clips: dict[str, Path]) -> None:
    alignment = align(_print(clips["flac"]), _print(clips["silence"]))
    assert alignment is not None and alignment.matches
    assert alignment.offset_s == pytest.approx(1.5, abs=0.2)


@requires_fpcalc
def test_the_index_terms_survive_a_shift(clips: dict[str, Path]) -> None:
    original, shifted = set(terms(_print(clips["flac"]))), set(terms(_print(clips["silence"])))
    assert len(original & shifted) >= 0.3 * len(original) >= 3


@requires_fpcalc
@pytest.mark.parametrize("case", ["take", "other"])
def test_another_take_or_song_does_not_match(clips: dict[str, Path], case: str) -> None:
    alignment = align(_print(clips["flac"]), _print(clips[case]))
    assert alignment is not None and alignment.ber > MATCH_BER * 1.4


@requires_fpcalc
def test_silent_audio_has_no_fingerprint_and_says_so(clips: dict[str, Path]) -> None:
    outcome = fingerprint_file(str(clips["silent"]))
    assert outcome.data is None and outcome.reason and outcome.reason.startswith("no fingerprint")


@requires_fpcalc
@pytest.mark.parametrize("content", [b"", b"not audio at all" * 100, b"ID3\x04" + bytes(4000)])
def test_a_file_fpcalc_cannot_decode_is_a_reason_not_a_crash(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.mp3"
    path.write_bytes(content)
    outcome = fingerprint_file(str(path))
    assert outcome.data is None and outcome.reason


def test_a_missing_file_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    outcome = fingerprint_file(str(tmp_path / "gone.flac"))
    assert outcome.data is None and (outcome.reason or "").startswith("cannot read")


@requires_fpcalc
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_no_fpcalc_outlives_a_caller_that_stops_early(clips: dict[str, Path]) -> None:
    outcomes = fingerprint_many([str(clips["flac"])] * 6, workers=3)
    assert next(outcomes).data is not None
    outcomes.close()  # as Ctrl-C or an error in the caller would
    assert fpcalc_children() == []


@requires_fpcalc
def test_many_files_come_back_in_order_with_the_bad_ones_explained(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    paths = [
        str(clips["flac"]),
        str(tmp_path / "gone.mp3"),
        str(clips["mp3"]),
        str(clips["silent"]),
    ]
    outcomes = list(fingerprint_many(paths, workers=2))
    assert [o.path for o in outcomes] == paths
    assert [o.data is not None for o in outcomes] == [True, False, True, False]


def test_hung_fpcalcs_time_out_together_each_from_its_own_start(tmp_path: Path) -> None:
    """4 files, 2 workers, fpcalc hangs on each: two timeouts' time, not four."""
    program = fake_fpcalc(tmp_path / "bin", "hang")
    paths = [str(make_audio(tmp_path / f"{n}.wav", "wav", seed=n)) for n in range(4)]
    began = time.monotonic()
    outcomes = list(fingerprint_many(paths, 2, Fpcalc(str(program), timeout_s=0.5)))
    took = time.monotonic() - began
    assert 0.9 <= took < 1.75, took
    assert [o.path for o in outcomes] == paths
    for outcome in outcomes:
        assert outcome.data is None and outcome.transient
        assert outcome.reason == "fpcalc took longer than 0.5 s"
    assert len(started(program)) == 4 and alive(started(program)) == []


def test_a_hung_file_does_not_hold_up_the_files_after_it(tmp_path: Path) -> None:
    """While one worker waits out a hang, the other goes on through the files behind it
    (their outcomes still come back in order)."""
    quick = fake_fpcalc(tmp_path / "quick", "undecodable")
    hang = fake_fpcalc(tmp_path / "hang", "hang")
    switch = tmp_path / "fpcalc"
    switch.write_text(
        f'#!/bin/sh\ncase "$*" in *slow*) exec "{hang}" "$@";; esac\nexec "{quick}" "$@"\n'
    )
    switch.chmod(0o755)
    paths = [str(make_audio(tmp_path / "slow.wav", "wav"))]
    paths += [str(make_audio(tmp_path / f"{n}.wav", "wav", seed=n)) for n in range(6)]
    began = time.monotonic()
    outcomes = list(fingerprint_many(paths, 2, Fpcalc(str(switch), timeout_s=1.0)))
    assert time.monotonic() - began < 1.9
    assert [o.path for o in outcomes] == paths
    assert outcomes[0].transient and not any(o.transient for o in outcomes[1:])
    assert alive(started(hang)) == []


def test_the_timeout_grows_with_the_audio_asked_for_and_can_be_set() -> None:
    default = Fpcalc.from_environment({})
    assert 3.0 <= default.timeout(120) <= 15.0  # a few seconds: fpcalc takes 0.1-0.6 s
    assert default.timeout(30) < default.timeout(120) < default.timeout(600)
    assert Fpcalc.from_environment({"MUSIC_TOOLS_FPCALC_TIMEOUT": "2.5"}).timeout(120) == 2.5
    for bad in ("soon", "0", "-1", "nan", "inf"):
        with pytest.raises(MusicToolsError, match="MUSIC_TOOLS_FPCALC_TIMEOUT"):
            Fpcalc.from_environment({"MUSIC_TOOLS_FPCALC_TIMEOUT": bad})


@pytest.mark.parametrize(
    ("fault", "reason", "transient"),
    [
        ("hang", "fpcalc took longer than 0.5 s", True),
        ("killed", "fpcalc was stopped (SIGKILL)", True),
        ("crash", "fpcalc crashed (SIGSEGV)", False),
        ("garbage", "fpcalc gave no fingerprint: not JSON", False),
        ("infinity", "fpcalc gave no fingerprint: a value out of range (inf)", False),
        ("flood", "fpcalc gave no fingerprint: more than 1 MiB of output", False),
        ("undecodable", "cannot decode: Could not open the input file", False),
    ],
)
def test_each_fpcalc_fault_is_a_reason_and_only_a_stop_or_a_timeout_is_transient(
    tmp_path: Path, fault: str, reason: str, transient: bool
) -> None:
    program = fake_fpcalc(tmp_path / "bin", fault)
    path = make_audio(tmp_path / "a.wav", "wav")
    (outcome,) = fingerprint_many([str(path)], 1, Fpcalc(str(program), timeout_s=0.5))
    assert outcome.data is None and (outcome.reason or "").startswith(reason)
    assert outcome.transient is transient
    assert alive(started(program)) == []


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)
_VALUE = st.integers(-(2**40), 2**40) | st.floats(allow_nan=True) | st.booleans() | _JSON
_OUTPUT = st.one_of(
    st.binary(max_size=200),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "duration": _VALUE,
            "fingerprint": st.lists(_VALUE, max_size=40) | _VALUE,
        },
    ).map(lambda v: json.dumps(v).encode()),
)


@given(_OUTPUT, st.binary(max_size=80), st.sampled_from([0, 1, 2, 3, -9, -11, 139]))
def test_whatever_fpcalc_prints_gives_a_fingerprint_or_a_reason_never_an_exception(
    stdout: bytes, stderr: bytes, returncode: int
) -> None:
    outcome = FingerprintOutcome("a.flac", 1, 1)
    parse_output(subprocess.CompletedProcess([], returncode, stdout, stderr), outcome)
    assert (outcome.data is None) != (outcome.reason is None)
    if outcome.data is not None:
        assert all(0 <= v < 2**32 for v in decode(outcome.data))
        assert outcome.duration is None or 0 <= outcome.duration < 1e7


@pytest.mark.parametrize(
    "printed",
    [
        {"duration": 20.0, "fingerprint": [*range(20), float("inf")]},
        {"duration": 20.0, "fingerprint": [*range(20), float("nan")]},
        {"duration": 20.0, "fingerprint": [*range(20), 2**40]},
        {"duration": 20.0, "fingerprint": [*range(20), -(2**40)]},
        {"duration": 20.0, "fingerprint": [*range(20), 1.5]},
        {"duration": 20.0, "fingerprint": [*range(20), True]},
        {"duration": 20.0, "fingerprint": [*range(20), "7"]},
        {"duration": 20.0, "fingerprint": "AQAAT0mUaEkSRZEGAA"},
        {"duration": float("inf"), "fingerprint": list(range(20))},
        {"duration": float("nan"), "fingerprint": list(range(20))},
        {"duration": -1, "fingerprint": list(range(20))},
        {"duration": "20", "fingerprint": list(range(20))},
        {"fingerprint": list(range(20))},
        {"duration": 20.0},
        [20.0, list(range(20))],
    ],
)
def test_out_of_range_or_malformed_output_is_a_reason(printed: object) -> None:
    outcome = FingerprintOutcome("a.flac", 1, 1)
    stdout = json.dumps(printed).encode()
    parse_output(subprocess.CompletedProcess([], 0, stdout, b""), outcome)
    assert outcome.data is None
    assert (outcome.reason or "").startswith("fpcalc gave no fingerprint: "), outcome.reason
    assert not outcome.transient


def test_signed_values_are_read_as_their_unsigned_bits() -> None:
    outcome = FingerprintOutcome("a.flac", 1, 1)
    values = [-1, -(2**31), *range(20), 2**32 - 1]
    stdout = json.dumps({"duration": 20, "fingerprint": values}).encode()
    parse_output(subprocess.CompletedProcess([], 0, stdout, b""), outcome)
    assert outcome.data is not None and outcome.duration == 20.0
    assert list(decode(outcome.data)) == [v & 0xFFFFFFFF for v in values]
