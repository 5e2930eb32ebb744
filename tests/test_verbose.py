"""The ``verbose`` setting: what a fit prints per iteration, and that it changes nothing else."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixtures as mx
from mixtures.inference.loop import IterationRecord, observe_iterations
from mixtures.models.verbose import IterationPrinter


def blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2))])


def iteration_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if " iteration " in line]


def test_verbose_mixture_prints_every_iteration_and_the_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    model = mx.Mixture("full", 2, random_state=0, verbose=1, n_init=2).fit(blobs())
    err = capsys.readouterr().err
    lines = iteration_lines(err)
    assert err.count("converged after") + err.count("stopped at max_iter") == 2
    for run in ("1", "2"):  # each run counts its iterations from its start, 0
        mine = [int(line.split()[3]) for line in lines if line.split()[1] == run]
        assert mine == list(range(len(mine)))
    # the kept run's objectives are those printed for one of the runs
    printed = {
        run: [float(line.split()[5]) for line in lines if line.split()[1] == run] for run in ("1", "2")
    }
    assert any(np.allclose(values, model.lower_bounds_, rtol=1e-7) for values in printed.values())
    changes = [line for line in lines if "change +" in line or "change -" in line]
    assert len(changes) == len(lines) - 2  # all but the two starting points


def test_verbose_hmm_names_the_vb_objective(capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        mx.HMM("full", 2, inference="vb", random_state=0, verbose=True, max_iter=5, tol=0.0).fit(blobs())
    err = capsys.readouterr().err
    assert "ELBO/row" in err and "stopped at max_iter=5" in err
    assert len(iteration_lines(err)) == 6  # iterations 0 to 5


def test_map_objective_is_named_with_its_prior(capsys: pytest.CaptureFixture[str]) -> None:
    mx.Mixture("full", 2, prior=mx.NormalWishart(), random_state=0, verbose=1).fit(blobs())
    assert "log-likelihood + log prior/row" in capsys.readouterr().err


def test_interval_thins_the_lines() -> None:
    import io

    stream = io.StringIO()
    printer = IterationPrinter(stream, "log-likelihood/row", interval=10)
    for i in range(26):
        printer(IterationRecord(0, i, 100, -1.0 - 1.0 / (i + 1), 0.01 * i, i == 25, i == 25))
    lines = stream.getvalue().splitlines()
    assert [int(line.split()[3]) for line in lines[:-1]] == [0, 10, 20]
    assert lines[-1].startswith("run 1  converged after 25 iterations")
    assert "change -" not in lines[1] and "+9.091e-03" in lines[1]  # -1-1/11 vs -1-1/10


def test_silent_by_default_and_same_fit(capsys: pytest.CaptureFixture[str]) -> None:
    quiet = mx.Mixture("full", 2, random_state=0).fit(blobs())
    assert capsys.readouterr().err == ""
    loud = mx.Mixture("full", 2, random_state=0, verbose=1, verbose_interval=3).fit(blobs())
    assert capsys.readouterr().err != ""
    assert loud.lower_bounds_ == quiet.lower_bounds_


def test_an_enclosing_observer_still_sees_the_iterations(capsys: pytest.CaptureFixture[str]) -> None:
    records: list[IterationRecord] = []
    with observe_iterations(records.append):
        model = mx.Mixture("full", 2, random_state=0, verbose=1).fit(blobs())
    assert [r.objective for r in records] == model.lower_bounds_
    assert len(iteration_lines(capsys.readouterr().err)) == len(records)


@pytest.mark.parametrize("name, value", [("verbose", -1), ("verbose", 1.5), ("verbose_interval", 0)])
def test_bad_verbose_settings_are_named(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        mx.Mixture("full", 2, **{name: value}).fit(blobs())


def test_verbose_is_a_setting() -> None:
    params = mx.HMM("full", 2, verbose=2).get_params()
    assert params["verbose"] == 2 and params["verbose_interval"] == 1
