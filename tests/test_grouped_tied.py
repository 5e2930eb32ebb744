"""``TiedGaussian(group_size=g)``: one covariance per run of ``g`` consecutive components. Each
group behaves as an ungrouped ``TiedGaussian`` (and ``TiedNormalWishart``) on its own components."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import attrs
import numpy as np
import pytest

import mixtures as mx
from mixtures.families.statistics import SufficientStatistics
from mixtures.testing import check_family


def _problem(seed: int = 0, n_components: int = 4, n_features: int = 3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, n_features)) @ rng.uniform(0.3, 1.0, (n_features, n_features)) + 2.0
    grouped = mx.TiedGaussian(group_size=2).for_data(x, np.ones(len(x)))
    responsibilities = rng.dirichlet(np.ones(n_components), size=len(x))
    return x, grouped, attrs.evolve(grouped, group_size=None), responsibilities


def _group(statistics: SufficientStatistics, members: slice) -> SufficientStatistics:
    return SufficientStatistics(statistics.counts[members], statistics.sums[members])


def test_the_m_step_ties_each_group_on_its_own() -> None:
    x, grouped, whole, responsibilities = _problem()
    statistics = grouped.expected_statistics(x, responsibilities)
    natural = grouped.maximum_likelihood(statistics)
    for members in (slice(0, 2), slice(2, 4)):
        np.testing.assert_allclose(natural[members], whole.maximum_likelihood(_group(statistics, members)))
    covariance = grouped.components(natural).covariance
    assert covariance.shape == (2, 3, 3) and not np.allclose(covariance[0], covariance[1])
    assert grouped.n_free_parameters(natural) == 4 * 3 + 2 * 6
    assert whole.n_free_parameters(natural) == 4 * 3 + 6


def test_one_group_of_all_components_is_the_ungrouped_family() -> None:
    x, grouped, whole, responsibilities = _problem(n_components=2)
    statistics = grouped.expected_statistics(x, responsibilities)
    np.testing.assert_allclose(grouped.maximum_likelihood(statistics), whole.maximum_likelihood(statistics))


def test_the_prior_updates_each_group_on_its_own() -> None:
    x, grouped, whole, responsibilities = _problem()
    weights = np.ones(len(x))
    prior = mx.TiedNormalWishart(mean_precision=[0.5, 1.0, 2.0, 1.5], dof=5.0)
    prior = prior.for_data(grouped, x, weights, 4)
    statistics = grouped.expected_statistics(x, responsibilities)
    posterior = prior.update(statistics)
    chi, counts = posterior.natural_hyperparameters()
    normaliser = posterior.log_normalizer_of(chi, counts)
    for members, beta in ((slice(0, 2), [0.5, 1.0]), (slice(2, 4), [2.0, 1.5])):
        alone = mx.TiedNormalWishart(mean_precision=beta, dof=5.0).for_data(whole, x, weights, 2)
        expected = alone.update(_group(statistics, members))
        np.testing.assert_allclose(posterior.mode()[members], expected.mode())
        np.testing.assert_allclose(posterior.expected_natural()[members], expected.expected_natural())
        alone_normaliser = expected.log_normalizer_of(*expected.natural_hyperparameters())
        np.testing.assert_allclose(normaliser[members], alone_normaliser)
    assert posterior.sample_natural(3, np.random.default_rng(0)).shape == (3, *chi.shape)


def test_shapes_and_settings_are_checked() -> None:
    x, grouped, _, _ = _problem()
    means = np.arange(12.0).reshape(4, 3)
    covariances = np.stack([np.eye(3), 2 * np.eye(3)])
    components = grouped.components_from(means, covariances)
    np.testing.assert_allclose(components.covariance, covariances)
    np.testing.assert_allclose(components.mean, means, atol=1e-12)
    replaced = grouped.with_parts(components.natural, {"means": np.ones((4, 3))})
    np.testing.assert_allclose(grouped.components(replaced).covariance, covariances)
    with pytest.raises(ValueError, match=r"covariance \(K / 2, D, D\)"):
        grouped.components_from(means, np.eye(3))
    with pytest.raises(ValueError, match="3 components do not split"):
        grouped.components_from(np.zeros((3, 3)), covariances)
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="group_size"):
            mx.TiedGaussian(group_size=bad)
    with pytest.raises(ValueError, match="one dof and one scale"):
        mx.TiedNormalWishart(dof=[4.0, 5.0, 5.0, 5.0]).for_data(grouped, x, np.ones(len(x)), 4)


def test_check_family_passes() -> None:
    check_family(mx.TiedGaussian(reg_covar=0.0, group_size=2), max_examples=5)


def _regimes() -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(3)
    states = np.repeat([0, 1, 0, 1], 60)
    x = rng.normal(size=(240, 2)) * np.where(states[:, None] == 0, 1.0, 0.3) + states[:, None] * 4.0
    return x, [120, 120]


def _hmm(**settings) -> mx.HMM:
    return mx.HMM(mx.TiedGaussian(group_size=2), 2, n_mix=2, random_state=0, max_iter=15, **settings)


def test_an_hmm_with_one_covariance_per_state_holds_means_and_fills_gaps() -> None:
    x, lengths = _regimes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        free = _hmm().fit(x, lengths=lengths)
        start = (free.startprob_, free.transmat_, free.mix_weights_, free.components_)
        held = _hmm(fixed=("means",), init=start).fit(x, lengths=lengths)
        gappy = x.copy()
        gappy[np.random.default_rng(0).random(x.shape) < 0.1] = np.nan
        filled = _hmm(missing="marginalize").fit(gappy, lengths=lengths)
    assert free.components_.covariance.shape == (2, 2, 2)
    np.testing.assert_allclose(held.components_.mean, free.components_.mean)
    assert np.isfinite(filled.score(gappy, lengths=lengths))
    assert filled.components_.covariance.shape == (2, 2, 2)


def test_model_files_keep_the_groups_and_older_files_load(tmp_path: Path) -> None:
    x, lengths = _regimes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _hmm().fit(x, lengths=lengths)
    model.save(tmp_path / "model.npz")
    loaded = mx.load(tmp_path / "model.npz")
    assert loaded.family_.group_size == 2
    np.testing.assert_allclose(loaded.score(x, lengths=lengths), model.score(x, lengths=lengths))
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        members = {key: archive[key] for key in archive.files}
    metadata = json.loads(str(members["metadata"]))
    found = []

    def drop_group_size(node: object) -> None:  # as files were written before the field existed
        if isinstance(node, dict):
            if node.get("type") == "TiedGaussian":
                found.append(node["fields"].pop("group_size"))
            for value in node.values():
                drop_group_size(value)
        elif isinstance(node, list):
            for value in node:
                drop_group_size(value)

    drop_group_size(metadata)
    assert found and set(found) == {2}
    members["metadata"] = np.array(json.dumps(metadata))
    with open(tmp_path / "older.npz", "wb") as stream:
        np.savez(stream, **members)
    older = mx.load(tmp_path / "older.npz")
    assert older.family_.group_size is None  # the default: one covariance for all components
