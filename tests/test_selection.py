"""Model selection over a grid of sizes and families."""

from __future__ import annotations

import numpy as np
import pytest

import mixtures as mx

from helpers import Exponential, seed_data


def test_bic_picks_the_generating_model() -> None:
    x, _ = seed_data()
    selection = mx.select_model(x, range(1, 6), ["full", "diag"], n_init=2, random_state=0)
    assert (selection.best.family, selection.best.size) == ("Gaussian", 3)
    assert len(selection.candidates) == 10
    for candidate in selection.candidates:
        assert candidate.icl >= candidate.bic  # ICL adds twice a (non-negative) entropy
        n, p = x.shape[0], candidate.n_parameters
        assert candidate.bic == pytest.approx(-2 * candidate.log_likelihood + p * np.log(n))
        assert candidate.aic == pytest.approx(-2 * candidate.log_likelihood + 2 * candidate.n_parameters)
        assert candidate.log_likelihood == pytest.approx(candidate.model.score(x) * n)
    assert "*" in selection.table().splitlines()[3]  # the K = 3 full-covariance row is marked


def test_every_criterion_and_vb() -> None:
    x, _ = seed_data(400)
    by_elbo = mx.select_model(x, [1, 2, 3, 4], inference="vb", criterion="elbo", random_state=0)
    assert all(c.elbo is not None for c in by_elbo.candidates)
    assert by_elbo.best.elbo == max(c.elbo for c in by_elbo.candidates)
    for criterion in ("aic", "icl"):
        chosen = mx.select_model(x, [1, 2, 3], criterion=criterion, random_state=0)
        assert getattr(chosen.best, criterion) == min(getattr(c, criterion) for c in chosen.candidates)


def test_custom_family_degrees_of_freedom() -> None:
    rng = np.random.default_rng(0)
    x = np.r_[rng.exponential(1 / 0.5, (300, 1)), rng.exponential(1 / 8.0, (300, 1))]
    selection = mx.select_model(x, [1, 2, 3], [Exponential()], n_init=3, random_state=0)
    assert selection.best.size == 2
    assert [c.n_parameters for c in selection.candidates] == [1, 3, 5]


def test_hmm_grid() -> None:
    rng = np.random.default_rng(1)
    states = np.repeat([0, 1, 0, 1, 0, 1], 80)
    x = rng.normal(np.array([0.0, 5.0])[states], 1.0)[:, None]
    selection = mx.select_model(x, [1, 2, 3], estimator=mx.HMM, lengths=[240, 240], random_state=0)
    assert selection.best.size == 2
    assert selection.candidates[0].n_parameters == 2  # one Gaussian, no free start/transition


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sizes": []}, "sizes must be a non-empty sequence"),
        ({"sizes": [0, 2]}, "sizes must be a non-empty sequence.*got 0 at position 0"),
        ({"sizes": [2, 2.7]}, r"got 2.7 at position 1"),  # never rounded to 2
        ({"sizes": ["3"]}, r"got '3' at position 0"),
        ({"sizes": 3}, r"sizes must be a non-empty sequence .*got 3$"),
        ({"sizes": [True]}, r"got True at position 0"),
        ({"sizes": [2], "criterion": "likelihood"}, "criterion must be one of"),
        ({"sizes": [2], "criterion": "elbo"}, "criterion='elbo' needs inference='vb'"),
        ({"sizes": [2], "estimator": dict}, "estimator must be Mixture or HMM"),
    ],
)
def test_bad_arguments(arguments: dict, message: str) -> None:
    x, _ = seed_data(50)
    with pytest.raises(ValueError, match=message):
        mx.select_model(x, **arguments)


def test_one_family_given_alone_is_one_family() -> None:
    """``families="diag"`` is the diagonal Gaussian, not the families "d", "i", "a", "g"."""
    x, _ = seed_data(60)
    for family in ("diag", mx.DiagonalGaussian()):
        selection = mx.select_model(x, [1, 2], family, random_state=0)
        assert {c.family for c in selection.candidates} == {"DiagonalGaussian"}
