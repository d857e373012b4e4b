"""The acceptance of the quality verdict, on a labelled corpus made here (quality_corpus.py).

Lossless files made from MP3 128k, 192k, V2 and AAC 128k must be found (recall >= 0.95);
genuine full-band files called lossy at most 1% (of the few here: none); dark, vinyl- and
tape-like files never called lossy (unsure allowed, and counted); upsampled and padded files
found. benchmarks/benchmark_quality.py --corpus N scores hundreds a class.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from music_tools.quality import QualityReport, analyse
from support.quality_corpus import LOSSY_CLASSES, build, ffmpeg_missing

PER_CLASS = 6
SECONDS = 3.0
#: the class -> the verdict that finds it
FOUND_BY = {
    **dict.fromkeys(LOSSY_CLASSES, "lossy_source"),
    "upsampled": "upsampled",
    "padded": "padded",
}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, QualityReport]]:
    missing = ffmpeg_missing()
    if missing is not None:
        pytest.skip(missing)
    folder: Path = tmp_path_factory.mktemp("quality-corpus")
    return [(item.label, analyse(item.path)) for item in build(folder, PER_CLASS, seconds=SECONDS)]


def _table(verdicts: list[tuple[str, QualityReport]]) -> str:
    counts = Counter((label, report.verdict) for label, report in verdicts)
    labels = sorted({label for label, _ in verdicts})
    lines = []
    for label in labels:
        row = ", ".join(f"{v} {n}" for (lab, v), n in sorted(counts.items()) if lab == label)
        lines.append(f"{label:>10}: {row}")
    return "\n".join(lines)


@pytest.mark.slow
def test_lossy_sourced_lossless_files_are_found_and_genuine_ones_are_not_called_lossy(
    verdicts: list[tuple[str, QualityReport]],
) -> None:
    print("\n" + _table(verdicts))
    lossy = [(label, r) for label, r in verdicts if label in LOSSY_CLASSES]
    called_lossy = [(label, r) for label, r in verdicts if r.verdict == "lossy_source"]
    found = sum(r.verdict == "lossy_source" for _, r in lossy)
    recall = found / len(lossy)
    precision = sum(label in LOSSY_CLASSES for label, _ in called_lossy) / len(called_lossy)
    print(f"lossy source: recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= 0.95, _table(verdicts)
    genuine = [r for label, r in verdicts if label == "genuine"]
    false_alarms = [r.reason for r in genuine if r.verdict == "lossy_source"]
    assert len(false_alarms) <= 0.01 * len(genuine), false_alarms
    unsure = sum(r.verdict == "unsure" for label, r in verdicts if label == "genuine")
    print(f"genuine: {len(genuine)}, called lossy {len(false_alarms)}, unsure {unsure}")


@pytest.mark.slow
def test_dark_vinyl_and_tape_like_files_are_never_called_lossy(
    verdicts: list[tuple[str, QualityReport]],
) -> None:
    dark = [r for label, r in verdicts if label == "dark"]
    assert dark
    assert {r.verdict for r in dark} <= {"genuine", "unsure"}, [r.reason for r in dark]
    print(f"\ndark: {Counter(r.verdict for r in dark)}")


@pytest.mark.slow
@pytest.mark.parametrize("label", ["upsampled", "padded", *LOSSY_CLASSES])
def test_each_kind_of_fault_is_named_by_its_own_verdict(
    verdicts: list[tuple[str, QualityReport]], label: str
) -> None:
    reports = [r for lab, r in verdicts if lab == label]
    named = [r for r in reports if r.verdict == FOUND_BY[label]]
    assert len(named) >= 0.95 * len(reports), [r.reason for r in reports]
    # the one-line reason and the figures say the same thing
    for report in named:
        if label == "upsampled":
            assert report.source_rate_hz == 44_100
            assert report.reason.startswith("nothing above 22.05 kHz in a 96 kHz file")
        elif label == "padded":
            assert (report.bits_per_sample, report.effective_bits) == (24, 16)
        else:
            assert report.cutoff_hz is not None and 15_000 < report.cutoff_hz < 19_300
            assert report.likely_source and report.reason.startswith("cut off at ")


@pytest.mark.slow
def test_every_report_explains_itself_in_one_line(
    verdicts: list[tuple[str, QualityReport]],
) -> None:
    for _, report in verdicts:
        assert report.reason and "\n" not in report.reason
        assert report.seconds_analysed >= SECONDS - 0.5
