"""Missing values (``missing="marginalize"``): NaN entries marginalised out of the likelihood, and
EM on the expected statistics of the missing part given the observed part, for the Gaussian
families, mixtures and HMMs."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import mixtures as mx
from mixtures.priors import default_prior

from helpers import quiet

FAMILIES = {
    "full": mx.Gaussian,
    "diag": mx.DiagonalGaussian,
    "spherical": mx.SphericalGaussian,
    "tied": mx.TiedGaussian,
}
MEANS = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 5.0, 5.0]])
COVARIANCE = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]])


def clusters(n_rows: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n_rows)
    return MEANS[labels] + rng.normal(size=(n_rows, 3)) @ np.linalg.cholesky(COVARIANCE).T, labels


def remove_at_random(x: np.ndarray, share: float, seed: int = 1) -> np.ndarray:
    out = x.copy()
    out[np.random.default_rng(seed).random(x.shape) < share] = np.nan
    return out


def fitted_components(kind: str, seed: int) -> Any:
    """A fitted family with its data-dependent settings (origin, scale) and parameters."""
    x, _ = clusters(300, seed)
    model = quiet(mx.Mixture(FAMILIES[kind](), 3, random_state=seed).fit, x * [1.0, 10.0, 0.1])
    return model.family_, model.components_


def conventional_covariances(kind: str, family: Any, components: Any) -> np.ndarray:
    """In the data's units (a spherical component is spherical in standardised coordinates)."""
    n_components, n_features = components.mean.shape
    if kind == "full":
        return components.covariance
    if kind == "tied":
        return np.broadcast_to(components.covariance, (n_components, n_features, n_features))
    variance = components.variance
    if kind == "spherical":
        return variance[:, None, None] * np.diag(family.scale_for(n_features) ** 2)
    return np.stack([np.diag(v) for v in variance])


# ----------------------------------------------------------------------------- the densities
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), kind=st.sampled_from(sorted(FAMILIES)))
def test_the_density_of_the_observed_part_is_the_marginal(seed: int, kind: str) -> None:
    family, components = fitted_components(kind, seed % 7)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 3)) * [2.0, 20.0, 0.2] + [1.0, 30.0, -0.5]
    missing = rng.random(x.shape) < 0.4
    completion = family.completion(np.where(missing, 0.0, x), missing, components.natural)
    covariances = conventional_covariances(kind, family, components)
    expected = np.zeros((40, 3))
    for n in range(40):
        seen = ~missing[n]
        if seen.any():
            for k in range(3):
                expected[n, k] = scipy.stats.multivariate_normal(
                    components.mean[k, seen], covariances[k][np.ix_(seen, seen)]
                ).logpdf(x[n, seen])
    np.testing.assert_allclose(completion.log_likelihood, expected, rtol=1e-10, atol=1e-10)


def test_expected_statistics_are_the_conditional_moments() -> None:
    """Against the precision form: E[x_m | x_o] = μ_m − Λ_mm⁻¹ Λ_mo (x_o − μ_o), Cov = Λ_mm⁻¹."""
    family, components = fitted_components("full", 3)
    x = np.array([[1.0, np.nan, 0.3], [np.nan, np.nan, 2.0], [np.nan, np.nan, np.nan]])
    missing = np.isnan(x)
    completion = family.completion(np.nan_to_num(x), missing, components.natural)
    means = completion.conditional_means()
    for n in range(3):
        for k in range(3):
            seen, absent = ~missing[n], missing[n]
            mu, precision = components.mean[k], components.precision[k]
            block = precision[np.ix_(absent, absent)]
            offset = x[n, seen] - mu[seen]
            expected = mu[absent] - np.linalg.solve(block, precision[np.ix_(absent, seen)] @ offset)
            np.testing.assert_allclose(means[n, k, absent], expected, rtol=1e-10)
            np.testing.assert_allclose(means[n, k, seen], x[n, seen], rtol=1e-14)
    # statistics of one row for one component: E[z] and E[z zᵀ] = ẑẑᵀ + Cov, in z's coordinates
    one = np.zeros((3, 3))
    one[0, 1] = 1.0
    sums = completion.statistics(one)
    z_hat = family.standardised(means[0, 1])
    precision_z = components.precision[1] * np.outer(family.feature_scale, family.feature_scale)
    absent = missing[0]
    second = np.outer(z_hat, z_hat)
    second[np.ix_(absent, absent)] += np.linalg.inv(precision_z[np.ix_(absent, absent)])
    np.testing.assert_allclose(sums[1], np.concatenate([z_hat, family.second_statistics(second[None])[0]]),
                               rtol=1e-10)
    np.testing.assert_array_equal(sums[[0, 2]], 0.0)


# ----------------------------------------------------------------------------- fitting
@pytest.mark.parametrize("kind", sorted(FAMILIES))
@pytest.mark.parametrize(
    "settings_", [{}, {"prior": "default"}, {"inference": "vb"}], ids=["em", "map", "vb"]
)
@pytest.mark.parametrize("model_type", [mx.Mixture, mx.HMM])
def test_the_objective_never_falls_with_missing_values(model_type: Any, settings_: dict, kind: str) -> None:
    x = remove_at_random(clusters(600)[0], 0.25)
    x[::17] = np.nan  # some rows wholly missing
    family = FAMILIES[kind]()
    extra = {"prior": default_prior(family)} if "prior" in settings_ else dict(settings_)
    model = quiet(
        model_type(family, 3, missing="marginalize", random_state=0, max_iter=40, tol=0.0, **extra).fit, x
    )
    bounds = np.asarray(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))
    assert np.all(np.isfinite(model.components_.natural))


@pytest.mark.parametrize("inference", ["em", "vb"])
@pytest.mark.parametrize("model_type", [mx.Mixture, mx.HMM])
def test_without_missing_values_the_fit_is_bit_for_bit_the_plain_fit(model_type: Any, inference: str) -> None:
    x, _ = clusters(500)
    plain = quiet(model_type(mx.Gaussian(), 3, random_state=0, inference=inference).fit, x)
    marginalised = quiet(
        model_type(mx.Gaussian(), 3, random_state=0, inference=inference, missing="marginalize").fit, x
    )
    np.testing.assert_array_equal(marginalised.components_.natural, plain.components_.natural)
    np.testing.assert_array_equal(marginalised.lower_bounds_, plain.lower_bounds_)


def test_twenty_percent_missing_completely_at_random_beats_mean_imputation() -> None:
    """Full covariances, 3 clusters, 20% of entries missing: the parameters stay near the
    complete-data fit's; held-out observed-data log-likelihood and ARI beat imputing means."""
    from sklearn.metrics import adjusted_rand_score

    x, _ = clusters(3000)
    test, test_labels = clusters(3000, seed=5)
    x_missing, test_missing = remove_at_random(x, 0.2), remove_at_random(test, 0.2, seed=6)
    complete = quiet(mx.Mixture(mx.Gaussian(), 3, random_state=0, n_init=3).fit, x)
    ours = quiet(mx.Mixture(mx.Gaussian(), 3, random_state=0, n_init=3, missing="marginalize").fit, x_missing)
    column_means = np.nanmean(x_missing, axis=0)
    imputed = quiet(mx.Mixture(mx.Gaussian(), 3, random_state=0, n_init=3).fit,
                    np.where(np.isnan(x_missing), column_means, x_missing))
    order = np.argsort(complete.components_.mean @ [1.0, 10.0, 100.0])
    ours_order = np.argsort(ours.components_.mean @ [1.0, 10.0, 100.0])
    assert np.abs(ours.components_.mean[ours_order] - complete.components_.mean[order]).max() < 0.1
    covariance_error = ours.components_.covariance[ours_order] - complete.components_.covariance[order]
    assert np.abs(covariance_error).max() < 0.1
    # held out: the marginal density of each test row's observed entries
    imputed_start = (imputed.weights_, imputed.components_)
    as_marginal = mx.Mixture(mx.Gaussian(), 3, missing="marginalize", init=imputed_start, max_iter=0)
    baseline = quiet(as_marginal.fit, x_missing)
    assert ours.score(test_missing) > baseline.score(test_missing) + 0.05
    ours_ari = adjusted_rand_score(test_labels, ours.predict(test_missing))
    imputed_ari = adjusted_rand_score(test_labels, imputed.predict(np.where(np.isnan(test_missing),
                                                                            column_means, test_missing)))
    assert ours_ari > imputed_ari + 0.05


def test_an_hmm_with_missing_time_steps_still_decodes_its_states() -> None:
    """10% of time steps wholly missing (only the dynamics carry them), 10% partly missing."""
    rng = np.random.default_rng(0)
    states = np.repeat(np.arange(12) % 3, 100)
    x = MEANS[states] + rng.normal(size=(1200, 3))
    gone = rng.random(1200) < 0.1
    partly = ~gone & (rng.random(1200) < 0.1)
    x_missing = x.copy()
    x_missing[gone] = np.nan
    x_missing[partly, rng.integers(0, 3, partly.sum())] = np.nan
    model = quiet(mx.HMM(mx.Gaussian(), 3, random_state=0, n_init=2, missing="marginalize").fit, x_missing)
    bounds = np.asarray(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))
    decoded = model.predict(x_missing)
    mapping = {int(k): int(np.bincount(states[decoded == k]).argmax()) for k in np.unique(decoded)}
    accuracy = np.mean(np.array([mapping[int(k)] for k in decoded]) == states)
    assert accuracy > 0.97
    assert np.mean(np.array([mapping[int(k)] for k in decoded[gone]]) == states[gone]) > 0.9


def test_a_pass_of_batches_with_missing_values_is_one_fit_iteration() -> None:
    x = remove_at_random(clusters(900)[0], 0.2)
    family = mx.Gaussian(feature_scale=1.0)
    start = (np.full(3, 1 / 3), family.components_from(MEANS, np.stack([np.eye(3)] * 3)))
    batch = quiet(mx.Mixture(family, 3, init=start, max_iter=1, missing="marginalize").fit, x)
    online = mx.Mixture(family, 3, init=start, missing="marginalize", online=mx.ExactPasses())
    for rows in np.array_split(np.arange(900), 3):
        online.partial_fit(x[rows])
    online.end_pass()
    np.testing.assert_allclose(online.components_.mean, batch.components_.mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(online.components_.covariance, batch.components_.covariance, rtol=1e-9)


def test_predictions_use_the_observed_entries_only() -> None:
    x = remove_at_random(clusters(600)[0], 0.2)
    model = quiet(mx.Mixture(mx.Gaussian(), 3, random_state=0, missing="marginalize").fit, x)
    rows = np.array([[np.nan, np.nan, np.nan], [0.1, np.nan, np.nan], [0.1, 0.2, 0.3]])
    densities = model.score_samples(rows)
    assert densities[0] == pytest.approx(0.0, abs=1e-12)  # nothing observed: log 1
    assert model.score_samples(rows[:1])[0] == pytest.approx(0.0, abs=1e-12)  # a column with none
    marginal = scipy.stats.norm
    expected = np.log(sum(
        w * marginal(m[0], np.sqrt(c[0, 0])).pdf(0.1)
        for w, m, c in zip(model.weights_, model.components_.mean, model.components_.covariance, strict=True)
    ))
    assert densities[1] == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(model.predict_proba(rows)[0], model.weights_, rtol=1e-12)
    imputed = model.impute(rows)
    np.testing.assert_array_equal(imputed[2], rows[2])
    np.testing.assert_allclose(imputed[0], model.weights_ @ model.components_.mean, rtol=1e-10)


def test_pandas_na_counts_as_missing() -> None:
    pd = pytest.importorskip("pandas")
    x = remove_at_random(clusters(300)[0], 0.2)
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).astype("Float64")
    assert frame.isna().any().any()
    from_frame = quiet(mx.Mixture(mx.Gaussian(), 3, random_state=0, missing="marginalize").fit, frame)
    from_array = quiet(mx.Mixture(mx.Gaussian(), 3, random_state=0, missing="marginalize").fit, x)
    np.testing.assert_allclose(from_frame.components_.natural, from_array.components_.natural, rtol=1e-10)


def test_missing_setting_round_trips_through_model_files(tmp_path: Any) -> None:
    x = remove_at_random(clusters(300)[0], 0.2)
    model = quiet(mx.HMM(mx.DiagonalGaussian(), 2, random_state=0, missing="marginalize").fit, x)
    model.save(tmp_path / "m.npz")
    loaded = mx.load(tmp_path / "m.npz")
    assert loaded.missing == "marginalize"
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
    assert loaded.score(x) == model.score(x)


# ----------------------------------------------------------------------------- refusals
def test_missing_values_are_refused_by_default_naming_the_option() -> None:
    x = clusters(100)[0]
    x[3, 2] = np.nan
    message = r"X contains NaN \(first at row 3, column 2\).*missing='marginalize'"
    with pytest.raises(ValueError, match=message):
        mx.Mixture(mx.Gaussian(), 2).fit(x)


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (mx.Mixture(mx.Gaussian(), 2, missing="marginalize"), "inf", "contains inf"),
        (mx.Mixture(mx.Gaussian(), 2, missing="marginalize"), "empty column", "column 1 has no observed"),
        (mx.Mixture(mx.Multinomial(), 2, missing="marginalize"), "counts", "Multinomial cannot marginalise"),
        (mx.Mixture(mx.Gaussian(), 2, missing="drop"), "nan", "missing must be one of"),
    ],
)
def test_what_cannot_be_marginalised_is_refused(model: Any, data: str, message: str) -> None:
    x = np.abs(clusters(100)[0]).round()
    if data == "inf":
        x[5, 0] = np.inf
    elif data == "empty column":
        x[:, 1] = np.nan
    else:
        x[5, 0] = np.nan
    with warnings.catch_warnings(), pytest.raises(ValueError, match=message):
        warnings.simplefilter("ignore")
        model.fit(x)


def test_vb_with_missing_values_is_the_bound_under_the_expected_parameters() -> None:
    """One row's ELBO term is log p_η̄(x_o) + A(η̄) − E_q[A] (η̄ = E_q[η]); complete rows keep
    the usual η̄·T − E_q[A] + log h (the predictive of incomplete rows: test_missing_predictive)."""
    x = remove_at_random(clusters(400)[0], 0.2)
    model = quiet(mx.Mixture(mx.Gaussian(), 3, random_state=0, inference="vb", missing="marginalize").fit, x)
    complete_rows = ~np.isnan(x).any(1)
    assert np.isfinite(model.score_samples(x[complete_rows])).all()
    probabilities = model.predict_proba(x)
    np.testing.assert_allclose(probabilities.sum(1), 1.0)
    family, q = model.family_, model.posterior_.components
    natural, expected_log_partition = q.expected_natural(), q.expected_log_partition()
    row = x[~complete_rows][:1]
    missing = np.isnan(row)
    marginal = family.completion(np.nan_to_num(row), missing, natural).log_likelihood
    term = marginal + family.log_partition(natural) - expected_log_partition
    log_weights = model.posterior_.weights.expected_log_weights()
    expected = np.exp(term + log_weights - np.logaddexp.reduce(term + log_weights, axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities[~complete_rows][:1], expected, rtol=1e-10)


def test_model_selection_marginalises_missing_values() -> None:
    """``select_model(..., missing="marginalize")`` fits the rows with their NaN, never the
    placeholders; BIC counts the rows and the same parameters as without missing values."""
    x = remove_at_random(clusters(600)[0], 0.2)
    selection = quiet(mx.select_model, x, [2, 3, 4], ["full"], missing="marginalize", random_state=0)
    assert selection.best.size == 3
    direct = quiet(mx.Mixture(mx.Gaussian(), 3, missing="marginalize", random_state=0).fit, x)
    chosen = next(c for c in selection.candidates if c.size == 3)
    assert chosen.log_likelihood == pytest.approx(direct.score(x) * 600, rel=1e-10)
    assert chosen.bic == pytest.approx(direct.bic(x), rel=1e-10)


def test_impute_refuses_what_it_cannot_do_yet() -> None:
    x = remove_at_random(clusters(300)[0], 0.2)
    model = mx.HMM(mx.Gaussian(), 2, n_mix=2, missing="marginalize", random_state=0)
    mixtures_of_states = quiet(model.fit, x)
    with pytest.raises(ValueError, match="n_mix > 1"):
        mixtures_of_states.impute(x)
    plain = quiet(mx.Mixture(mx.Gaussian(), 2, random_state=0).fit, np.nan_to_num(x))
    with pytest.raises(ValueError, match="missing='marginalize'"):
        plain.impute(x)
