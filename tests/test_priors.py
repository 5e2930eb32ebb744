"""Conjugate priors: log Z against its expectations, Monte Carlo, exact updates, KL, predictive, mode.

Every prior is an exponential family over natural parameters, so its whole behaviour follows from
``log Z(χ, ν)``: ``∂ log Z/∂χ = E[η]``, ``∂ log Z/∂ν_b = −E[A_b]``. The properties below check that
identity by finite differences and the expectations themselves against draws of ``sample_natural``,
over a registry of (family, prior, data sampler) cases and hypothesis-drawn datasets.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray

from mixtures.families import (
    Bernoulli,
    Categorical,
    DiagonalGaussian,
    ExponentialFamily,
    Gaussian,
    Poisson,
    SphericalGaussian,
    SufficientStatistics,
    TiedGaussian,
)
from mixtures.priors.base import ConjugatePrior
from mixtures.priors.normal_gamma import NormalGamma, SphericalNormalGamma
from mixtures.priors.single import Beta, Dirichlet, Gamma
from mixtures.testing.registry import SupportSampler, case_named

NormalWishart: type[ConjugatePrior] | None
try:  # written in parallel; included when it exists
    from mixtures.priors.normal_wishart import NormalWishart
except ImportError:
    NormalWishart = None

Array = NDArray[np.float64]

#: Accepted Monte Carlo error in standard errors: the cases make a few thousand comparisons.
MC_SIGMAS = 6.0
#: Finite-difference steps are this fraction of each coordinate's natural scale (see ``steps``).
RELATIVE_STEP = 1e-3


# --------------------------------------------------------------------------- the registry
def _always(prior: ConjugatePrior) -> bool | None:
    return True


@attrs.frozen
class PriorCase:
    """A family, a data sampler of its support, and ways to build an unresolved prior.

    ``random_prior(rng, n_features)`` sets every hyperparameter at random (conventional values);
    ``mode_exists(resolved)`` says whether its mode is defined (``None``: unknown, so either a mode
    or a ``ValueError`` naming the prior is accepted). ``support(family, n_features)`` enumerates
    the sample space of a discrete family (``None``: integrate in one dimension instead), for at
    most ``predictive_features`` features. ``n_draws`` and ``n_kl_draws``: Monte Carlo draws.
    ``samples_per_feature``: datasets have at least this many rows per feature (and one more).
    ``log_partition(family, natural)``: ``A`` for the Monte Carlo check, if not the family's own.
    """

    name: str
    family: ExponentialFamily
    sample_support: SupportSampler
    default_prior: Callable[[], ConjugatePrior]
    random_prior: Callable[[np.random.Generator, int], ConjugatePrior]
    max_features: int = 3
    mode_exists: Callable[[ConjugatePrior], bool | None] = _always
    support: Callable[[ExponentialFamily, int], Array] | None = None
    predictive_features: int = 1
    n_draws: int = 20_000
    n_kl_draws: int = 4_000
    samples_per_feature: int = 0
    log_partition: Callable[[ExponentialFamily, Array], Array] | None = None


def _binary_vectors(family: ExponentialFamily, n_features: int) -> Array:
    return np.array(list(itertools.product([0.0, 1.0], repeat=n_features)))


def _symbol_vectors(family: ExponentialFamily, n_features: int) -> Array:
    assert isinstance(family, Categorical) and family.n_categories is not None
    symbols = np.arange(family.n_categories, dtype=np.float64)
    return np.array(list(itertools.product(symbols, repeat=n_features)))


def _counts_up_to_200(family: ExponentialFamily, n_features: int) -> Array:
    assert n_features == 1
    return np.arange(201, dtype=np.float64)[:, None]


def _random_gamma(rng: np.random.Generator, n_features: int) -> ConjugatePrior:
    return Gamma(shape=rng.uniform(0.3, 5.0, n_features), rate=rng.uniform(0.2, 3.0))


def _random_beta(rng: np.random.Generator, n_features: int) -> ConjugatePrior:
    return Beta(a=rng.uniform(0.3, 3.0, n_features), b=rng.uniform(0.3, 3.0))


def _random_dirichlet(rng: np.random.Generator, n_features: int) -> ConjugatePrior:
    # a common level around which symbols vary: every α > 1 in about half the draws
    level = rng.uniform(0.3, 3.0)
    return Dirichlet(concentration=level * rng.uniform(0.9, 1.1, (n_features, 4)))


def _random_normal_gamma(rng: np.random.Generator, n_features: int) -> ConjugatePrior:
    return NormalGamma(
        mean=rng.normal(0.0, 4.0, n_features),
        mean_precision=rng.uniform(0.1, 5.0, n_features),
        shape=rng.uniform(0.3, 4.0, n_features),
        rate=rng.uniform(0.2, 5.0),
    )


def _random_spherical_normal_gamma(rng: np.random.Generator, n_features: int) -> ConjugatePrior:
    return SphericalNormalGamma(
        mean=rng.normal(0.0, 4.0, n_features),
        mean_precision=rng.uniform(0.1, 5.0),
        shape=rng.uniform(0.3, 4.0),
        rate=rng.uniform(0.2, 5.0),
    )


def full_gaussian_log_partition(family: ExponentialFamily, natural: Array) -> Array:
    """``A(η) = ½ η₁ᵀ Λ⁻¹ η₁ − ½ log|Λ|`` of a full Gaussian for many rows at once.

    Batched, and it accepts the nearly singular precisions a Wishart with few degrees of freedom
    draws now and then, which ``Gaussian.log_partition`` refuses as numerically singular.
    """
    assert isinstance(family, Gaussian)
    n_features = family.n_features_of(natural.shape[1])
    precision = family.precision_of(natural)
    first = natural[:, :n_features]
    _, log_det = np.linalg.slogdet(precision)
    solved = np.linalg.solve(precision, first[..., None])[..., 0]
    return 0.5 * np.einsum("nd,nd->n", first, solved) - 0.5 * log_det


def _normal_gamma_has_mode(prior: ConjugatePrior) -> bool:
    # the density in (μ, λ) has the factor λ^(shape − 1 + d/2): a mode needs a positive power
    assert isinstance(prior, NormalGamma | SphericalNormalGamma)
    group_size = 1 if isinstance(prior, NormalGamma) else np.asarray(prior.mean).shape[1]
    return bool(np.all(np.asarray(prior.shape) - 1.0 + 0.5 * group_size > 0))


def _unknown_mode(prior: ConjugatePrior) -> bool | None:
    return None


def _cases() -> list[PriorCase]:
    real = case_named("diagonal").sample_support
    cases = [
        PriorCase(
            "gamma",
            case_named("poisson").family,
            case_named("poisson").sample_support,
            Gamma,
            _random_gamma,
            support=_counts_up_to_200,
        ),
        PriorCase(
            "beta",
            case_named("bernoulli").family,
            case_named("bernoulli").sample_support,
            Beta,
            _random_beta,
            max_features=4,
            support=_binary_vectors,
            predictive_features=3,
        ),
        PriorCase(
            "dirichlet",
            case_named("categorical").family,
            case_named("categorical").sample_support,
            Dirichlet,
            _random_dirichlet,
            support=_symbol_vectors,
            predictive_features=2,
        ),
        PriorCase(
            "normal_gamma",
            DiagonalGaussian(reg_covar=0.0),
            real,
            NormalGamma,
            _random_normal_gamma,
            mode_exists=_normal_gamma_has_mode,
        ),
        PriorCase(
            "spherical_normal_gamma",
            SphericalGaussian(reg_covar=0.0),
            real,
            SphericalNormalGamma,
            _random_spherical_normal_gamma,
            mode_exists=_normal_gamma_has_mode,
        ),
    ]
    if NormalWishart is not None:
        cases.append(
            PriorCase(
                "normal_wishart",
                case_named("gaussian").family,
                real,
                NormalWishart,
                lambda rng, n_features: NormalWishart(),
                mode_exists=_unknown_mode,
                n_kl_draws=1_000,  # its log density factors one matrix at a time
                samples_per_feature=3,  # full covariances of fewer points are near singular
                log_partition=full_gaussian_log_partition,
            )
        )
    return cases


CASES = {case.name: case for case in _cases()}
assert isinstance(CASES["dirichlet"].family, Categorical)
assert CASES["dirichlet"].family.n_categories == 4  # _random_dirichlet assumes it


@attrs.frozen(eq=False)
class Setup:
    """A dataset with sample weights and soft assignments, the configured family, the resolved
    prior ``p`` and its posterior ``q`` after the weighted, assigned data."""

    x: Array
    weights: Array
    responsibilities: Array
    family: ExponentialFamily
    prior: ConjugatePrior
    seed: int

    def statistics(self, rows: slice = slice(None)) -> SufficientStatistics:
        return self.family.expected_statistics(self.x[rows], self.responsibilities[rows], self.weights[rows])

    @property
    def posterior(self) -> ConjugatePrior:
        return self.prior.update(self.statistics())

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed + 1)


@st.composite
def setups(draw: st.DrawFn, case: PriorCase, max_features: int | None = None) -> Setup:
    seed = draw(st.integers(0, 2**31 - 1))
    n_features = draw(st.integers(1, max_features or case.max_features))
    fewest = max(2, case.samples_per_feature * (n_features + 1))
    n_samples = draw(st.integers(fewest, max(40, fewest + 10)))
    n_components = draw(st.integers(1, 3))
    informative = draw(st.booleans())
    weighted = draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = case.sample_support(rng, n_samples, n_features)
    weights = rng.uniform(0.2, 3.0, n_samples) if weighted else np.ones(n_samples)
    family = case.family.for_data(x, weights)
    unresolved = case.random_prior(rng, n_features) if informative else case.default_prior()
    prior = unresolved.for_data(family, x, weights, n_components)
    responsibilities = rng.dirichlet(np.full(n_components, 0.5), size=n_samples)
    return Setup(x, weights, responsibilities, family, prior, seed)


# --------------------------------------------------------------------------- helpers
def assert_close(actual: ArrayLike, expected: ArrayLike, tolerance: ArrayLike, what: str) -> None:
    actual, expected, bound = np.broadcast_arrays(actual, expected, tolerance)
    error = np.abs(actual - expected)
    if not np.all(error <= bound):
        worst = np.unravel_index(np.argmax(error - bound), error.shape)
        raise AssertionError(
            f"{what}: at {tuple(int(i) for i in worst)}: {actual[worst]!r} vs {expected[worst]!r} "
            f"(error {error[worst]:.3g} > {bound[worst]:.3g})"
        )


def five_point_gradient(function: Callable[[Array], Array], point: Array, step: Array) -> Array:
    """Gradient of ``function`` (``(..., K, P) -> (..., K)``, row-wise) at ``point`` ``(K, P)``
    by the fourth-order central difference with ``step`` ``(K, P)``, all in one batched call."""
    n_params = point.shape[1]
    offsets = np.array([-2.0, -1.0, 1.0, 2.0])
    coefficients = np.array([1.0, -8.0, 8.0, -1.0]) / 12.0
    # shifted[o, p, k, :] = point[k] + offsets[o] · step[k, p] · e_p
    unit = np.eye(n_params)[None, :, None, :] * step.T[None, :, :, None]
    shifted = point[None, None] + offsets[:, None, None, None] * unit
    values = function(shifted)  # (4, P, K)
    return np.einsum("o,opk->kp", coefficients, values) / step


def tiled(prior: ConjugatePrior, n_copies: int) -> ConjugatePrior:
    """The prior's ``K`` components repeated ``n_copies`` times (to evaluate many points at once)."""
    chi, counts = prior.natural_hyperparameters()
    return prior.with_natural_hyperparameters(np.tile(chi, (n_copies, 1)), np.tile(counts, (n_copies, 1)))


def log_density_of_draws(prior: ConjugatePrior, draws: Array) -> Array:
    """``prior.log_density`` at every draw ``(n, K, S)``: ``(n, K)``."""
    n_draws, n_components, n_statistics = draws.shape
    values = tiled(prior, n_draws).log_density(draws.reshape(-1, n_statistics))
    return values.reshape(n_draws, n_components)


def both(setup: Setup) -> list[tuple[str, ConjugatePrior]]:
    return [("prior", setup.prior), ("posterior", setup.posterior)]


def steps(prior: ConjugatePrior, rng: np.random.Generator) -> tuple[Array, Array]:
    """Finite-difference steps for ``χ`` and ``ν``: ``RELATIVE_STEP / sd`` of the statistic each
    multiplies (``η_s``, ``A_b``), the scale on which ``log Z`` (their cumulant function) bends.
    A statistic without spread (or a prior without ``log_partition_blocks``) gets a step relative
    to the hyperparameter itself."""
    chi, counts = prior.natural_hyperparameters()
    draws = prior.sample_natural(500, rng)
    blocks_of = getattr(prior, "log_partition_blocks", None)
    if blocks_of is None:
        block_spread = np.zeros_like(counts)
    else:
        n_statistics = chi.shape[1]
        blocks = blocks_of(draws.reshape(-1, n_statistics))
        # tiled rows are (draw, component): undo that to get a spread per component and block
        block_spread = blocks.reshape(draws.shape[0], *counts.shape).std(0)

    def scaled(spread: Array, value: Array) -> Array:
        return np.where(
            spread > 0,
            RELATIVE_STEP / np.where(spread > 0, spread, 1.0),
            RELATIVE_STEP * np.maximum(np.abs(value), 1.0),
        )

    return scaled(draws.std(0), chi), scaled(block_spread, counts)


# --------------------------------------------------------------------------- properties
def check_log_normalizer_gradient(setup: Setup) -> None:
    """``∂ log Z/∂χ = E[η]`` and ``∂ log Z/∂ν_b = −E[A_b]`` (finite differences)."""
    for label, prior in both(setup):
        _check_gradient(prior, setup.rng(), label)


def _check_gradient(prior: ConjugatePrior, rng: np.random.Generator, label: str) -> None:
    chi, counts = prior.natural_hyperparameters()
    chi_step, count_step = steps(prior, rng)

    def of_chi(shifted: Array) -> Array:
        return prior.log_normalizer_of(
            shifted, np.broadcast_to(counts, (*shifted.shape[:-1], counts.shape[1]))
        )

    def of_counts(shifted: Array) -> Array:
        return prior.log_normalizer_of(np.broadcast_to(chi, (*shifted.shape[:-1], chi.shape[1])), shifted)

    expected_natural = prior.expected_natural()
    expected_blocks = prior.expected_log_partition_blocks()
    assert expected_natural.shape == chi.shape
    assert expected_blocks.shape == counts.shape
    by_chi = five_point_gradient(of_chi, chi, chi_step)
    by_counts = five_point_gradient(of_counts, counts, count_step)
    assert_close(by_chi, expected_natural, 1e-6 * (1 + np.abs(expected_natural)), f"{label} ∂logZ/∂χ")
    assert_close(by_counts, -expected_blocks, 1e-6 * (1 + np.abs(expected_blocks)), f"{label} ∂logZ/∂ν")


def check_expectations_by_monte_carlo(setup: Setup, case: PriorCase) -> None:
    """``E[η]`` and ``Σ_b E[A_b] = E[A(η)]`` equal their Monte Carlo means under ``sample_natural``."""
    n_draws = case.n_draws
    for label, prior in both(setup):
        draws = prior.sample_natural(n_draws, setup.rng())
        n_components, n_statistics = prior.natural_hyperparameters()[0].shape
        assert draws.shape == (n_draws, n_components, n_statistics)
        assert np.all(np.isfinite(draws))
        log_partition_of = case.log_partition or type(setup.family).log_partition
        flat = draws.reshape(-1, n_statistics)
        log_partition = log_partition_of(setup.family, flat).reshape(n_draws, -1)
        for name, values, expected in [
            ("E[η]", draws, prior.expected_natural()),
            ("E[A]", log_partition, prior.expected_log_partition()),
        ]:
            standard_error = values.std(0) / np.sqrt(n_draws)
            tolerance = MC_SIGMAS * standard_error + 1e-9 * (1 + np.abs(expected))
            assert_close(values.mean(0), expected, tolerance, f"{label} {name} vs Monte Carlo")


def check_kl_divergence(setup: Setup, case: PriorCase) -> None:
    """``KL(q‖q) = 0``, ``KL ≥ 0`` both ways, and ``KL(q‖p)`` (summed over components) is
    ``E_q[log q − log p]``."""
    prior, posterior = setup.prior, setup.posterior
    scale = 1e-9 * float(1 + np.abs(posterior.log_normalizer()).sum() + np.abs(prior.log_normalizer()).sum())
    assert_close(posterior.kl_divergence(posterior), 0.0, scale, "KL(q‖q)")
    assert_close(prior.kl_divergence(prior), 0.0, scale, "KL(p‖p)")
    forward, backward = posterior.kl_divergence(prior), prior.kl_divergence(posterior)
    assert forward >= -scale, forward
    assert backward >= -scale, backward
    n_draws = case.n_kl_draws
    draws = posterior.sample_natural(n_draws, setup.rng())
    ratio = (log_density_of_draws(posterior, draws) - log_density_of_draws(prior, draws)).sum(1)
    tolerance = MC_SIGMAS * ratio.std() / np.sqrt(n_draws) + scale
    assert_close(ratio.mean(), forward, tolerance, "KL(q‖p) vs Monte Carlo")


def check_update_is_exact(setup: Setup) -> None:
    """Updating with two halves of the data equals one update with all of it; the natural
    hyperparameters survive a round trip through the conventional ones."""
    n_samples = setup.x.shape[0]
    cut = 1 + setup.seed % (n_samples - 1)
    first, second = setup.statistics(slice(None, cut)), setup.statistics(slice(cut, None))
    in_turn = setup.prior.update(first).update(second).natural_hyperparameters()
    at_once = setup.posterior.natural_hyperparameters()
    for part, (a, b) in zip(("χ", "ν"), zip(in_turn, at_once, strict=True), strict=True):
        assert_close(a, b, 1e-12 * (1 + np.abs(b).max()), f"posterior {part}: in two steps vs at once")
    chi, counts = setup.posterior.natural_hyperparameters()
    again = setup.posterior.with_natural_hyperparameters(chi, counts).natural_hyperparameters()
    assert_close(again[0], chi, 1e-12 * (1 + np.abs(chi).max()), "χ round trip")
    assert_close(again[1], counts, 1e-12 * (1 + np.abs(counts).max()), "ν round trip")


def _predictive_mass(prior: ConjugatePrior, case: PriorCase, n_features: int) -> Array:
    family = prior.family
    if case.support is not None:
        points = case.support(family, n_features)
        return np.exp(prior.log_predictive(points)).sum(0)
    # one real feature: integrate each component's predictive around its own centre and scale
    assert n_features == 1
    mean = family.natural_to_mean(prior.posterior_mean_natural())
    centre = mean[:, 0] + family.origin_for(1)[0]  # type: ignore[attr-defined]
    scale = np.sqrt(mean[:, 1] - mean[:, 0] ** 2)

    def density(t: float) -> Array:
        values = prior.log_predictive((centre + scale * t)[:, None])
        return scale * np.exp(np.diagonal(values))

    mass, _ = scipy.integrate.quad_vec(density, -np.inf, np.inf, epsabs=1e-11, epsrel=1e-10)
    return np.asarray(mass)


def check_predictive_normalises(setup: Setup, case: PriorCase) -> None:
    """The posterior predictive sums (or integrates) to one over the sample space."""
    n_features = setup.x.shape[1]
    for label, prior in both(setup):
        mass = _predictive_mass(prior, case, n_features)
        assert_close(mass, 1.0, 1e-8, f"{label} predictive mass")


def check_mode_is_maximal(setup: Setup, case: PriorCase) -> None:
    """``log_density`` is largest at ``mode()`` among small perturbations of it."""
    rng = setup.rng()
    for label, prior in both(setup):
        exists = case.mode_exists(prior)
        if exists is False:
            with pytest.raises(ValueError, match=type(prior).__name__):
                prior.mode()
            continue
        try:
            mode = prior.mode()
        except ValueError as error:
            if exists is None and type(prior).__name__ in str(error):
                continue
            raise
        top = prior.log_density(mode)
        assert np.all(np.isfinite(top)), f"{label}: log density at the mode is {top}"
        for _ in range(20):
            direction = np.maximum(np.abs(mode), 1.0) * rng.standard_normal(mode.shape)
            value = _density_nearby(prior, mode, direction)
            assert np.all(value <= top + 1e-10 * (1 + np.abs(top))), (
                f"{label}: log density {value} near the mode exceeds {top} at the mode"
            )


def _density_nearby(prior: ConjugatePrior, mode: Array, direction: Array) -> Array:
    """``log_density`` a small step from the mode; the step shrinks while it leaves the support
    (a family may refuse parameters there, e.g. a precision matrix that is not positive definite)."""
    for size in (1e-3, 1e-5, 1e-7):
        try:
            return prior.log_density(mode + size * direction)
        except ValueError:
            continue
    raise AssertionError("every perturbation of the mode left the support")


PROPERTIES: dict[str, Callable[[Setup, PriorCase], None]] = {
    "gradient": lambda setup, case: check_log_normalizer_gradient(setup),
    "monte_carlo": check_expectations_by_monte_carlo,
    "kl": check_kl_divergence,
    "exact_update": lambda setup, case: check_update_is_exact(setup),
}


@pytest.mark.parametrize("prop", sorted(PROPERTIES))
@pytest.mark.parametrize("name", sorted(CASES))
def test_property(name: str, prop: str) -> None:
    case = CASES[name]

    @given(setup=setups(case))
    def run(setup: Setup) -> None:
        PROPERTIES[prop](setup, case)

    run()


@pytest.mark.parametrize("name", sorted(CASES))
def test_predictive_normalises(name: str) -> None:
    case = CASES[name]

    @given(setup=setups(case, max_features=case.predictive_features))
    def run(setup: Setup) -> None:
        check_predictive_normalises(setup, case)

    run()


@pytest.mark.parametrize("name", sorted(CASES))
def test_mode_is_maximal(name: str) -> None:
    case = CASES[name]

    @given(setup=setups(case))
    def run(setup: Setup) -> None:
        check_mode_is_maximal(setup, case)

    run()


@pytest.mark.skipif(NormalWishart is None, reason="mixtures.priors.normal_wishart is not importable")
def test_normal_wishart_is_in_the_registry() -> None:
    assert "normal_wishart" in CASES


@given(st.integers(0, 2**31 - 1), st.integers(1, 4))
def test_reference_log_partition_is_the_gaussian_one(seed: int, n_features: int) -> None:
    case = case_named("gaussian")
    rng = np.random.default_rng(seed)
    x = case.sample_support(rng, 5 * n_features + 5, n_features)
    family = case.family.for_data(x, np.ones(x.shape[0]))
    natural = family.maximum_likelihood(family.expected_statistics(x, rng.dirichlet([1.0] * 3, x.shape[0])))
    assert_close(
        full_gaussian_log_partition(family, natural),
        family.log_partition(natural),
        1e-9 * (1 + np.abs(family.log_partition(natural))),
        "reference A(η)",
    )


# --------------------------------------------------------------------------- closed forms
def _resolved(
    prior: ConjugatePrior, family: ExponentialFamily, x: Array, n_components: int = 2
) -> tuple[Any, Any]:
    """The family configured for ``x`` and the prior resolved for it (typed loosely: the tests
    read each prior's own fields)."""
    family = family.for_data(x, np.ones(x.shape[0]))
    return family, prior.for_data(family, x, np.ones(x.shape[0]), n_components)


def _hard_statistics(
    family: ExponentialFamily, x: Array, labels: NDArray[np.intp], n_components: int
) -> SufficientStatistics:
    return family.expected_statistics(x, np.eye(n_components)[labels])


def test_beta_posterior_and_predictive_are_the_textbook_ones() -> None:
    rng = np.random.default_rng(1)
    x = (rng.random((30, 3)) < [0.2, 0.5, 0.9]).astype(float)
    labels = rng.integers(0, 2, 30)
    family, prior = _resolved(Beta(a=[0.5, 1.0, 2.0], b=1.5), Bernoulli(), x)
    posterior = prior.update(_hard_statistics(family, x, labels, 2))
    assert isinstance(posterior, Beta)
    ones = np.array([x[labels == k].sum(0) for k in range(2)])
    totals = np.bincount(labels, minlength=2)[:, None]
    np.testing.assert_allclose(posterior.a, prior.a + ones, rtol=1e-14)
    np.testing.assert_allclose(posterior.b, prior.b + totals - ones, rtol=1e-14)
    # the predictive is Bernoulli with p = E[p] = a / (a + b), independently per feature
    probs = posterior.a / (posterior.a + posterior.b)
    point = np.array([[1.0, 0.0, 1.0]])
    expected = np.log(np.where(point == 1, probs, 1 - probs)).sum(1)
    np.testing.assert_allclose(posterior.log_predictive(point)[0], expected, rtol=1e-12)
    np.testing.assert_allclose(posterior.mode(), scipy.special.logit(probs), rtol=1e-12)


def test_dirichlet_predictive_mode_and_mean() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(0, 3, (25, 2)).astype(float)
    labels = rng.integers(0, 2, 25)
    family, prior = _resolved(Dirichlet(concentration=[1.5, 2.0, 3.0]), Categorical(n_categories=3), x)
    posterior = prior.update(_hard_statistics(family, x, labels, 2))
    assert isinstance(posterior, Dirichlet)
    alpha = np.asarray(posterior.concentration)  # (K, D, C)
    counts = np.array(
        [[np.bincount(x[labels == k, d].astype(int), minlength=3) for d in range(2)] for k in range(2)]
    )
    np.testing.assert_allclose(alpha, np.asarray(prior.concentration) + counts, rtol=1e-14)
    np.testing.assert_allclose(posterior.observed_weight, np.bincount(labels, minlength=2))
    point = np.array([[2.0, 0.0]])
    expected = np.log(alpha[:, 0, 2] / alpha[:, 0].sum(-1)) + np.log(alpha[:, 1, 0] / alpha[:, 1].sum(-1))
    np.testing.assert_allclose(posterior.log_predictive(point)[0], expected, rtol=1e-12)
    # in log-ratio coordinates the mode is α / Σα (as for Beta), defined for every α > 0
    mean = alpha / alpha.sum(-1, keepdims=True)
    np.testing.assert_allclose(family.components(posterior.mode()).probs, mean, rtol=1e-12)
    np.testing.assert_allclose(family.components(posterior.posterior_mean_natural()).probs, mean, rtol=1e-12)
    _, uniform = _resolved(Dirichlet(), Categorical(n_categories=3), x)
    np.testing.assert_allclose(family.components(uniform.mode()).probs, 1 / 3, rtol=1e-12)


def test_gamma_predictive_is_negative_binomial() -> None:
    rng = np.random.default_rng(3)
    x = rng.poisson(4.0, (20, 1)).astype(float)
    _, prior = _resolved(Gamma(shape=2.5, rate=0.7), Poisson(), x, 1)
    counts = np.arange(15.0)[:, None]
    expected = scipy.stats.nbinom.logpmf(counts[:, 0], 2.5, 0.7 / 1.7)
    np.testing.assert_allclose(prior.log_predictive(counts)[:, 0], expected, rtol=1e-12)


def test_normal_gamma_posterior_is_the_textbook_one() -> None:
    rng = np.random.default_rng(4)
    x = 1e3 + rng.normal(0.0, [0.5, 2.0], (40, 2))
    labels = rng.integers(0, 2, 40)
    prior = NormalGamma(mean=[1e3 + 1.0, 1e3 - 2.0], mean_precision=[0.5, 2.0], shape=1.5, rate=[0.3, 4.0])
    family, prior = _resolved(prior, DiagonalGaussian(), x)
    posterior = prior.update(_hard_statistics(family, x, labels, 2))
    assert isinstance(posterior, NormalGamma)
    for k in range(2):
        data = x[labels == k]
        n, average = data.shape[0], data.mean(0)
        beta, m, a, b = prior.mean_precision[k], prior.mean[k], prior.shape[k], prior.rate[k]
        np.testing.assert_allclose(posterior.mean_precision[k], beta + n, rtol=1e-13)
        np.testing.assert_allclose(posterior.mean[k], (beta * m + n * average) / (beta + n), rtol=1e-12)
        np.testing.assert_allclose(posterior.shape[k], a + n / 2, rtol=1e-13)
        spread = ((data - average) ** 2).sum(0)
        rate = b + 0.5 * spread + 0.5 * beta * n * (average - m) ** 2 / (beta + n)
        np.testing.assert_allclose(posterior.rate[k], rate, rtol=1e-9)


def test_normal_gamma_predictive_is_student_t() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(3.0, 2.0, (15, 3))
    family, prior = _resolved(NormalGamma(mean_precision=0.7), DiagonalGaussian(), x)
    posterior = prior.update(family.expected_statistics(x, rng.dirichlet([1.0, 1.0], 15)))
    assert isinstance(posterior, NormalGamma)
    points = rng.normal(3.0, 4.0, (6, 3))
    a, b, beta = posterior.shape, posterior.rate, posterior.mean_precision
    scale = np.sqrt(b * (beta + 1) / (a * beta))
    expected = scipy.stats.t.logpdf(points[:, None, :], df=2 * a, loc=posterior.mean, scale=scale).sum(-1)
    np.testing.assert_allclose(posterior.log_predictive(points), expected, rtol=1e-10)


def test_spherical_normal_gamma_predictive_is_multivariate_t() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(-2.0, 1.5, (15, 3))
    family, prior = _resolved(SphericalNormalGamma(shape=0.8), SphericalGaussian(), x)
    posterior = prior.update(family.expected_statistics(x, rng.dirichlet([1.0, 1.0], 15)))
    assert isinstance(posterior, SphericalNormalGamma)
    points = rng.normal(-2.0, 3.0, (6, 3))
    for k in range(2):
        a, b, beta = posterior.shape[k], posterior.rate[k], posterior.mean_precision[k]
        # ``rate`` is in standardised units: the shape matrix stretches by the feature scales
        units = np.diag(family.scale_for(3) ** 2)
        student = scipy.stats.multivariate_t(
            loc=posterior.mean[k], shape=b * (beta + 1) / (a * beta) * units, df=2 * a
        )
        np.testing.assert_allclose(posterior.log_predictive(points)[:, k], student.logpdf(points), rtol=1e-10)


def test_normal_gamma_defaults_follow_the_data() -> None:
    rng = np.random.default_rng(7)
    x = 1e8 + rng.normal(0.0, [1.0, 3.0], (200, 2))
    weights = rng.uniform(0.5, 2.0, 200)
    family = DiagonalGaussian().for_data(x, weights)
    prior = NormalGamma().for_data(family, x, weights, 3)
    centred = x - family.origin_for(2)
    variance = np.average((centred - np.average(centred, 0, weights)) ** 2, 0, weights)
    np.testing.assert_allclose(prior.shape, 1.0)
    np.testing.assert_allclose(prior.mean_precision, 1.0)
    np.testing.assert_allclose(prior.shape / prior.rate, np.broadcast_to(1 / variance, (3, 2)), rtol=1e-12)
    chi, counts = prior.natural_hyperparameters()
    np.testing.assert_allclose(chi[:, :2], 0.0, atol=1e-7)  # the mean is the origin: centred 0
    np.testing.assert_allclose(prior.mean, np.broadcast_to(np.average(x, 0, weights), (3, 2)), rtol=1e-15)
    np.testing.assert_allclose(counts, np.tile([1.0, 1.0, 1.0, 1.0], (3, 1)))

    spherical_family = SphericalGaussian().for_data(x, weights)
    spherical = SphericalNormalGamma().for_data(spherical_family, x, weights, 3)
    np.testing.assert_allclose(spherical.shape, 2.0)
    # in standardised units: the mean variance of the standardised features
    standardised = variance / spherical_family.scale_for(2) ** 2
    np.testing.assert_allclose(spherical.shape / spherical.rate, 1 / standardised.mean(), rtol=1e-12)
    # a constant feature still gives a valid prior
    constant = np.ones((5, 2))
    flat = NormalGamma().for_data(
        DiagonalGaussian(reg_covar=0.0).for_data(constant, np.ones(5)), constant, np.ones(5), 1
    )
    assert np.all(flat.rate > 0)


def test_normal_gamma_blocks_sum_to_the_family_log_partition() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(0.0, 1.0, (10, 3))
    for prior, family in [(NormalGamma(), DiagonalGaussian()), (SphericalNormalGamma(), SphericalGaussian())]:
        family, resolved = _resolved(prior, family, x)
        natural = resolved.sample_natural(1, rng)[0]
        blocks = resolved.log_partition_blocks(natural)
        np.testing.assert_allclose(blocks.sum(1), family.log_partition(natural), rtol=1e-12)
    family, beta = _resolved(Beta(), Bernoulli(), (x > 0).astype(float))
    natural = beta.sample_natural(1, rng)[0]
    np.testing.assert_allclose(beta.log_partition_blocks(natural).sum(1), family.log_partition(natural))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Beta(a=-1.0), r"Beta\.a must be positive"),
        (lambda: Beta(b=[1.0, np.nan]), r"Beta\.b must be positive"),
        (lambda: Dirichlet(concentration=0.0), r"Dirichlet\.concentration must be positive"),
        (lambda: NormalGamma(rate=0.0), r"NormalGamma\.rate must be positive"),
        (lambda: NormalGamma(mean=np.inf), r"NormalGamma\.mean must be finite"),
        (lambda: SphericalNormalGamma(shape=-2.0), r"SphericalNormalGamma\.shape must be positive"),
        (lambda: SphericalNormalGamma(mean_precision=-1.0), r"SphericalNormalGamma\.mean_precision must"),
    ],
)
def test_bad_hyperparameters_are_named(make: Callable[[], ConjugatePrior], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("prior", "family", "message"),
    [
        (Beta(), Poisson(), "Beta prior is for Bernoulli"),
        (Dirichlet(), Bernoulli(), "Dirichlet prior is for Categorical"),
        (NormalGamma(), SphericalGaussian(), "NormalGamma prior is for DiagonalGaussian"),
        (SphericalNormalGamma(), DiagonalGaussian(), "SphericalNormalGamma prior is for SphericalGaussian"),
        (Beta(a=[1.0, 2.0]), Bernoulli(), r"Beta\.a must be a scalar, a vector of length 3"),
        (
            Dirichlet(concentration=[1.0, 2.0]),
            Categorical(n_categories=3),
            r"Dirichlet\.concentration must be",
        ),
        (NormalGamma(mean=[0.0, 1.0]), DiagonalGaussian(), r"NormalGamma\.mean must be a scalar"),
        (
            SphericalNormalGamma(shape=[1.0, 2.0, 3.0]),
            SphericalGaussian(),
            r"SphericalNormalGamma\.shape must be",
        ),
    ],
)
def test_for_data_rejects_mismatches(prior: ConjugatePrior, family: ExponentialFamily, message: str) -> None:
    x = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 2.0]])
    with pytest.raises(ValueError, match=message):
        prior.for_data(family.for_data(x, np.ones(2)), x, np.ones(2), 2)


def test_normal_gamma_mode_needs_shape_above_one_half() -> None:
    x = np.random.default_rng(9).normal(size=(10, 2))
    _, prior = _resolved(NormalGamma(shape=0.5), DiagonalGaussian(), x)
    with pytest.raises(ValueError, match=r"NormalGamma\.mode needs shape > 0\.5"):
        prior.mode()
    _, spherical = _resolved(SphericalNormalGamma(shape=0.1), SphericalGaussian(), x)
    assert np.all(np.isfinite(spherical.mode()))  # 1 − D/2 = 0 < 0.1: the mode exists


def test_unresolved_prior_says_so() -> None:
    for prior in (Beta(), Dirichlet(), NormalGamma(), SphericalNormalGamma()):
        with pytest.raises(ValueError, match="not resolved"):
            prior.family  # noqa: B018 - the property raises


@pytest.mark.parametrize(
    "family",
    [
        Gaussian(), TiedGaussian(), DiagonalGaussian(), SphericalGaussian(), Bernoulli(), Poisson(),
        Categorical(),
    ],
    ids=lambda family: family.name,
)
def test_every_default_prior_has_a_mode(family) -> None:
    """MAP-EM takes the prior's mode for a component that lost its data; a default prior must
    have one (the Normal-Wishart's default dof used to be D, which has none)."""
    from mixtures.priors import default_prior

    rng = np.random.default_rng(0)
    x = rng.poisson(2.0, (50, 3)).astype(float)
    if isinstance(family, Bernoulli):
        x = (x > 1).astype(float)
    configured = family.for_data(x, np.ones(50))
    prior = default_prior(configured).for_data(configured, x, np.ones(50), 4)
    assert np.all(np.isfinite(prior.mode()))


def test_map_em_with_default_priors_survives_an_emptied_component() -> None:
    """The report: 400 ordinary points, K=5, MAP-EM with NormalWishart() raised "no mode with
    dof <= D" as soon as a component emptied."""
    import warnings

    import mixtures as mx

    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(0.0, 1.0, (200, 2)), rng.normal(4.0, 1.0, (200, 2))]
    for seed in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = mx.Mixture(mx.Gaussian(), 5, prior=mx.NormalWishart(), random_state=seed).fit(x)
        assert np.all(np.isfinite(model.components_.covariance))
        assert np.all(np.isfinite(model.lower_bounds_))
