"""Where a fit starts: the one function that turns an estimator's ``init`` into starting points.

``init`` is resolved once, by the estimator, into one of three values: ``GivenParameters`` (point
parameters, EM only), ``GivenResponsibilities`` (an ``(N, K)`` array) or ``FromMethod`` (a
``StartMethod``: k-means++, k-means, a random partition, or for an HMM a fitted mixture). Each
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
    label_channel,
    labelled_centres,
)
from mixtures.inference.labels import covers
from mixtures.inference.problem import ExpectationMaximisation, FitProblem
from mixtures.latent.mixing import Mixing

__all__ = [
    "FittedMixture", "FromMethod", "GivenParameters", "GivenResponsibilities", "SplitStates", "Start",
]

Array = NDArray[np.float64]


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
        if problem.variational:
            raise ValueError(
                f"inference='vb' starts from responsibilities; {self.given} is for EM"
            )
        return [self.parameters]


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
        if covers(data.labels, n_components):
            seeded = labelled_centres(rows, n_components, rng)
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


@attrs.frozen
class SplitStates(StartMethod):
    """Starting responsibilities over ``K·M`` (state, component) pairs: ``method``'s over the
    ``K`` states, each row's share of state ``k`` split over its ``M`` components at random
    (a Dirichlet(1) draw per row), which breaks the components' symmetry for EM to separate
    them. An HMM whose states emit mixtures (``n_mix > 1``) starts so."""

    method: StartMethod
    n_mix: int

    def assignment(self, data: Data, n_components: int, rng: np.random.Generator) -> Any:
        states = self.method.assignment(data, n_components // self.n_mix, rng)
        return functools.partial(_split_states, states, self.n_mix, int(rng.integers(2**31)))


def _split_states(states: Any, n_mix: int, seed: int, chunk: Any) -> Array:
    state = states(chunk)
    shares = np.random.default_rng([seed, chunk.rows.start]).dirichlet(np.ones(n_mix), state.shape)
    return (state[..., None] * shares).reshape(state.shape[0], -1)
