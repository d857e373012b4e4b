"""The check benchmark's fingerprint part measures what it says (review D11): its
"fingerprinted library" holds prints, which 3 s clips never gave."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _benchmark() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # its _harness
    try:
        spec = importlib.util.spec_from_file_location(
            "benchmark_check", BENCHMARKS / "benchmark_check.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("fpcalc") is None, reason="needs fpcalc")
def test_the_fingerprinted_library_of_the_check_benchmark_holds_prints(tmp_path: Path) -> None:
    costs = _benchmark().fingerprint_costs(tmp_path, rows=20, workers=1, songs=2)
    assert costs["index_fingerprint"]["made"] == 2, costs
    assert costs["files"] == 4 and costs["not_fingerprinted"]["fpcalc_runs"] >= 4, costs
    assert costs["fingerprinted"]["fpcalc_runs"] <= costs["files"], costs
    assert costs["fingerprinted"]["same_song"] == costs["files"], costs
