"""One fitting problem for every structure and inference: a structure defined here, in a test
file, fits by EM and VB through the library's one loop; batch and online fits warn alike."""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import numpy as np
import pytest

import mixtures as mx
from mixtures.inference.data import Chunk, ChunkedData
from mixtures.inference.fit import run
from mixtures.inference.problem import ExpectationMaximisation, VariationalBayes
from mixtures.inference.summary import Summary
from mixtures.latent.mixing import Mixing, MixtureParameters, VariationalPosterior
from mixtures.latent.structure import LatentLogs


# --------------------------------------------------------------------------- a third structure
# (the whole structure: the 14 lines below, counting the decorator and the docstring)
@attrs.frozen
class PartlyLabelled(Mixing):
    """A mixture whose label is observed for some rows (``labels[n] >= 0``), unknown (−1) for
    the rest: a known label clamps the row's responsibilities, and its evidence is ``p(x, z)``."""

    labels: np.ndarray = attrs.field(eq=False)

    def chunk_summary(self, chunk: Chunk, log_likelihood: np.ndarray, logs: LatentLogs) -> Summary:
        known = self.labels[chunk.rows]
        rows = np.flatnonzero(known >= 0)
        kept = log_likelihood[rows, known[rows]]
        log_likelihood[rows] = -np.inf  # every other component is impossible for a known row
        log_likelihood[rows, known[rows]] = kept
        return super().chunk_summary(chunk, log_likelihood, logs)


def labelled_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-1.0, 1.0, (150, 2)), rng.normal(1.5, 1.0, (150, 2))])
    truth = np.repeat([0, 1], 150)
    return x, truth


def chunked(x: np.ndarray, family: mx.ExponentialFamily | None = None) -> ChunkedData:
    family = (family or mx.Gaussian()).for_data(x, np.ones(x.shape[0]))
    return ChunkedData(family, x, np.ones(x.shape[0]), chunk_size=64)


def test_a_structure_written_in_a_test_file_fits_by_em_through_the_one_loop() -> None:
    x, truth = labelled_data()
    labels = np.where(np.arange(300) % 10 == 0, truth, -1)  # a tenth of the rows are labelled
    data = chunked(x)
    problem = ExpectationMaximisation(PartlyLabelled(labels), data.family)
    start = problem.start(problem.summary_of(data, np.full((300, 2), 0.5)))
    result = run(problem, data, start, max_iter=200, tol=1e-10)
    objectives = np.array(result.trajectory.objectives)
    assert result.trajectory.converged and np.all(np.diff(objectives) >= -1e-12)
    # component k means label k: the labelled rows decide which cluster is which
    means = data.family.components(result.parameters.natural).mean
    assert means[0, 0] < 0 < means[1, 0]


def test_fully_labelled_em_is_the_supervised_estimate() -> None:
    x, truth = labelled_data(1)
    data = chunked(x, mx.Gaussian(reg_covar=0.0))
    problem = ExpectationMaximisation(PartlyLabelled(truth), data.family)
    start = problem.start(problem.summary_of(data, np.full((300, 2), 0.5)))
    parameters = run(problem, data, start, max_iter=1, tol=0.0).parameters
    components = data.family.components(parameters.natural)
    for k in range(2):
        rows = x[truth == k]
        np.testing.assert_allclose(components.mean[k], rows.mean(0), rtol=1e-10)
        np.testing.assert_allclose(components.covariance[k], np.cov(rows.T, bias=True), rtol=1e-8)
    np.testing.assert_allclose(parameters.weights, [0.5, 0.5])


def test_the_same_structure_fits_by_vb() -> None:
    x, truth = labelled_data(2)
    labels = np.where(np.arange(300) % 10 == 0, truth, -1)
    data = chunked(x)
    prior = mx.NormalWishart().for_data(data.family, x, np.ones(300), 2)
    priors = VariationalPosterior(prior, mx.DirichletWeights().for_data(2))
    problem = VariationalBayes(PartlyLabelled(labels), priors)
    start = problem.start(problem.summary_of(data, np.full((300, 2), 0.5)))
    result = run(problem, data, start, max_iter=300, tol=1e-10)
    assert np.all(np.diff(result.trajectory.objectives) >= -1e-9)  # the ELBO never decreases
    means = problem.point(result.parameters)
    assert data.family.components(means.natural).mean[0, 0] < 0


def test_without_labels_it_is_the_plain_mixture() -> None:
    x, _ = labelled_data(3)
    data = chunked(x)
    start = mx.Gaussian().components_from(np.array([[-1.0, 0], [1, 0]]), np.stack([np.eye(2)] * 2))
    parameters = MixtureParameters(data.family.natural_of(start), np.array([0.4, 0.6]))
    plain = ExpectationMaximisation(Mixing(), data.family)
    unlabelled = ExpectationMaximisation(PartlyLabelled(np.full(300, -1)), data.family)
    a = run(plain, data, parameters, max_iter=5, tol=0.0).trajectory.objectives
    b = run(unlabelled, data, parameters, max_iter=5, tol=0.0).trajectory.objectives
    np.testing.assert_allclose(a, b, rtol=1e-13)


# --------------------------------------------------------------------------- batch and online warn alike
def far_start(family: Any) -> Any:
    return family.components_from(np.array([[0.0], [1e3]]), np.ones((2, 1, 1)))


def test_partial_fit_warns_of_an_emptied_component() -> None:
    online = mx.ExactPasses()
    x = np.random.default_rng(0).normal(size=(300, 1))
    init = (np.array([0.5, 0.5]), far_start(mx.Gaussian()))
    batch = mx.Mixture(mx.Gaussian(feature_scale=1.0), 2, init=init, max_iter=3)
    with pytest.warns(mx.EmptyComponentWarning, match=r"component\(s\) \[1\]"), warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        batch.fit(x)
    model = mx.Mixture(mx.Gaussian(feature_scale=1.0), 2, init=init, online=online)
    with pytest.warns(mx.EmptyComponentWarning, match=r"component\(s\) \[1\]"):
        model.partial_fit(x[:150])
        model.partial_fit(x[150:])
        model.end_pass()


@pytest.mark.parametrize("online", [mx.ExactPasses(), mx.StepwiseEM()])
def test_partial_fit_warns_of_a_state_never_left(online: mx.OnlineMode) -> None:
    x = np.random.default_rng(1).normal(size=(300, 1))
    init = (np.array([1.0, 0.0]), np.array([[0.9, 0.1], [0.5, 0.5]]), far_start(mx.Gaussian()))
    model = mx.HMM(mx.Gaussian(feature_scale=1.0), 2, init=init, online=online)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.partial_fit(x[:150])
        model.partial_fit(x[150:])
        if isinstance(online, mx.ExactPasses):
            model.end_pass()
    kinds = {type(w.message) for w in caught}
    assert mx.UnvisitedStateWarning in kinds and mx.EmptyComponentWarning in kinds


@pytest.mark.parametrize("fit", ["fit", "partial_fit"])
@pytest.mark.parametrize("model", [mx.Mixture, mx.HMM])
def test_a_non_finite_elbo_is_refused_by_every_structure(model: Any, fit: str) -> None:
    x = np.random.default_rng(0).poisson(3, (200, 1)).astype(float)
    estimator = model("poisson", 2, inference="vb", prior=mx.Gamma(shape=1e308, rate=1.0), random_state=0)
    with pytest.raises(ValueError, match="the ELBO is not finite"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow the message reports
        getattr(estimator, fit)(x)
