"""The benchmark suite's code paths run and produce rows (tiny sizes; nothing here is timed)."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # the suite's modules import each other from this folder


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def suite(monkeypatch: pytest.MonkeyPatch):
    """run.py, with the thread variables it sets restored afterwards."""
    module = _load("run")
    importlib.import_module("harness")
    importlib.import_module("workloads")
    for variable in module.THREAD_VARIABLES:
        if variable in os.environ:
            monkeypatch.setenv(variable, os.environ[variable])
        else:
            monkeypatch.delenv(variable, raising=False)
    return module


def test_quick_run_compares_with_scikit_learn(suite, tmp_path: Path, capsys) -> None:
    pytest.importorskip("sklearn")
    out = tmp_path / "results.json"
    argv = ["--quick", "--only", "gmm-full,bgmm-full", "--no-memory", "--no-dgemm", "--json", str(out)]
    assert suite.main(argv) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [row["workload"] for row in rows] == ["gmm-full", "bgmm-full"]
    for row in rows:
        assert row["status"] == "ok"
        assert row["peer_library"] == "scikit-learn"
        assert math.isfinite(row["ours_seconds"]) and math.isfinite(row["peer_seconds"])
        assert row["ratio"] == pytest.approx(row["ours_seconds"] / row["peer_seconds"])
        assert row["met"] is None  # a quick run judges no target
        assert row["data_bytes"] == 3_000 * 4 * 8
    flops = json.loads(out.read_text())["flops"]
    assert {row["library"] for row in flops} == {"mixtures", "scikit-learn"}  # the full-covariance EM
    printed = capsys.readouterr().out
    assert "| gmm-full (GMM full, EM) | N=3,000 D=4 K=3 | scikit-learn GaussianMixture(full) |" in printed


def _workload_with_peer(suite, peer):
    harness, workloads = sys.modules["harness"], sys.modules["workloads"]
    template = workloads.find("gmm-diag")
    return harness, harness.Workload(
        "probe", "probe", template.sizes, template.quick_sizes, template.make_problem, template.ours,
        (peer,), target=0.5,
    )


def test_missing_peer_is_marked_and_ours_still_runs(suite) -> None:
    harness = sys.modules["harness"]
    absent = harness.Contender("nowhere", "Absent", lambda problem: None, ("no_such_module_for_mixtures",))
    harness, workload = _workload_with_peer(suite, absent)
    [row] = suite.run_workload(harness, workload, suite.parse_arguments(["--quick", "--no-memory"]))
    assert row["status"] == harness.PEER_MISSING
    assert row["ratio"] is None and row["met"] is None and row["peer_seconds"] is None
    assert math.isfinite(row["ours_seconds"])


def test_failing_peer_is_reported_not_raised(suite) -> None:
    harness = sys.modules["harness"]

    def broken(problem):
        raise RuntimeError("the peer's API changed")

    harness, workload = _workload_with_peer(suite, harness.Contender("numpy", "Broken", broken, ("numpy",)))
    [row] = suite.run_workload(harness, workload, suite.parse_arguments(["--quick", "--no-memory"]))
    assert row["status"] == "failed: RuntimeError"
    assert row["ratio"] is None


def test_memory_is_measured_in_a_child_process(suite) -> None:
    harness = sys.modules["harness"]
    figures = harness.memory_in_child(suite.SCRIPT, "gmm-full", "mixtures:Mixture", quick=True)
    assert isinstance(figures, dict), figures
    assert figures["data_bytes"] == 3_000 * 4 * 8
    assert 0 < figures["baseline_bytes"] <= figures["peak_bytes"]
    assert figures["seconds"] > 0


def test_unknown_workload_selection_is_an_error(suite, capsys) -> None:
    assert suite.main(["--only", "no-such-workload", "--no-dgemm"]) == 2
    assert "no workload matches" in capsys.readouterr().err
