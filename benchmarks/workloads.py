"""The workloads of the benchmark suite: data, common starting parameters, this library's run
and each peer's run on the same problem.

Every contender starts from the same parameters where the peer accepts them (scikit-learn's
``weights_init``/``means_init``/``precisions_init``, hmmlearn's preset attributes with
``init_params=""``, pomegranate's initialised distributions), runs a fixed number of iterations
(``tol`` that can never be met) and works in float64. ``BayesianGaussianMixture`` takes no
starting parameters: both sides start from random responsibilities there.

Only the iterations are timed, each library through what it offers: ours through
``observe_iterations`` (from the state after the first E-step to the state after the n-th
update), the peers by clock readings taken as their fit calls its own E- and M-step methods
(``harness.Stamps``). Both sides' spans hold the same work: n E-steps and n M-steps.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from harness import Contender, Problem, Run, Sizes, Stamps, Workload, pinned_threads

import mixtures as mx
from mixtures.families.base import Components, ExponentialFamily
from mixtures.inference.loop import IterationRecord, observe_iterations

ROWS_PER_BLOCK = 100_000  # data are generated block by block: no temporaries the size of x
N_MIX = 3  # components per state of the mixture-emission HMM (hmm-gmm)
#: The ridge of the mixture-emission HMM on both sides: ours reg_covar, hmmlearn's min_covar.
GMM_HMM_RIDGE = 1e-3


# ----------------------------------------------------------------------------- data
def _clusters(
    sizes: Sizes, seed: int, profiles: np.ndarray,
    draw: Callable[[np.random.Generator, np.ndarray], np.ndarray], out: np.ndarray | None = None,
) -> np.ndarray:
    """Rows from ``K`` cluster ``profiles``: each row's cluster is drawn at random, then
    ``draw(rng, profiles[labels])``; generated block by block (no temporaries the size of x),
    into ``out`` (e.g. a writable memory map) when given."""
    rng = np.random.default_rng(seed + 1)
    x = np.empty((sizes.n_samples, sizes.n_features)) if out is None else out
    for start in range(0, sizes.n_samples, ROWS_PER_BLOCK):
        rows = slice(start, min(start + ROWS_PER_BLOCK, sizes.n_samples))
        labels = rng.integers(0, sizes.n_components, size=rows.stop - rows.start)
        x[rows] = draw(rng, profiles[labels])
    return x


def gaussian_clusters(sizes: Sizes, seed: int = 0, out: np.ndarray | None = None) -> np.ndarray:
    """Well-separated Gaussian clusters (centres ~ N(0, 4²), unit noise), written into ``out``
    when given (``(N, D)`` float64, e.g. a memory map for data larger than one wants to hold)."""
    centres = np.random.default_rng(seed).normal(0.0, 4.0, size=(sizes.n_components, sizes.n_features))
    return _clusters(sizes, seed, centres, lambda rng, means: means + rng.standard_normal(means.shape), out)


def binary_clusters(sizes: Sizes, seed: int = 0) -> np.ndarray:
    """0/1 features from ``K`` prototypes of success probabilities in (0.1, 0.9)."""
    prototypes = np.random.default_rng(seed).uniform(0.1, 0.9, size=(sizes.n_components, sizes.n_features))
    return _clusters(sizes, seed, prototypes, lambda rng, probs: rng.random(probs.shape) < probs)


def count_clusters(sizes: Sizes, seed: int = 0) -> np.ndarray:
    """Poisson counts from ``K`` rate profiles (rates ~ Gamma(2, 2))."""
    rates = np.random.default_rng(seed).gamma(2.0, 2.0, size=(sizes.n_components, sizes.n_features))
    return _clusters(sizes, seed, rates, lambda rng, rate: rng.poisson(rate))


def sequence_lengths(sizes: Sizes) -> np.ndarray:
    length, remainder = divmod(sizes.n_samples, sizes.n_sequences)
    if remainder:
        raise ValueError(f"{sizes.n_samples} rows do not split into {sizes.n_sequences} equal sequences")
    return np.full(sizes.n_sequences, length, dtype=np.intp)


def sticky_states(sizes: Sizes, rng: np.random.Generator) -> np.ndarray:
    """A state path per sequence that moves to the next state about every 50 steps."""
    lengths = sequence_lengths(sizes)
    moves = np.cumsum(rng.random(sizes.n_samples) < 0.02)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    first = np.repeat(rng.integers(0, sizes.n_components, size=lengths.size), lengths)
    return (first + moves - moves[starts]) % sizes.n_components


def gaussian_regimes(sizes: Sizes, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    states = sticky_states(sizes, rng)
    means = 3.0 * rng.standard_normal((sizes.n_components, sizes.n_features))
    return means[states] + rng.standard_normal((sizes.n_samples, sizes.n_features))


def mixture_regimes(sizes: Sizes, seed: int = 0) -> np.ndarray:
    """Sticky states (``sizes.n_components``), each emitting a mixture of ``N_MIX`` Gaussians
    (means ~ N(0, 3²), unit noise, equal weights)."""
    rng = np.random.default_rng(seed)
    states = sticky_states(sizes, rng)
    means = 3.0 * rng.standard_normal((sizes.n_components, N_MIX, sizes.n_features))
    mixes = rng.integers(0, N_MIX, size=sizes.n_samples)
    return means[states, mixes] + rng.standard_normal((sizes.n_samples, sizes.n_features))


def count_regimes(sizes: Sizes, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    states = sticky_states(sizes, rng)
    rates = rng.gamma(2.0, 2.0, size=(sizes.n_components, sizes.n_features))
    return rng.poisson(rates[states]).astype(np.float64)


def symbol_regimes(sizes: Sizes, seed: int = 0) -> np.ndarray:
    """One categorical feature with ``n_features`` symbols (D here counts the symbols)."""
    rng = np.random.default_rng(seed)
    states = sticky_states(sizes, rng)
    probs = rng.dirichlet(np.full(sizes.n_features, 0.3), size=sizes.n_components)
    cumulative = np.cumsum(probs, axis=1)[states]
    symbols = (cumulative[:, :-1] < rng.random((sizes.n_samples, 1))).sum(1)
    return symbols[:, None].astype(np.float64)


# ----------------------------------------------------------------------------- starts
def _chosen_rows(x: np.ndarray, n_components: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return x[rng.choice(x.shape[0], size=n_components, replace=False)]


def gaussian_problem(
    data: Callable[[Sizes], np.ndarray], n_mix: int = 1
) -> Callable[[Sizes], Problem]:
    """Start: ``K·n_mix`` random rows as means (an HMM state ``k``'s component ``m`` at
    ``k·n_mix + m`` when its states emit mixtures), the data covariance for every component,
    equal weights."""

    def make(sizes: Sizes) -> Problem:
        x = data(sizes)
        k = sizes.n_components
        covariance = np.cov(x, rowvar=False)
        lengths = None if sizes.n_sequences == 1 else sequence_lengths(sizes)
        start = {
            "weights": np.full(k, 1.0 / k),
            "means": _chosen_rows(x, k * n_mix),
            "covariances": np.repeat(covariance[None], k * n_mix, axis=0),
            "variances": np.repeat(np.diag(covariance)[None], k * n_mix, axis=0),
            "mix_weights": np.full((k, n_mix), 1.0 / n_mix),
            "startprob": np.full(k, 1.0 / k),
            "transmat": 0.9 * np.eye(k) + 0.1 / k,
        }
        return Problem(sizes, x, start, lengths)

    return make


def discrete_problem(
    data: Callable[[Sizes], np.ndarray], parameters: Callable[[np.ndarray, Sizes], np.ndarray]
) -> Callable[[Sizes], Problem]:
    def make(sizes: Sizes) -> Problem:
        x = data(sizes)
        k = sizes.n_components
        lengths = None if sizes.n_sequences == 1 else sequence_lengths(sizes)
        start = {
            "weights": np.full(k, 1.0 / k),
            "params": parameters(x, sizes),
            "startprob": np.full(k, 1.0 / k),
            "transmat": 0.9 * np.eye(k) + 0.1 / k,
        }
        return Problem(sizes, x, start, lengths)

    return make


def bernoulli_start(x: np.ndarray, sizes: Sizes) -> np.ndarray:
    return 0.25 + 0.5 * _chosen_rows(x, sizes.n_components)


def poisson_start(x: np.ndarray, sizes: Sizes) -> np.ndarray:
    return _chosen_rows(x, sizes.n_components) + 0.5


def categorical_start(x: np.ndarray, sizes: Sizes) -> np.ndarray:
    rng = np.random.default_rng(1)
    symbols = sizes.n_features
    return 0.5 / symbols + 0.5 * rng.dirichlet(np.ones(symbols), size=sizes.n_components)


# ----------------------------------------------------------------------------- ours
# How each of our families is built from the common start (problem → family, components). The
# Gaussians state the model in the data's own units (feature_scale=1.0), as scikit-learn does:
# an absolute reg_covar and a spherical σ²I, so both sides fit the same model from the same start.
StartingPoint = tuple[ExponentialFamily, Components]
FamilyStart = Callable[[Problem], StartingPoint]


def full_start(problem: Problem) -> StartingPoint:
    family = mx.Gaussian(feature_scale=1.0)
    return family, family.components_from(problem.start["means"], problem.start["covariances"])


def diag_start(problem: Problem) -> StartingPoint:
    family = mx.DiagonalGaussian(feature_scale=1.0)
    return family, family.components_from(problem.start["means"], problem.start["variances"])


def spherical_start(problem: Problem) -> StartingPoint:
    family = mx.SphericalGaussian(feature_scale=1.0)
    variances = problem.start["variances"].mean(1)
    return family, family.components_from(problem.start["means"], variances)


def tied_start(problem: Problem) -> StartingPoint:
    family = mx.TiedGaussian(feature_scale=1.0)
    return family, family.components_from(problem.start["means"], problem.start["covariances"][0])


def bernoulli_family_start(problem: Problem) -> StartingPoint:
    family = mx.Bernoulli()
    return family, family.components_from(problem.start["params"])


def poisson_family_start(problem: Problem) -> StartingPoint:
    family = mx.Poisson()
    return family, family.components_from(problem.start["params"])


def categorical_family_start(problem: Problem) -> StartingPoint:
    family = mx.Categorical(n_categories=problem.sizes.n_features)
    return family, family.components_from(problem.start["params"][:, None, :])


def timed_iterations(fit: Callable[[], object], iterations: int) -> float:
    """Seconds of our fit's ``iterations`` updates (each with its E-step), read from the fit
    loop's own progress records; set-up, initialisation and the first E-step excluded."""
    records: list[IterationRecord] = []
    with observe_iterations(records.append):
        fit()
    main = [record for record in records if record.run == records[-1].run]  # the last run fitted
    if len(main) != iterations + 1:
        raise RuntimeError(f"expected {iterations + 1} iterates, saw {len(main)}")
    return main[-1].elapsed - main[0].elapsed


def ours_em(
    start: FamilyStart, init: str | None = None, least_bytes: Callable[[Problem], float] | None = None,
    product_dtype: str = "float64", fitted: Callable[[mx.Mixture], None] | None = None,
) -> Contender:
    """``Mixture(family).fit`` from the common start, or initialised by ``init`` (e.g. k-means++);
    ``least_bytes``: what an iteration must move, for a memory-bound family; ``product_dtype``:
    the E-step products' dtype; ``fitted``: called with each fitted model."""

    def prepare(problem: Problem) -> Run:
        family, components = start(problem)
        given = (problem.start["weights"], components)

        def run(n: int) -> float:
            model = mx.Mixture(family, problem.sizes.n_components, init=given if init is None else init,
                               max_iter=n, tol=0.0, random_state=0, product_dtype=product_dtype)
            seconds = timed_iterations(lambda: model.fit(problem.x), n)
            if fitted is not None:
                fitted(model)
            return seconds

        return run

    label = "Mixture" if init is None else f"Mixture, {init} init"
    label += "" if product_dtype == "float64" else f", {product_dtype}"
    flops = _our_flops if start is full_start else None
    return Contender("mixtures", label, prepare, flops=flops, least_bytes=least_bytes)


def ours_vb(family: Callable[[], ExponentialFamily]) -> Contender:
    def prepare(problem: Problem) -> Run:
        def run(n: int) -> float:
            model = mx.Mixture(family(), problem.sizes.n_components, inference="vb", init="random",
                               max_iter=n, tol=0.0, random_state=0)
            return timed_iterations(lambda: model.fit(problem.x), n)

        return run

    return Contender("mixtures", "Mixture(vb)", prepare)


def ours_hmm(start: FamilyStart) -> Contender:
    def prepare(problem: Problem) -> Run:
        family, components = start(problem)
        given = (problem.start["startprob"], problem.start["transmat"], components)

        def run(n: int) -> float:
            model = mx.HMM(family, problem.sizes.n_components, init=given, max_iter=n, tol=0.0)
            return timed_iterations(lambda: model.fit(problem.x, lengths=problem.lengths), n)

        return run

    return Contender("mixtures", "HMM", prepare)


def ours_mixture_hmm() -> Contender:
    """``HMM(Gaussian, K, n_mix=N_MIX)`` from the common start (``GMM_HMM_RIDGE`` as reg_covar)."""

    def prepare(problem: Problem) -> Run:
        family = mx.Gaussian(feature_scale=1.0, reg_covar=GMM_HMM_RIDGE)
        s = problem.start
        components = family.components_from(s["means"], s["covariances"])
        given = (s["startprob"], s["transmat"], s["mix_weights"], components)

        def run(n: int) -> float:
            model = mx.HMM(family, problem.sizes.n_components, n_mix=N_MIX, init=given, max_iter=n,
                           tol=0.0)
            return timed_iterations(lambda: model.fit(problem.x, lengths=problem.lengths), n)

        return run

    return Contender("mixtures", f"HMM(n_mix={N_MIX})", prepare)


def _our_flops(problem: Problem) -> float:
    """Dense products of one full-covariance EM iteration: the E-step's log-densities
    ``(T, 1)·(ηᵀ; c)`` and the sums ``rᵀ(T, 1)`` (2·N·(S+1)·K each), on blocks of ``T(x)`` formed
    in the cache from ``x`` (the ``N·D(D+1)/2`` products that form them not counted)."""
    n, d, k = problem.sizes.n_samples, problem.sizes.n_features, problem.sizes.n_components
    n_statistics = d + d * (d + 1) // 2
    return 4.0 * n * (n_statistics + 1) * k


def one_pass_over_x(problem: Problem) -> float:
    """The bytes an EM iteration must move: ``X`` read once, ``8·N·D``, by an E-step that takes
    each block's log-densities, responsibilities and statistics while the block is in the cache
    (ours does: the one-pass E-step). A diagonal or spherical iteration does too little arithmetic
    per byte for anything else to bound it."""
    return 8.0 * problem.sizes.n_samples * problem.sizes.n_features


# ----------------------------------------------------------------------------- scikit-learn
SKLEARN_PRECISION = {
    "full": lambda s: np.linalg.inv(s["covariances"]),
    "diag": lambda s: 1.0 / s["variances"],
    "spherical": lambda s: 1.0 / s["variances"].mean(1),
    "tied": lambda s: np.linalg.inv(s["covariances"][0]),
}


def sklearn_em(covariance_type: str) -> Contender:
    def prepare(problem: Problem) -> Run:
        from sklearn.mixture import GaussianMixture

        s = problem.start
        precisions = SKLEARN_PRECISION[covariance_type](s)

        def run(n: int) -> float:
            model = GaussianMixture(
                problem.sizes.n_components, covariance_type=covariance_type, init_params="random",
                weights_init=s["weights"], means_init=s["means"], precisions_init=precisions,
                max_iter=n, tol=0.0, random_state=0,
            )
            return sklearn_iterations(model, problem.x, n)

        return run

    flops = _sklearn_full_flops if covariance_type == "full" else None
    return Contender("scikit-learn", f"GaussianMixture({covariance_type})", prepare, ("sklearn",), flops)


def sklearn_vb(covariance_type: str) -> Contender:
    def prepare(problem: Problem) -> Run:
        from sklearn.mixture import BayesianGaussianMixture

        def run(n: int) -> float:
            model = BayesianGaussianMixture(
                n_components=problem.sizes.n_components, covariance_type=covariance_type,
                weight_concentration_prior_type="dirichlet_distribution", init_params="random",
                max_iter=n, tol=0.0, random_state=0,
            )
            return sklearn_iterations(model, problem.x, n)

        return run

    return Contender("scikit-learn", f"BayesianGaussianMixture({covariance_type})", prepare, ("sklearn",))


def sklearn_iterations(model: Any, x: np.ndarray, iterations: int) -> float:
    """scikit-learn's fit calls ``_e_step`` once per iteration and once more at the end: the span
    between the first and the last call is ``iterations`` E- and M-steps."""
    stamps = Stamps()
    model._e_step = stamps.on_entry(model._e_step)
    model.fit(x)
    return stamps.between_entries(iterations + 1)


def _sklearn_full_flops(problem: Problem) -> float:
    """scikit-learn's full-covariance iteration: per component ``X @ prec_chol`` (2·N·D²) in the
    E-step and ``(r·diff)ᵀ diff`` (2·N·D²) in the M-step, plus ``rᵀX`` and the row norms."""
    n, d, k = problem.sizes.n_samples, problem.sizes.n_features, problem.sizes.n_components
    return 4.0 * n * k * d * d + 6.0 * n * k * d


# ----------------------------------------------------------------------------- hmmlearn
def hmmlearn_fit(kind: str, covariance_type: str = "full") -> Contender:
    """hmmlearn's Baum-Welch from the common start: its default log-space implementation."""

    def prepare(problem: Problem) -> Run:
        from hmmlearn import hmm

        s = problem.start
        k = problem.sizes.n_components
        x = problem.x.astype(np.int64) if kind in ("Poisson", "Categorical") else problem.x

        def model(n: int) -> object:
            common = dict(n_iter=n, tol=-np.inf, init_params="", random_state=0)
            if kind == "Gaussian":
                made = hmm.GaussianHMM(k, covariance_type=covariance_type, params="stmc", **common)
                made.means_ = s["means"]
                made.covars_ = s["covariances"] if covariance_type == "full" else s["variances"]
            elif kind == "Poisson":
                made = hmm.PoissonHMM(k, params="stl", **common)
                made.lambdas_ = s["params"]
            else:
                made = hmm.CategoricalHMM(k, n_features=problem.sizes.n_features, params="ste", **common)
                made.emissionprob_ = s["params"]
            made.startprob_ = s["startprob"]
            made.transmat_ = s["transmat"]
            return made

        def run(n: int) -> float:
            made = model(n)
            stamps = Stamps()  # hmmlearn's fit: n × (_do_estep, then _do_mstep)
            made._do_estep = stamps.on_entry(made._do_estep)
            made._do_mstep = stamps.on_exit(made._do_mstep)
            made.fit(x, lengths=problem.lengths)
            return stamps.first_entry_to_last_exit(n)

        return run

    label = f"GaussianHMM({covariance_type})" if kind == "Gaussian" else f"{kind}HMM"
    return Contender("hmmlearn", label, prepare, ("hmmlearn",))


def hmmlearn_gmmhmm() -> Contender:
    """hmmlearn's ``GMMHMM(full)`` from the common start (``min_covar=GMM_HMM_RIDGE``). Its
    M-step centres each covariance on the previous means (docs/hmm.md §13.1), so only the time
    is compared, not the parameters."""

    def prepare(problem: Problem) -> Run:
        from hmmlearn import hmm

        s = problem.start
        k, d = problem.sizes.n_components, problem.sizes.n_features

        def run(n: int) -> float:
            made = hmm.GMMHMM(k, n_mix=N_MIX, covariance_type="full", min_covar=GMM_HMM_RIDGE,
                              n_iter=n, tol=-np.inf, params="stmcw", init_params="", random_state=0)
            made.startprob_ = s["startprob"]
            made.transmat_ = s["transmat"]
            made.weights_ = s["mix_weights"]
            made.means_ = s["means"].reshape(k, N_MIX, d)
            made.covars_ = s["covariances"].reshape(k, N_MIX, d, d)
            stamps = Stamps()  # hmmlearn's fit: n × (_do_estep, then _do_mstep)
            made._do_estep = stamps.on_entry(made._do_estep)
            made._do_mstep = stamps.on_exit(made._do_mstep)
            made.fit(problem.x, lengths=problem.lengths)
            return stamps.first_entry_to_last_exit(n)

        return run

    return Contender("hmmlearn", f"GMMHMM(full, n_mix={N_MIX})", prepare, ("hmmlearn",))


# ----------------------------------------------------------------------------- pomegranate
def pomegranate_mixture(kind: str, dtype_name: str = "float64") -> Contender:
    """pomegranate 1.x ``GeneralMixtureModel`` of initialised ``Bernoulli``/``Poisson``
    distributions; ``check_data=False`` spares it the per-iteration input checks."""

    def prepare(problem: Problem) -> Run:
        import torch
        from pomegranate import distributions
        from pomegranate.gmm import GeneralMixtureModel

        torch.set_num_threads(pinned_threads())
        dtype = getattr(torch, dtype_name)
        x = torch.from_numpy(problem.x).to(dtype)
        params = torch.from_numpy(problem.start["params"]).to(dtype)
        weights = torch.from_numpy(problem.start["weights"]).to(dtype)
        component = getattr(distributions, kind)

        def run(n: int) -> float:
            made = [component(row.clone(), check_data=False) for row in params]
            model = GeneralMixtureModel(made, priors=weights.clone(), max_iter=n, tol=-np.inf,
                                        check_data=False)
            stamps = Stamps()  # pomegranate's fit: n × (summarize, then from_summaries)
            model.summarize = stamps.on_entry(model.summarize)
            model.from_summaries = stamps.on_exit(model.from_summaries)
            model.fit(x)
            return stamps.first_entry_to_last_exit(n)

        return run

    return Contender("pomegranate", f"GeneralMixtureModel({kind}, {dtype_name})", prepare,
                     ("torch", "pomegranate"))


# ----------------------------------------------------------------------------- recursions
def forward_backward_problem(sizes: Sizes) -> Problem:
    from bench_hmm import chain_problem

    lengths = sequence_lengths(sizes)
    log_likelihood, startprob, transmat = chain_problem(lengths, n_states=sizes.n_components)
    start = {"startprob": startprob, "transmat": transmat}
    return Problem(sizes, log_likelihood, start, lengths)


def ours_forward_backward() -> Contender:
    def prepare(problem: Problem) -> Run:
        from mixtures.latent.markov import forward_backward

        chain = (problem.x, problem.lengths, np.log(problem.start["startprob"]),
                 np.log(problem.start["transmat"]))

        def run(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                forward_backward(*chain)
            return time.perf_counter() - start

        return run

    return Contender("mixtures", "forward_backward", prepare)


def hmmlearn_forward_backward(implementation: str) -> Contender:
    """hmmlearn's compiled kernels per sequence, as its ``fit`` calls them (see bench_hmm.py)."""

    def prepare(problem: Problem) -> Run:
        from bench_hmm import hmmlearn_runs

        assert problem.lengths is not None
        one = hmmlearn_runs(problem.x, problem.lengths, problem.start["startprob"],
                            problem.start["transmat"])[f"fb {implementation}"]

        def run(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                one()
            return time.perf_counter() - start

        return run

    default = ", its default" if implementation == "log" else ""
    return Contender("hmmlearn", f"_hmmc {implementation}{default}", prepare, ("hmmlearn",))


# ----------------------------------------------------------------------------- the suite
def _gmm(name: str, title: str, sizes: Sizes, quick: Sizes, start: FamilyStart, covariance_type: str,
         target: float | None, iterations: int = 10, repeats: int = 5) -> Workload:
    memory_bound = covariance_type in ("diag", "spherical")
    ours = ours_em(start, least_bytes=one_pass_over_x if memory_bound else None)
    return Workload(name, title, sizes, quick, gaussian_problem(gaussian_clusters), ours,
                    (sklearn_em(covariance_type),), target, iterations, repeats)


SMALL_GMM, BIG_GMM, QUICK_GMM = Sizes(200_000, 10, 8), Sizes(1_000_000, 20, 16), Sizes(3_000, 4, 3)
LONG_CHAIN, MANY_CHAINS = Sizes(100_000, 5, 8), Sizes(100_000, 5, 8, n_sequences=1_000)
QUICK_CHAIN = Sizes(2_000, 3, 3, n_sequences=20)

#: The speed issue's target for every Gaussian covariance type by EM (ours / scikit-learn).
GMM_TARGET = 0.12

WORKLOADS: tuple[Workload, ...] = (
    _gmm("gmm-full", "GMM full, EM", SMALL_GMM, QUICK_GMM, full_start, "full", GMM_TARGET),
    _gmm("gmm-diag", "GMM diag, EM", SMALL_GMM, QUICK_GMM, diag_start, "diag", GMM_TARGET),
    _gmm("gmm-spherical", "GMM spherical, EM", SMALL_GMM, QUICK_GMM, spherical_start, "spherical",
         GMM_TARGET),
    _gmm("gmm-tied", "GMM tied, EM", SMALL_GMM, QUICK_GMM, tied_start, "tied", GMM_TARGET),
    _gmm("gmm-full-big", "GMM full, EM", BIG_GMM, QUICK_GMM, full_start, "full", GMM_TARGET,
         iterations=2, repeats=3),
    _gmm("gmm-diag-big", "GMM diag, EM", BIG_GMM, QUICK_GMM, diag_start, "diag", GMM_TARGET,
         iterations=2, repeats=3),
    _gmm("gmm-spherical-big", "GMM spherical, EM", BIG_GMM, QUICK_GMM, spherical_start, "spherical",
         GMM_TARGET, iterations=2, repeats=3),
    _gmm("gmm-tied-big", "GMM tied, EM", BIG_GMM, QUICK_GMM, tied_start, "tied", GMM_TARGET,
         iterations=2, repeats=3),
    Workload("bgmm-full", "GMM full, VB", SMALL_GMM, QUICK_GMM, gaussian_problem(gaussian_clusters),
             ours_vb(mx.Gaussian), (sklearn_vb("full"),), 0.25),
    Workload("bgmm-tied", "GMM tied, VB", SMALL_GMM, QUICK_GMM, gaussian_problem(gaussian_clusters),
             ours_vb(mx.TiedGaussian), (sklearn_vb("tied"),), None),
    Workload("bernoulli", "Bernoulli mixture, EM", Sizes(200_000, 64, 10), Sizes(3_000, 8, 3),
             discrete_problem(binary_clusters, bernoulli_start), ours_em(bernoulli_family_start),
             (pomegranate_mixture("Bernoulli"), pomegranate_mixture("Bernoulli", "float32")), 0.5,
             iterations=3, repeats=3),
    Workload("poisson", "Poisson mixture, EM", Sizes(200_000, 10, 8), Sizes(3_000, 4, 3),
             discrete_problem(count_clusters, poisson_start), ours_em(poisson_family_start),
             (pomegranate_mixture("Poisson"), pomegranate_mixture("Poisson", "float32")), None,
             iterations=3, repeats=3),
    Workload("hmm-full", "Gaussian HMM full, EM", LONG_CHAIN, QUICK_CHAIN,
             gaussian_problem(gaussian_regimes), ours_hmm(full_start), (hmmlearn_fit("Gaussian"),),
             None, iterations=5, repeats=3),
    Workload("hmm-full-many", "Gaussian HMM full, EM", MANY_CHAINS, QUICK_CHAIN,
             gaussian_problem(gaussian_regimes), ours_hmm(full_start), (hmmlearn_fit("Gaussian"),),
             None, iterations=3, repeats=3),
    Workload("hmm-diag", "Gaussian HMM diag, EM", LONG_CHAIN, QUICK_CHAIN,
             gaussian_problem(gaussian_regimes), ours_hmm(diag_start),
             (hmmlearn_fit("Gaussian", "diag"),), None, iterations=5, repeats=3),
    Workload("hmm-gmm", f"Gaussian-mixture HMM full, M={N_MIX}, EM", Sizes(100_000, 5, 4), QUICK_CHAIN,
             gaussian_problem(mixture_regimes, N_MIX), ours_mixture_hmm(), (hmmlearn_gmmhmm(),),
             None, iterations=5, repeats=3),
    Workload("hmm-poisson", "Poisson HMM, EM", LONG_CHAIN, QUICK_CHAIN,
             discrete_problem(count_regimes, poisson_start), ours_hmm(poisson_family_start),
             (hmmlearn_fit("Poisson"),), None, iterations=5, repeats=3),
    Workload("hmm-categorical", "Categorical HMM, EM", Sizes(100_000, 16, 8), Sizes(2_000, 4, 3, 20),
             discrete_problem(symbol_regimes, categorical_start), ours_hmm(categorical_family_start),
             (hmmlearn_fit("Categorical"),), None, iterations=5, repeats=3),
    Workload("fb-long", "forward–backward", Sizes(100_000, 1, 8), Sizes(2_000, 1, 3),
             forward_backward_problem, ours_forward_backward(),
             (hmmlearn_forward_backward("log"), hmmlearn_forward_backward("scaling")), 0.35,
             iterations=5, repeats=11),
    Workload("fb-many", "forward–backward", Sizes(100_000, 1, 8, 1_000), Sizes(2_000, 1, 3, 20),
             forward_backward_problem, ours_forward_backward(),
             (hmmlearn_forward_backward("log"), hmmlearn_forward_backward("scaling")), 0.35,
             iterations=5, repeats=11),
)


# ----------------------------------------------------------------------------- drop-in: compat.sklearn
def compat_sklearn_em(covariance_type: str) -> Contender:
    """``mixtures.compat.sklearn.GaussianMixture`` with scikit-learn's arguments, from the common
    start (``weights_init``/``means_init``/``precisions_init``), timed as our ``Mixture`` is."""

    def prepare(problem: Problem) -> Run:
        from mixtures.compat.sklearn import GaussianMixture

        s = problem.start
        precisions = SKLEARN_PRECISION[covariance_type](s)

        def run(n: int) -> float:
            model = GaussianMixture(
                problem.sizes.n_components, covariance_type=covariance_type, weights_init=s["weights"],
                means_init=s["means"], precisions_init=precisions, max_iter=n, tol=0.0, random_state=0,
            )
            with warnings.catch_warnings():  # a fixed number of iterations never converges
                warnings.simplefilter("ignore")
                return timed_iterations(lambda: model.fit(problem.x), n)

        return run

    label = f"compat.sklearn.GaussianMixture({covariance_type})"
    return Contender("mixtures", label, prepare, flops=_our_flops)


WORKLOADS += (
    Workload("compat-gmm", "GMM full, EM, drop-in", SMALL_GMM, QUICK_GMM,
             gaussian_problem(gaussian_clusters), compat_sklearn_em("full"), (sklearn_em("full"),), 0.25),
)

# ---------------------------------------------------------------------- compat-hmm
def compat_gaussian_hmm() -> Contender:
    """``mixtures.compat.hmmlearn.GaussianHMM`` (full) from the common start, set as hmmlearn's
    attributes (``init_params=""``). The drop-in reports its iterations to its own
    ``monitor_``, so a fit of ``n`` iterations is timed whole, less a fit of none (the same
    checks and the first E-step): ``n`` updates, each with its E-step."""

    def prepare(problem: Problem) -> Run:
        from mixtures.compat.hmmlearn import GaussianHMM

        s = problem.start

        def fitted_in(n: int) -> float:
            model = GaussianHMM(problem.sizes.n_components, covariance_type="full", n_iter=n,
                                tol=0.0, init_params="", random_state=0)
            model.startprob_, model.transmat_ = s["startprob"], s["transmat"]
            model.means_, model.covars_ = s["means"], s["covariances"]
            began = time.perf_counter()
            model.fit(problem.x, lengths=problem.lengths)
            return time.perf_counter() - began

        def run(n: int) -> float:
            return fitted_in(n) - fitted_in(0)

        return run

    return Contender("mixtures", "compat.hmmlearn.GaussianHMM(full)", prepare)


COMPAT_WORKLOADS: tuple[Workload, ...] = (
    Workload("compat-hmm", "Gaussian HMM full, EM, drop-in", LONG_CHAIN, QUICK_CHAIN,
             gaussian_problem(gaussian_regimes), compat_gaussian_hmm(),
             (ours_hmm(full_start), hmmlearn_fit("Gaussian")), None, iterations=5, repeats=3),
)
WORKLOADS = WORKLOADS + COMPAT_WORKLOADS

#: Memory only: a fit far beyond the statistics cache, whose peak should be the data plus a
#: working set bounded by the chunk size. Ours with k-means++ (the default) and from given
#: parameters (no initialisation pass over (N, K) arrays), and scikit-learn for reference.
MEMORY_WORKLOADS: tuple[Workload, ...] = (
    Workload("memory-5m", "GMM full, 5M rows", Sizes(5_000_000, 20, 8), Sizes(20_000, 20, 8),
             gaussian_problem(gaussian_clusters), ours_em(full_start, init="kmeans++"),
             (ours_em(full_start), sklearn_em("full")), None, memory_iterations=2),
)


# ----------------------------------------------------------------------------- gmm-full-missing
#: The share of entries removed completely at random in ``gmm-full-missing``.
MISSING_SHARE = 0.2


def with_holes(x: np.ndarray, share: float = MISSING_SHARE, seed: int = 2) -> np.ndarray:
    """``x`` with ``share`` of its entries set to NaN, completely at random (rows and columns
    left with at least one observed value almost surely at these sizes)."""
    holed = x.copy()
    rng = np.random.default_rng(seed)
    for start in range(0, x.shape[0], ROWS_PER_BLOCK):
        rows = slice(start, min(start + ROWS_PER_BLOCK, x.shape[0]))
        block = holed[rows]
        block[rng.random(block.shape) < share] = np.nan
    return holed


def ours_em_missing() -> Contender:
    """``Mixture(Gaussian(), missing="marginalize").fit`` from the common start, on the
    workload's rows with ``MISSING_SHARE`` of the entries missing completely at random. Scikit-learn
    has no such fit: the comparison is ours on the same rows with none missing."""

    def prepare(problem: Problem) -> Run:
        family, components = full_start(problem)
        given = (problem.start["weights"], components)
        holed = with_holes(problem.x)

        def run(n: int) -> float:
            model = mx.Mixture(family, problem.sizes.n_components, init=given, max_iter=n, tol=0.0,
                               random_state=0, missing="marginalize")
            return timed_iterations(lambda: model.fit(holed), n)

        return run

    return Contender("mixtures", f"Mixture, {MISSING_SHARE:.0%} missing", prepare)


def ours_em_none_missing() -> Contender:
    """``ours_em(full_start)`` under another label: the same rows, none missing."""
    return Contender("mixtures", "Mixture, none missing", ours_em(full_start).prepare,
                     flops=_our_flops)


WORKLOADS += (
    Workload("gmm-full-missing", "GMM full, EM, missing values", SMALL_GMM, QUICK_GMM,
             gaussian_problem(gaussian_clusters), ours_em_missing(), (ours_em_none_missing(),), None),
)


def find(name: str) -> Workload:
    for workload in (*WORKLOADS, *MEMORY_WORKLOADS):
        if workload.name == name:
            return workload
    raise ValueError(f"no workload named {name!r}")
