"""scikit-learn's own estimator checks, run on ``Mixture`` and ``HMM`` for every built-in family,
with each expected failure listed with its reason; and the two estimators inside ``Pipeline``
and ``GridSearchCV``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

import mixtures as mx

FAMILIES = {
    "gaussian": mx.Gaussian(),
    "diag": mx.DiagonalGaussian(),
    "spherical": mx.SphericalGaussian(),
    "tied": mx.TiedGaussian(),
    "bernoulli": mx.Bernoulli(),
    "poisson": mx.Poisson(),
    "categorical": mx.Categorical(),
    "multinomial": mx.Multinomial(),
}

ESTIMATORS = [
    model(family, 2, inference=inference, random_state=0)
    for model in (mx.Mixture, mx.HMM)
    for inference in ("em", "vb")
    for family in FAMILIES.values()
]

#: scikit-learn's checks draw real-valued data (its input tags cannot say "only 0 and 1"); a
#: Bernoulli family rejects every such fit with a ValueError naming the first cell that is not 0/1.
BINARY_DATA_ONLY = "the check fits real or integer data; Bernoulli data must be 0 or 1"
BERNOULLI_FAILURES = {
    name: BINARY_DATA_ONLY
    for name in (
        "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_estimators_dtypes",
        "check_sample_weights_pandas_series",
        "check_sample_weights_not_an_array",
        "check_sample_weights_shape",
        "check_sample_weights_not_overwritten",
        "check_sample_weight_equivalence_on_dense_data",
        "check_f_contiguous_array_estimator",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit2d_1sample",
        "check_fit2d_1feature",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
        "check_fit2d_predict1d",
    )
}

SEQUENCE_DEPENDENT = (
    "an HMM's posterior for a row depends on its neighbours in the sequence, so reordering rows "
    "or predicting on a subset changes it"
)
ROW_IS_A_TIME_STEP = (
    "in an HMM a repeated row is an extra time step, so an integer weight is not a repetition"
)
SHUFFLED_START = (
    "k-means++ draws its seeds from the rows in order and the check shuffles the weighted rows, so "
    "the two fits start differently (it fails or passes by luck of the optimum; from the same "
    "start, integer weights equal repetition: tests/test_mixture_estimator.py)"
)
IGNORES_CATEGORICAL_TAG = (
    "the check draws real-valued data regardless of the 'categorical' input tag; the family "
    "accepts non-negative integers only"
)


def expected_failures(estimator: mx.Mixture | mx.HMM) -> dict[str, str]:
    """Every check expected to fail for ``estimator``, with the reason."""
    family = estimator.family
    failures: dict[str, str] = {}
    if isinstance(family, mx.Bernoulli):
        failures.update(BERNOULLI_FAILURES)
        if isinstance(estimator, mx.HMM):  # its K > N error comes before the data check
            del failures["check_fit2d_1sample"]
    elif isinstance(family, mx.Poisson | mx.Categorical):
        failures["check_sample_weight_equivalence_on_dense_data"] = IGNORES_CATEGORICAL_TAG
    else:
        failures["check_sample_weight_equivalence_on_dense_data"] = SHUFFLED_START
    if isinstance(estimator, mx.HMM):
        failures["check_methods_sample_order_invariance"] = SEQUENCE_DEPENDENT
        failures["check_methods_subset_invariance"] = SEQUENCE_DEPENDENT
        if not isinstance(family, mx.Bernoulli):
            failures["check_sample_weight_equivalence_on_dense_data"] = ROW_IS_A_TIME_STEP
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_check(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        warnings.simplefilter("ignore", mx.EmptyComponentWarning)
        warnings.simplefilter("ignore", mx.UnvisitedStateWarning)
        check(estimator)


@pytest.mark.parametrize("name", ["poisson", "categorical", "bernoulli"])
def test_discrete_families_declare_non_negative_integer_input(name):
    tags = get_tags(mx.Mixture(FAMILIES[name], 2))
    assert tags.input_tags.positive_only and tags.input_tags.categorical
    assert get_tags(mx.HMM(name, 2)).input_tags.positive_only


def test_continuous_families_declare_real_input():
    for estimator in (mx.Mixture(mx.Gaussian(), 2), mx.HMM("diag", 2), mx.Mixture("tied")):
        tags = get_tags(estimator)
        assert not tags.input_tags.positive_only and not tags.input_tags.categorical
        assert tags.estimator_type == "density_estimator" and not tags.target_tags.required
    mixed = mx.Independent((mx.Poisson(), [0]), (mx.Gaussian(), [1]))
    assert not get_tags(mx.Mixture(mixed, 2)).input_tags.positive_only


def test_not_fitted_error_is_both_ours_and_scikit_learns():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(mx.NotFittedError) as raised:
        mx.Mixture(mx.Gaussian(), 2).predict(np.zeros((3, 2)))
    assert isinstance(raised.value, NotFittedError) and isinstance(raised.value, ValueError)


def _blobs(rng: np.random.Generator, n: int = 300) -> np.ndarray:
    centres = np.array([[0.0, 0.0], [6.0, 6.0], [0.0, 8.0]])
    return 10.0 * (centres[rng.integers(3, size=n)] + rng.normal(size=(n, 2))) + 100.0


def test_mixture_in_a_pipeline_matches_fitting_on_scaled_data():
    x = _blobs(np.random.default_rng(0))
    pipeline = make_pipeline(StandardScaler(), mx.Mixture(mx.Gaussian(), 3, random_state=0)).fit(x)
    scaled = StandardScaler().fit_transform(x)
    direct = mx.Mixture(mx.Gaussian(), 3, random_state=0).fit(scaled)
    np.testing.assert_allclose(pipeline.score_samples(x), direct.score_samples(scaled), rtol=1e-12)
    np.testing.assert_array_equal(pipeline.predict(x), direct.predict(scaled))
    assert pipeline.score(x) == pytest.approx(direct.score(scaled), rel=1e-12)


def test_grid_search_picks_the_true_number_of_components_by_held_out_log_likelihood():
    x = _blobs(np.random.default_rng(1), n=600)
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("mixture", mx.Mixture(mx.Gaussian(), random_state=0))]),
        {"mixture__n_components": [1, 2, 3], "mixture__family": ["full", "spherical"]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(x)
    assert search.best_params_["mixture__n_components"] == 3
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    # the score is the mean held-out log-likelihood: recompute the best one by hand
    best = search.best_index_
    folds = [
        clone(search.estimator).set_params(**search.cv_results_["params"][best]).fit(x[train]).score(x[test])
        for train, test in KFold(3, shuffle=True, random_state=0).split(x)
    ]
    assert scores[best] == pytest.approx(np.mean(folds), rel=1e-10)


@pytest.mark.filterwarnings("ignore::mixtures.exceptions.ConvergenceWarning")  # 4 states on 3-state data
def test_hmm_in_a_pipeline_and_grid_search():
    rng = np.random.default_rng(2)
    states = np.repeat(rng.integers(3, size=60), 20)  # 1,200 steps in runs of 20
    x = np.array([[-5.0], [0.0], [5.0]])[states] + rng.normal(size=(states.size, 1))
    pipeline = make_pipeline(StandardScaler(), mx.HMM(mx.Gaussian(), 3, random_state=0))
    pipeline.fit(x, hmm__lengths=[600, 600])
    hmm = mx.HMM(mx.Gaussian(), 3, random_state=0).fit(StandardScaler().fit_transform(x), lengths=[600, 600])
    np.testing.assert_allclose(pipeline[-1].transmat_, hmm.transmat_, rtol=1e-12)
    # contiguous folds: each training and test set is one stretch of the chain (training: two)
    search = GridSearchCV(mx.HMM(mx.Gaussian(), random_state=0), {"n_states": [1, 2, 3, 4]}, cv=KFold(3))
    search.fit(x)
    assert search.best_params_["n_states"] >= 3
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
