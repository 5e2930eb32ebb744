"""The examples run and meet their own checks (each raises if recovery is poor)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


sys.path.insert(0, str(EXAMPLES))  # the examples import their shared helpers from this folder


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name",
    [
        "seed_em", "seed_vb", "custom_family", "bernoulli_digits", "hmm_regimes", "hmm_counts",
        "mixed_data", "semi_supervised", "activity_states", "wine_clustering", "missing_values",
    ],
)
def test_example_runs(name: str, tmp_path: Path, capsys) -> None:
    if name in ("bernoulli_digits", "semi_supervised", "wine_clustering", "missing_values"):
        pytest.importorskip("sklearn")
    module = _load(name)
    assert module.main([]) in (0, None)
    assert capsys.readouterr().out.strip()


def test_out_of_core_example_streams_a_small_file(tmp_path: Path, capsys) -> None:
    """The out-of-core example at a small size (its default writes 240 MB)."""
    arguments = ["--rows", "60000", "--batch-rows", "5000", "--passes", "2", "--dir", str(tmp_path)]
    assert _load("out_of_core").main(arguments) == 0
    out = capsys.readouterr().out
    assert "stochastic VB" in out and "exact passes" in out and "peak resident memory" in out
    assert not (tmp_path / "out_of_core.npy").exists()  # removed without --keep


@pytest.mark.parametrize(
    "name", ["seed_em", "seed_vb", "bernoulli_digits", "hmm_regimes", "hmm_counts", "wine_clustering"]
)
def test_example_plots(name: str, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    if name in ("bernoulli_digits", "wine_clustering"):
        pytest.importorskip("sklearn")
    target = tmp_path / f"{name}.png"
    assert _load(name).main(["--plot", str(target)]) in (0, None)
    assert target.stat().st_size > 10_000


def test_every_example_is_listed_in_the_readme() -> None:
    """The README's example list names every runnable example (helpers without main() aside)."""
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    runnable = [p.name for p in sorted(EXAMPLES.glob("*.py")) if "def main(" in p.read_text(encoding="utf-8")]
    missing = [name for name in runnable if f"examples/{name}" not in readme]
    assert runnable and not missing, f"README.md does not list {missing}"
