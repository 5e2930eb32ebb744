"""A family written in this test file (not in the package) gets EM and VB in mixtures and HMMs;
check_family accepts it and rejects broken families by naming the broken property; a user's
mistakes inside a family are reported with the family and method named."""

from __future__ import annotations

import warnings
from typing import Any, Self

import attrs
import numpy as np
import pytest
import scipy.special

import mixtures as mx
from mixtures.priors.base import ConjugatePrior, default_prior
from mixtures.testing import check_family

from helpers import Exponential


@attrs.frozen(kw_only=True)
class GammaOnRates(ConjugatePrior):
    """λ_d ~ Gamma(shape, rate). In η = −λ (Lebesgue): χ = rate, one count per feature
    ν_d = shape − 1, log Z = Σ log Γ(ν + 1) − (ν + 1) log χ."""

    shape: Any = 1.0
    rate: Any = 1.0
    exponential: Exponential | None = None

    @property
    def family(self) -> mx.ExponentialFamily:
        assert self.exponential is not None
        return self.exponential

    def for_data(self, family, x, weights, n_components):  # type: ignore[no-untyped-def]
        shape = np.broadcast_to(np.asarray(self.shape, float), (n_components, x.shape[1])).copy()
        rate = np.broadcast_to(np.asarray(self.rate, float), (n_components, x.shape[1])).copy()
        return attrs.evolve(self, shape=shape, rate=rate, exponential=family)

    def natural_hyperparameters(self):  # type: ignore[no-untyped-def]
        return np.asarray(self.rate), np.asarray(self.shape) - 1.0

    def with_natural_hyperparameters(self, chi, counts) -> Self:  # type: ignore[no-untyped-def]
        return attrs.evolve(self, rate=chi, shape=counts + 1.0)

    def log_normalizer_of(self, chi, counts):  # type: ignore[no-untyped-def]
        return (scipy.special.gammaln(counts + 1.0) - (counts + 1.0) * np.log(chi)).sum(-1)

    def expected_natural(self):  # type: ignore[no-untyped-def]
        return -np.asarray(self.shape) / np.asarray(self.rate)

    def expected_log_partition_blocks(self):  # type: ignore[no-untyped-def]
        return -(scipy.special.digamma(np.asarray(self.shape)) - np.log(np.asarray(self.rate)))

    def log_partition_blocks(self, natural):  # type: ignore[no-untyped-def]
        return -np.log(-natural)

    def mode(self):  # type: ignore[no-untyped-def]
        return -(np.asarray(self.shape) - 1.0) / np.asarray(self.rate)

    def sample_natural(self, n_draws, rng):  # type: ignore[no-untyped-def]
        shape, rate = np.asarray(self.shape), np.asarray(self.rate)
        return -rng.gamma(shape, 1.0 / rate, size=(n_draws, *shape.shape))

    def posterior_mean_natural(self):  # type: ignore[no-untyped-def]
        return self.expected_natural()


RATES = np.array([[0.5, 2.0], [6.0, 0.3]])


def _mixture_data(n_samples: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.choice(2, size=n_samples, p=[0.4, 0.6])
    return rng.exponential(1.0 / RATES[labels]), labels


def _matched_rates(rates: np.ndarray) -> np.ndarray:
    order = np.argsort(rates[:, 0])  # the truth has component 0 with the smaller first rate
    return rates[order]


def test_prior_is_consistent() -> None:
    x, _ = _mixture_data(200)
    family = Exponential()
    prior = GammaOnRates(shape=2.0, rate=3.0).for_data(family, x, np.ones(200), 2)
    chi, counts = prior.natural_hyperparameters()
    step = 1e-6
    gradient = (prior.log_normalizer_of(chi + step, counts) - prior.log_normalizer_of(chi - step, counts))
    # each feature's χ enters log Z separately, so perturbing all at once sums their gradients
    np.testing.assert_allclose(gradient / (2 * step), prior.expected_natural().sum(1), rtol=1e-6)
    draws = prior.sample_natural(200000, np.random.default_rng(1))
    np.testing.assert_allclose(draws.mean(0), prior.expected_natural(), rtol=1e-2)


def test_custom_family_passes_check_family() -> None:
    x, _ = _mixture_data(400)
    check_family(Exponential(), x[:, :1], max_examples=15)


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_custom_family_in_a_mixture(inference: str) -> None:
    x, _ = _mixture_data()
    prior = GammaOnRates(shape=1.0, rate=1.0) if inference == "vb" else None
    model = mx.Mixture(Exponential(), 2, inference=inference, prior=prior, n_init=4, random_state=0,
                       max_iter=500).fit(x)
    rates = _matched_rates(-model.components_.natural)
    np.testing.assert_allclose(rates, RATES, rtol=0.15)
    weights = model.weights_[np.argsort(-model.components_.natural[:, 0])[::-1]]
    np.testing.assert_allclose(np.sort(weights), [0.4, 0.6], atol=0.05)


class OverridesDefaultPrior(Exponential):
    def default_prior(self) -> GammaOnRates:
        return GammaOnRates()


class DeclaresDefaultPrior(Exponential):
    pass


class InheritsDefaultPrior(DeclaresDefaultPrior):
    pass


DeclaresDefaultPrior.declare_default_prior(GammaOnRates.default_for)


@pytest.mark.parametrize("family_type", [OverridesDefaultPrior, DeclaresDefaultPrior, InheritsDefaultPrior])
def test_a_family_declares_its_default_prior(family_type: type[Exponential]) -> None:
    """VB without prior= takes the prior the family declares, by overriding default_prior or by
    declare_default_prior (inherited by subclasses); a family without one says so."""
    x, _ = _mixture_data()
    assert type(default_prior(family_type())) is GammaOnRates
    model = mx.Mixture(family_type(), 2, inference="vb", n_init=4, random_state=0, max_iter=500).fit(x)
    np.testing.assert_allclose(_matched_rates(-model.components_.natural), RATES, rtol=0.15)
    with pytest.raises(ValueError, match="no default conjugate prior for Exponential"):
        default_prior(Exponential())


def test_a_default_prior_must_be_a_conjugate_prior() -> None:
    class Wrong(Exponential):
        def default_prior(self) -> Any:
            return "Gamma"

    with pytest.raises(TypeError, match="must return a ConjugatePrior"):
        default_prior(Wrong())


@pytest.mark.parametrize("inference", ["em", "vb"])
def test_custom_family_in_an_hmm(inference: str) -> None:
    rng = np.random.default_rng(3)
    states = np.repeat(rng.integers(0, 2, size=60), 50)  # sticky: 60 runs of 50 steps
    x = rng.exponential(1.0 / RATES[states])
    prior = GammaOnRates() if inference == "vb" else None
    model = mx.HMM(Exponential(), 2, inference=inference, prior=prior, n_init=3, random_state=0,
                   max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model.fit(x, lengths=[1500, 1500])
    np.testing.assert_allclose(_matched_rates(-model.components_.natural), RATES, rtol=0.15)
    assert np.all(np.diag(model.transmat_) > 0.9)


# --------------------------------------------------------------------------- broken families
class WrongGradient(Exponential):
    def natural_to_mean(self, natural):  # type: ignore[no-untyped-def]
        return -1.02 / natural

    def mean_to_natural(self, mean):  # type: ignore[no-untyped-def]
        return -1.02 / mean  # consistent with the wrong map, so only the gradient is off


class WrongRoundTrip(Exponential):
    def mean_to_natural(self, mean):  # type: ignore[no-untyped-def]
        return -1.02 / mean


class NotNormalised(Exponential):
    def log_base_measure(self, x):  # type: ignore[no-untyped-def]
        return np.full(x.shape[0], 0.1)


@pytest.mark.parametrize(
    ("family", "message"),
    [
        (WrongGradient(), "∇A"),
        (WrongRoundTrip(), "natural→mean→natural"),
        (NotNormalised(), "density does not normalise"),
    ],
)
def test_check_family_names_the_broken_property(family, message: str) -> None:
    x, _ = _mixture_data(300)
    with pytest.raises(AssertionError, match=message):
        check_family(family, x[:, :1], max_examples=10)


# --------------------------------------------------------------------------- user mistakes
class WrongShape(Exponential):
    def log_partition(self, natural):  # type: ignore[no-untyped-def]
        return super().log_partition(natural)[:, None]


class NaNStatistics(Exponential):
    def sufficient_statistics(self, x):  # type: ignore[no-untyped-def]
        out = np.asarray(x, dtype=float).copy()
        if out.shape[0] > 3:
            out[3, 0] = np.nan
        return out


class NaNUpdate(Exponential):
    def mean_to_natural(self, mean):  # type: ignore[no-untyped-def]
        return np.full_like(mean, np.nan)


class LostRow(Exponential):
    def sufficient_statistics(self, x):  # type: ignore[no-untyped-def]
        return np.asarray(x, dtype=float)[:-1]


@pytest.mark.parametrize(
    ("family", "message"),
    [
        (WrongShape(), r"WrongShape.log_partition returned an array of shape \(2, 1\); expected \(2,\)"),
        (NaNStatistics(), r"NaNStatistics.sufficient_statistics returned nan at index \(3, 0\)"),
        (NaNUpdate(), r"NaNUpdate.mean_to_natural \(in the M-step\) returned nan"),
        (LostRow(), r"LostRow.sufficient_statistics must return \(N, S\)"),
    ],
)
def test_mistakes_in_a_family_are_named(family, message: str) -> None:
    x, _ = _mixture_data(100)
    with pytest.raises(ValueError, match=message):
        mx.Mixture(family, 2, random_state=0).fit(x)
    if not isinstance(family, LostRow):
        with pytest.raises(ValueError, match=message):
            mx.HMM(family, 2, random_state=0).fit(x)


@attrs.frozen
class _NaNAtOneRow(mx.Poisson):
    """A family whose log-densities come out NaN at one row and component (a bug in a user's
    ``log_likelihood_of_statistics``)."""

    def log_likelihood_of_statistics(
        self, statistics: Any, log_base: Any, natural: Any, log_partition: Any = None
    ) -> Any:
        out = super().log_likelihood_of_statistics(statistics, log_base, natural, log_partition)
        out[3, 1] = np.nan
        return out


@pytest.mark.parametrize(
    "model",
    [
        mx.Mixture(_NaNAtOneRow(), 2, random_state=0),
        mx.Mixture(_NaNAtOneRow(), 2, random_state=0, inference="vb"),
        mx.HMM(_NaNAtOneRow(), 2, random_state=0),
    ],
    ids=["mixture-em", "mixture-vb", "hmm"],
)
def test_a_nan_log_density_is_refused_naming_the_method_and_row(model: Any) -> None:
    """No structure may absorb a NaN log-density silently (an HMM's recursions would): the fit
    stops with the family method, the entry and the row."""
    x = np.random.default_rng(0).poisson(3.0, size=(300, 2)).astype(float)
    message = r"log_likelihood_of_statistics\) returned nan at index \(3, 1\) \(for row 3"
    with pytest.raises(ValueError, match=message):
        model.fit(x)
