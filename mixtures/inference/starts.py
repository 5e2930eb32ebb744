"""Where a fit starts: the one function that turns an estimator's ``init`` into starting points.

``init`` is resolved once, by the estimator, into one of four values: ``GivenParameters`` (point
parameters, EM only), ``GivenPosterior`` (a distribution over the parameters, VB only),
``GivenResponsibilities`` (an ``(N, K)`` array) or ``FromMethod`` (a ``StartMethod``: k-means++,
k-means, a random partition, or for an HMM a fitted mixture). Each
gives its starting points for any ``FitProblem`` through ``Start.points``.
"""

from __future__ import annotations

import abc
import functools
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.inference.data import Data
from mixtures.inference.fit import run
from mixtures.inference.initialization import (
    KMeansPlusPlus,
    MixtureResponsibilities,
    StartMethod,
    draw_tie_weights,
    kmeans_plusplus,
    label_channel,
    nearest_shares,
    sample_rows,
    seed_sample_rows,
    smoothed,
    within_reach,
)
from mixtures.inference.problem import ExpectationMaximisation, FitProblem
from mixtures.latent.mixing import Mixing

__all__ = [
    "FittedMixture",
    "FromMethod",
    "GivenParameters",
    "GivenPosterior",
    "GivenResponsibilities",
    "NearestSplit",
    "PartialInit",
    "SplitStates",
    "Start",
    "WithGivenParts",
]

Array = NDArray[np.float64]


def point_start_only(problem: FitProblem[Any], given: str) -> None:
    """Refuse starting parameters (``given``: how ``init`` gave them) for VB, whose starts are
    responsibilities."""
    if problem.variational:
        raise ValueError(f"inference='vb' starts from responsibilities; {given} is for EM")


class Start(abc.ABC):
    """A resolved ``init``: where the runs of a fit start."""

    @abc.abstractmethod
    def points(
        self, problem: FitProblem[Any], data: Data, rows: Data, n_init: int, n_components: int,
        rng: np.random.Generator,
    ) -> list[Any]:
        """Starting points of ``problem`` on ``data`` (``rows``: the same rows as independent
        observations, which starting responsibilities cluster)."""


@attrs.frozen(eq=False)
class GivenParameters(Start):
    """Point parameters given by the user: one run from them (EM). ``given`` says how ``init``
    gave them, for messages (e.g. ``"init=(weights, components)"``)."""

    parameters: Any
    given: str = "init given as parameters"

    def points(
        self, problem: FitProblem[Any], data: Data, rows: Data, n_init: int, n_components: int,
        rng: np.random.Generator,
    ) -> list[Any]:
        point_start_only(problem, self.given)
        return [self.parameters]


@attrs.frozen(eq=False)
class GivenPosterior(Start):
    """A distribution over the parameters given by the user (VB's ``q``, in the form of the
    structure's posterior): one run from it, its first E-step taking the expectations under it.

    Its component distribution must be over the family the data configure (the same origin
    and feature scale: built with ``family.for_data`` on the same rows), so that the data's
    statistics and ``q`` share coordinates."""

    posterior: Any

    def points(
        self, problem: FitProblem[Any], data: Data, rows: Data, n_init: int, n_components: int,
        rng: np.random.Generator,
    ) -> list[Any]:
        if not problem.variational:
            raise ValueError("init given as a posterior is for inference='vb'; EM starts from parameters")
        components = self.posterior.components
        if components.family != problem.family:
            raise ValueError(
                f"the init posterior is over {components.family!r} but the data configure "
                f"{problem.family!r}; resolve its distributions with the family configured on the "
                f"same rows (family.for_data(X, weights))"
            )
        if components.n_components != n_components:
            raise ValueError(
                f"the init posterior has {components.n_components} components; the model has {n_components}"
            )
        return [self.posterior]


@attrs.frozen(eq=False)
class GivenResponsibilities(Start):
    """Starting responsibilities ``(N, K)`` given by the user: one run from their statistics."""

    responsibilities: Array

    def points(
        self, problem: FitProblem[Any], data: Data, rows: Data, n_init: int, n_components: int,
        rng: np.random.Generator,
    ) -> list[Any]:
        return [problem.start(problem.summary_of(data, self.responsibilities))]


@attrs.frozen
class FromMethod(Start):
    """``n_init`` starts drawn by ``method``, each made chunk by chunk where the rows live."""

    method: StartMethod

    def points(
        self, problem: FitProblem[Any], data: Data, rows: Data, n_init: int, n_components: int,
        rng: np.random.Generator,
    ) -> list[Any]:
        """With partial labels that cover every component, the first start is seeded by them:
        every row to the nearest labelled class mean (``labelled_centres``); the others are
        drawn by the method. Labelled rows are clamped in every start."""
        points = []
        seeded = self.method.labelled_assignment(rows, n_components, rng)
        if seeded is not None:
            points.append(problem.start(problem.summary_of(data, seeded)))
        while len(points) < n_init:
            assignment = self.method.assignment(rows, n_components, rng)
            points.append(problem.start(problem.summary_of(data, assignment)))
        return points


@attrs.frozen
class FittedMixture(StartMethod):
    """Each row's responsibilities under a mixture fitted by EM to the rows (from a k-means++
    start, at most ``max_iter`` iterations), smoothed as every start: an HMM's
    ``init="mixture"``."""

    max_iter: int = 50
    tol: float = 1e-3

    def assignment(self, data: Data, n_components: int, rng: np.random.Generator) -> Any:
        inner = np.random.default_rng(int(rng.integers(2**31)))
        problem: ExpectationMaximisation[Any] = ExpectationMaximisation(Mixing(), data.family)
        seeds = KMeansPlusPlus().assignment(data, n_components, inner)
        start = problem.start(problem.summary_of(data, seeds))
        fitted = run(problem, data, start, max_iter=self.max_iter, tol=self.tol).parameters
        return MixtureResponsibilities(
            data.family, fitted.natural, fitted.weights, label_channel(n_components, rng)
        )


@attrs.frozen(eq=False)
class PartialInit:
    """Some of the starting parameters, the rest drawn from the data by ``method`` (scikit-learn's
    ``weights_init``/``means_init``/``precisions_init``, hmmlearn's ``init_params``): pass as an
    estimator's ``init`` (EM).

    Parameters
    ----------
    method : str, default "kmeans++"
        How the parameters not given are drawn (an estimator's ``init`` methods).
    weights : array (K,), optional
        A mixture's weights.
    startprob, transmat : arrays (K,) and (K, K), optional
        An HMM's initial distribution and transition matrix.
    components : Components, optional
        Whole components (``family.components_from(...)``).
    means, covariances, precisions : arrays, optional
        Parts of the components, for families that can take them (the Gaussians: ``means``
        ``(K, D)``, and ``covariances`` or ``precisions`` in scikit-learn's shapes per covariance
        type); the other parts come from the data.
    """

    method: str = "kmeans++"
    weights: Any = None
    startprob: Any = None
    transmat: Any = None
    components: Any = None
    means: Any = None
    covariances: Any = None
    precisions: Any = None

    def applied(self, family: Any, parameters: Any) -> Any:
        """``parameters`` (point parameters drawn from the data) with the given parts in place."""
        latent = {
            name: value
            for name in ("weights", "startprob", "transmat")
            if (value := getattr(self, name)) is not None
        }
        for name in latent:
            if not hasattr(parameters, name):
                raise ValueError(f"init gives {name}, which a {type(parameters).__name__} does not have")
        parts = {
            name: value
            for name in ("means", "covariances", "precisions")
            if (value := getattr(self, name)) is not None
        }
        natural = parameters.natural
        if self.components is not None:
            if parts:
                raise ValueError(f"init gives whole components and parts of them ({sorted(parts)})")
            natural = family.natural_of(self.components)
            if natural.shape != parameters.natural.shape:
                raise ValueError(
                    f"init components have natural parameters of shape {natural.shape}; the model "
                    f"needs {parameters.natural.shape}"
                )
        elif parts:
            natural = family.with_parts(natural, parts)
        return attrs.evolve(parameters, natural=natural, **latent)


@attrs.frozen(eq=False)
class WithGivenParts(Start):
    """The starts of ``base`` with the parts that ``given`` gives in place (EM)."""

    base: Start
    given: PartialInit

    def points(
        self, problem: FitProblem[Any], data: Data, rows: Data, n_init: int, n_components: int,
        rng: np.random.Generator,
    ) -> list[Any]:
        point_start_only(problem, "init=PartialInit(...)")
        drawn = self.base.points(problem, data, rows, n_init, n_components, rng)
        return [self.given.applied(problem.family, parameters) for parameters in drawn]


@attrs.frozen
class SplitStates(StartMethod):
    """Starting responsibilities over ``K·M`` (state, component) pairs: ``method``'s over the
    ``K`` states, each row's share of state ``k`` split over that state's ``M`` components by
    the data. An HMM whose states emit mixtures (``n_mix > 1``) starts so.

    On a bounded sample of the rows (``sample_rows``, as k-means++ seeds), weighted by each
    row's weight times its share of state ``k``, a weighted k-means++ chooses ``M`` seeds per
    state; each row's share of state ``k`` then goes to the nearest of state ``k``'s seeds,
    smoothed as every start (``label_channel``), so each state's components start apart and
    none starts empty. Two passes over the chunks (the sample, then the states' shares of the
    sampled rows); the result is a picklable per-chunk function (``NearestSplit``)."""

    method: StartMethod
    n_mix: int

    def assignment(self, data: Data, n_components: int, rng: np.random.Generator) -> Any:
        return self._split(data, self.method.assignment(data, n_components // self.n_mix, rng), rng)

    def labelled_assignment(self, data: Data, n_components: int, rng: np.random.Generator) -> Any:
        """Partial labels name states: ``method``'s labelled start over the states, split."""
        states = self.method.labelled_assignment(data, n_components // self.n_mix, rng)
        return None if states is None else self._split(data, states, rng)

    def _split(self, data: Data, states: Any, rng: np.random.Generator) -> Any:
        """Each row's share of a state (``states(chunk)`` ``(n, K)``) over its components."""
        rows, features, weights = sample_rows(data, seed_sample_rows(data), rng).arrays()
        shares = data.map_sum(functools.partial(_sampled_shares, states, rows)).arrays()
        seeds, ties, channels = [], [], []
        for k in range(shares.shape[1]):
            mass = weights * shares[:, k]
            if not mass.sum() > 0:  # a state without rows: seed it on all of them
                mass = weights
            centres = kmeans_plusplus(features, self.n_mix, mass, rng)
            seeds.append(centres)
            ties.append(draw_tie_weights(centres, rng))
            channels.append(within_reach(label_channel(self.n_mix, rng), centres))
        return NearestSplit(data.family, states, np.stack(seeds), np.stack(ties), np.stack(channels))


@attrs.frozen(eq=False)
class SampledShares:
    """The states' shares ``(n, K)`` of some sampled rows, gathered chunk by chunk (``+``
    joins pieces; ``arrays()`` gives them in row order)."""

    pieces: tuple[tuple[int, Array], ...]

    def __add__(self, other: SampledShares) -> SampledShares:
        return SampledShares(self.pieces + other.pieces)

    def arrays(self) -> Array:
        return np.concatenate([piece for _, piece in sorted(self.pieces, key=lambda p: p[0])])


def _sampled_shares(states: Any, sampled: NDArray[np.intp], chunk: Any) -> SampledShares:
    """``states(chunk)`` at the chunk's rows among ``sampled`` (global row numbers, sorted)."""
    first, last = np.searchsorted(sampled, [chunk.rows.start, chunk.rows.stop])
    return SampledShares(((chunk.rows.start, states(chunk)[sampled[first:last] - chunk.rows.start]),))


@attrs.frozen(eq=False)
class NearestSplit:
    """Each row's share of state ``k`` (``states(chunk)`` ``(n, K)``) split over the state's
    ``M`` components by its nearest of the state's ``seeds[k]`` (``(K, M, F)``, in
    ``family.init_features`` coordinates; ties shared by ``tie_weights[k]``), smoothed by
    ``channels[k]`` (``label_channel``): ``r_{n,kM+m} = s_nk Σ_j share_nj channels[k, j, m]``."""

    family: Any
    states: Any
    seeds: Array
    tie_weights: Array
    channels: Array

    def __call__(self, chunk: Any) -> Array:
        state = self.states(chunk)
        features = np.asarray(self.family.init_features(chunk.x), dtype=np.float64)
        n_states, n_mix = self.seeds.shape[:2]
        out = np.empty((state.shape[0], n_states, n_mix))
        for k in range(n_states):
            split = smoothed(nearest_shares(features, self.seeds[k], self.tie_weights[k]), self.channels[k])
            np.multiply(state[:, k, None], split, out=out[:, k])
        return out.reshape(state.shape[0], -1)
