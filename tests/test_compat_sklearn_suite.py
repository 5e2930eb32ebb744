"""scikit-learn's own mixture tests, run against ``mixtures.compat.sklearn``.

The installed ``sklearn/mixture/tests/*.py`` are copied to a temporary folder; only the lines that
import ``GaussianMixture``/``BayesianGaussianMixture`` are rewritten to import the drop-ins
(imports of scikit-learn's private helpers stay). The copies run under pytest with scikit-learn's
own fixtures (``-p sklearn.conftest``), and every test must pass except those in ``EXCLUDED``.
"""

from __future__ import annotations

import collections
import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

sklearn = pytest.importorskip("sklearn")

TESTS = pathlib.Path(sklearn.__file__).parent / "mixture" / "tests"
ESTIMATOR_IMPORT = re.compile(r"^from sklearn\.mixture import ", re.MULTILINE)

#: Tests left out, each with its reason: they call scikit-learn's private methods, or depend on
#: its floating-point or random stream rather than on a public behaviour.
EXCLUDED = {
    "test_bayesian_mixture.py::test_compare_covar_type": (
        "calls the private _check_parameters and _initialize_parameters"
    ),
    "test_gaussian_mixture.py::test_gaussian_mixture_n_parameters": (
        "calls the private _n_parameters (tests/test_compat_sklearn.py checks bic and aic, which "
        "count the parameters, against scikit-learn)"
    ),
    "test_gaussian_mixture.py::test_gaussian_mixture_aic_bic": (
        "calls the private _n_parameters (tests/test_compat_sklearn.py checks bic and aic against "
        "scikit-learn)"
    ),
    "test_gaussian_mixture.py::test_gaussian_mixture_precisions_init": (
        "calls the private _set_parameters and _initialize"
    ),
    "test_gaussian_mixture.py::test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters": (
        "replaces scikit-learn's private _estimate_gaussian_parameters and counts its calls"
    ),
    "test_gaussian_mixture.py::test_gaussian_mixture_setting_best_params": (
        "depends on rounding: with reg_covar=0 a component keeps a single point, whose variance is "
        "exactly 0; scikit-learn's formula leaves a residue of 4e-16 and goes on, where it refuses "
        "an exact 0 (as we do, with its message)"
    ),
}
#: Tests that do not use the estimators at all (they check scikit-learn's private helpers): they
#: pass either way and are counted apart.
HELPERS_ONLY = {
    "test_bayesian_mixture.py::test_log_dirichlet_norm",
    "test_bayesian_mixture.py::test_log_wishart_norm",
    "test_gaussian_mixture.py::test_suffstat_sk_full",
    "test_gaussian_mixture.py::test_suffstat_sk_tied",
    "test_gaussian_mixture.py::test_suffstat_sk_diag",
    "test_gaussian_mixture.py::test_gaussian_suffstat_sk_spherical",
    "test_gaussian_mixture.py::test_compute_log_det_cholesky",
    "test_gaussian_mixture.py::test_gaussian_mixture_log_probabilities",
}


def copy_with_drop_ins(target: pathlib.Path) -> list[str]:
    """Copy scikit-learn's mixture tests to ``target`` with the estimators imported from the
    drop-ins; the names of the copied files."""
    names = []
    for source in sorted(TESTS.glob("test_*.py")):
        text, count = ESTIMATOR_IMPORT.subn("from mixtures.compat.sklearn import ", source.read_text())
        assert count == 1, f"{source.name}: expected one import of the estimators, found {count}"
        (target / source.name).write_text(text)
        names.append(source.name)
    return names


def outcomes(report: pathlib.Path) -> dict[str, str]:
    """``file::test[params]`` -> passed, failed, skipped, from a JUnit XML report."""
    results = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        kind = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
        results[f"{module}.py::{case.get('name')}"] = {"error": "failed", "failure": "failed"}.get(kind, kind)
    return results


def base_name(test: str) -> str:
    return test.split("[", 1)[0]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("sklearn_mixture_tests")
    names = copy_with_drop_ins(folder)
    deselected = [f"--deselect={name}" for name in EXCLUDED if "::" in name and "[" not in name]
    root = pathlib.Path(__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "sklearn.conftest",
        "-p",
        "no:cacheprovider",
        "-q",
        f"--rootdir={folder}",
        "-o",
        "addopts=",
        "-W",
        "ignore::DeprecationWarning",
        f"--junitxml={folder / 'report.xml'}",
        *deselected,
        *names,
    ]
    subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=600)
    return outcomes(folder / "report.xml")


def test_the_suite_ran(suite: dict[str, str]) -> None:
    assert len(suite) > 50, "scikit-learn's mixture tests did not run"


def test_every_kept_test_passes_or_is_skipped_by_sklearn(suite: dict[str, str]) -> None:
    failed = sorted(name for name, outcome in suite.items() if outcome == "failed")
    assert not failed, f"scikit-learn's tests failing on the drop-ins: {failed}"


def test_excluded_tests_exist_and_were_not_run(suite: dict[str, str]) -> None:
    collected = {base_name(name) for name in suite}
    for name in EXCLUDED:
        assert name not in collected, f"{name} was run although it is excluded"
        file, test = name.split("::")
        assert re.search(rf"^def {test}\(", (TESTS / file).read_text(), re.MULTILINE), name


def test_counts_per_file(suite: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """The pass counts per file (``pytest -s`` shows them); the estimator tests pass in number."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for name, outcome in suite.items():
        kind = "helpers only" if base_name(name) in HELPERS_ONLY else outcome
        counts[name.split("::")[0]][kind] += 1
    for name in EXCLUDED:
        counts[name.split("::")[0]]["excluded"] += 1
    with capsys.disabled():
        for file, counted in sorted(counts.items()):
            print(
                f"\n{file}: "
                + ", ".join(
                    f"{counted[k]} {k}" for k in ("passed", "failed", "skipped", "helpers only", "excluded")
                )
            )
    assert sum(counted["passed"] for counted in counts.values()) >= 50
