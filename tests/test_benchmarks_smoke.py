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


# --------------------------------------------------------------------------- quality.py
@pytest.fixture(scope="module")
def quality_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One ``quality.py --quick --json`` run, shared by the checks below (a few seconds)."""
    pytest.importorskip("sklearn")
    pytest.importorskip("hmmlearn")
    module = _load("quality")
    out = tmp_path_factory.mktemp("quality") / "quality.json"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = module.main(["--quick", "--json", str(out)])
    return {"module": module, "status": status, "printed": printed.getvalue(),
            "result": json.loads(out.read_text())}


def test_quality_quick_run_is_well_formed(quality_run: dict) -> None:
    assert quality_run["status"] == 0  # a report: failing checks do not change the exit status
    result = quality_run["result"]
    assert result["settings"]["quick"] is True
    mixtures_rows = result["mixtures"]
    assert {row["data"] for row in mixtures_rows} == {"iris", "wine (raw)"}
    for row in mixtures_rows:
        assert row["library"] in {"mixtures", "scikit-learn"}
        assert row["status"] == "ok" or row["status"].startswith("failed: "), row["status"]
        if row["status"] == "ok":
            assert -1.0 <= row["ari"] <= 1.0
            assert math.isfinite(row["loglik"]) and math.isfinite(row["objective"])
            assert 1 <= row["effective"] <= row["k"] and row["n_iter"] >= 0
    # every fit of ours has its scikit-learn twin on the same data and settings
    pairs = {(r["data"], r["covariance"], r["inference"], r["k"], r["library"]) for r in mixtures_rows}
    for data, covariance, inference, k, library in pairs:
        twin = "scikit-learn" if library == "mixtures" else "mixtures"
        assert (data, covariance, inference, k, twin) in pairs
    contenders = [row["contender"] for row in result["hmms"]]
    assert "true parameters" in contenders and "mixtures, default start" in contenders
    assert any(c.startswith("hmmlearn, best of") for c in contenders)
    for row in result["hmms"]:
        if row["status"] == "ok":
            assert math.isfinite(row["loglik"]) and row["loglik"] < 0
    for row in result["random_starts"]:
        assert len(row["n_iter"]) == len(row["seeds"]) == len(row["status"])
    names = [check["check"] for check in result["checks"]]
    assert any(name.startswith("raw wine, VB full K=3") for name in names)
    assert any("within 0.5% of scikit-learn's" in name for name in names)
    assert any("within 1 nat of hmmlearn's best" in name for name in names)
    assert any(name.startswith("random starts never stop") for name in names)
    assert all(isinstance(check["passed"], bool) for check in result["checks"])


def test_quality_prints_tables_and_one_line_per_check(quality_run: dict) -> None:
    printed, checks = quality_run["printed"], quality_run["result"]["checks"]
    lines = printed.splitlines()
    verdicts = [line for line in lines if line.startswith(("PASS  ", "FAIL  "))]
    assert len(verdicts) == len(checks)
    for line, check in zip(verdicts, checks, strict=True):
        assert line.startswith("PASS" if check["passed"] else "FAIL") and check["check"] in line
    # Markdown tables: every row has its header's number of columns
    table: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            assert len({row.count("|") for row in table}) == 1, table[0]
            assert set(table[1]) <= {"|", "-"}
            table = []
    assert printed.count("| iris | gaussian full | EM | 3 | mixtures |") == 1


def test_quality_strict_fails_exactly_when_a_check_fails(quality_run: dict, monkeypatch) -> None:
    module = quality_run["module"]
    for verdicts, expected in (([True, True], 0), ([True, False], 1)):
        monkeypatch.setattr(
            module, "checks",
            lambda *rows, v=verdicts: [
                {"check": f"c{i}", "passed": p, "detail": ""} for i, p in enumerate(v)
            ],
        )
        monkeypatch.setattr(module, "run_mixtures", lambda *a: [])
        monkeypatch.setattr(module, "run_hmms", lambda *a: [])
        monkeypatch.setattr(module, "run_random_starts", lambda *a: [])
        assert module.main(["--quick", "--strict"]) == expected
        assert module.main(["--quick"]) == 0


def test_quality_checks_judge_the_issue_thresholds() -> None:
    checks = _load("quality").checks

    def mixture(library: str, loglik: float, inference: str = "em", **extra) -> dict:
        return {"data": "wine (raw)", "covariance": "full", "k": 3, "n_init": 5, "library": library,
                "inference": inference, "status": "ok", "loglik": loglik, **extra}

    def hmm(contender: str, loglik: float) -> dict:
        return {"case": "categorical, 2 states", "contender": contender, "status": "ok",
                "loglik": loglik, "n_iter": 9}

    for ours, passed in ((-10.04, True), (-10.06, False), (-9.0, True)):
        rows = [mixture("mixtures", ours), mixture("scikit-learn", -10.0),
                mixture("mixtures", -20.0, "vb", effective=3, ari=0.81)]
        [vb, em] = checks(rows, [], [])
        assert em["passed"] is passed and vb["passed"] is True
    rows = [mixture("mixtures", -20.0, "vb", effective=2, ari=0.9)]
    assert checks(rows, [], [])[0]["passed"] is False
    for ours, passed in ((-100.9, True), (-101.1, False)):
        rows = [hmm("mixtures, default start", ours), hmm("mixtures, default init, n_init=10", -90.0),
                hmm("hmmlearn, best of 10 random restarts", -100.0)]
        [verdict] = checks([], rows, [])
        assert verdict["passed"] is passed
    starts = {"model": "m", "data": "d", "seeds": [0, 1], "status": ["ok", "ok"]}
    assert checks([], [], [{**starts, "n_iter": [3, 40]}])[0]["passed"] is True
    assert checks([], [], [{**starts, "n_iter": [2, 40]}])[0]["passed"] is False


# --------------------------------------------------------------------------- scaling.py
def test_scaling_quick_run_writes_table_and_plot(tmp_path: Path) -> None:
    """``scaling.py --quick`` in its own process (it pins thread pools through the environment):
    a table per sweep with both libraries' times, and the plot, in the directory it is given."""
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    import subprocess

    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "scaling.py"), "--quick", "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHMARKS.parent),
                                                                       os.environ.get("PYTHONPATH")]))},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    table = (tmp_path / "scaling.md").read_text()
    assert table.strip() == done.stdout.strip()  # what is printed is what is written
    for sweep in ("## rows N", "## features D", "## components K"):
        assert sweep in table
    assert table.count("| ours ms/it | scikit-learn ms/it | ratio | ours GFLOP/s |") == 3
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 9
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 5
        ours, theirs, ratio = (float(cell.replace(",", "")) for cell in cells[1:4])
        assert ours > 0 and theirs > 0 and ratio == pytest.approx(ours / theirs, rel=0.2, abs=0.02)
    assert "memmap" in table  # the largest N was read from a memory-mapped file
    assert (tmp_path / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- single_precision.py
def test_single_precision_quick_run_reports_times_and_differences() -> None:
    """``single_precision.py --quick`` in its own process: one row per workload asked for, both
    precisions timed, and parameter differences small but not zero (the products did round)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "single_precision.py"), "--quick", "--only", "gmm-full,gmm-diag"],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHMARKS.parent),
                                                                       os.environ.get("PYTHONPATH")]))},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| gmm-")]
    assert [row.split("|")[1].strip() for row in rows] == ["gmm-full", "gmm-diag"]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        double, single, ratio = (float(cell) for cell in cells[2:5])
        assert double > 0 and single > 0
        # the times are shown to 0.1 ms (a quick run's are a few tenths): the ratio, from the
        # times themselves, lies within what the shown times allow, to its own 0.01
        low, high = (single - 0.05) / (double + 0.05), (single + 0.05) / max(double - 0.05, 1e-9)
        assert low - 0.005 <= ratio <= high + 0.005
        differences = [float(cell) for cell in cells[5:8]]
        assert all(0 < value < 1e-3 for value in differences)
