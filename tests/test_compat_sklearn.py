"""The scikit-learn drop-ins (``mixtures.compat.sklearn``) against scikit-learn itself."""

from __future__ import annotations

import numpy as np
import pytest

import mixtures as mx
from mixtures.compat.sklearn import BayesianGaussianMixture, GaussianMixture

sklearn_mixture = pytest.importorskip("sklearn.mixture")
datasets = pytest.importorskip("sklearn.datasets")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning  # noqa: E402
from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: E402

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def blobs(seed: int = 0) -> np.ndarray:
    """Three well separated clusters in three dimensions."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [8.0, 1.0, -2.0], [-3.0, 9.0, 4.0]])
    scales = np.array([1.0, 0.6, 1.4])
    return np.concatenate(
        [c + s * rng.standard_normal((120, 3)) for c, s in zip(centres, scales, strict=True)]
    )


def kmeans_start(X: np.ndarray, n_components: int, covariance_type: str) -> dict[str, np.ndarray]:
    """Weights, means and precisions of a k-means partition, in scikit-learn's shapes."""
    from sklearn.cluster import KMeans

    assigned = KMeans(n_components, n_init=1, random_state=0).fit(X).labels_
    weights = np.bincount(assigned, minlength=n_components) / X.shape[0]
    means = np.array([X[assigned == k].mean(0) for k in range(n_components)])
    covariances = np.array([np.cov(X[assigned == k].T, bias=True) for k in range(n_components)])
    precisions = {
        "full": np.linalg.inv(covariances),
        "tied": np.linalg.inv(np.einsum("k,kij->ij", weights, covariances)),
        "diag": 1.0 / np.diagonal(covariances, axis1=1, axis2=2),
        "spherical": 1.0 / np.diagonal(covariances, axis1=1, axis2=2).mean(1),
    }[covariance_type]
    return {"weights_init": weights, "means_init": means, "precisions_init": precisions}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("loader", ["load_iris", "load_wine"])
def test_em_agrees_with_sklearn_from_the_same_start(loader: str, covariance_type: str) -> None:
    X = getattr(datasets, loader)().data
    start = kmeans_start(X, 3, covariance_type)
    settings = {"covariance_type": covariance_type, "tol": 1e-12, "max_iter": 2000, **start}
    ours = GaussianMixture(3, **settings).fit(X)
    theirs = sklearn_mixture.GaussianMixture(3, **settings).fit(X)
    assert ours.converged_ and theirs.converged_
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(ours.precisions_cholesky_, theirs.precisions_cholesky_, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=1e-9)
    np.testing.assert_allclose(ours.bic(X), theirs.bic(X), rtol=1e-9)
    np.testing.assert_allclose(ours.aic(X), theirs.aic(X), rtol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-4)


def sorted_by_first_mean(model: object, names: tuple[str, ...]) -> list[np.ndarray]:
    order = np.argsort(model.means_[:, 0])  # type: ignore[attr-defined]
    return [np.asarray(getattr(model, name))[order] for name in names]


@pytest.mark.parametrize("prior_type", ["dirichlet_distribution", "dirichlet_process"])
def test_full_vb_agrees_with_sklearn(prior_type: str) -> None:
    """With full covariances both are the same mean-field VB: on separated clusters they reach the
    same posterior (the component order may differ under the Dirichlet distribution). Without
    ``reg_covar``, which scikit-learn adds to each component's scatter under VB too."""
    X = blobs()
    settings = {
        "n_components": 3,
        "weight_concentration_prior_type": prior_type,
        "tol": 1e-10,
        "reg_covar": 0.0,
        "max_iter": 1000,
        "random_state": 0,
    }
    ours = BayesianGaussianMixture(**settings).fit(X)
    theirs = sklearn_mixture.BayesianGaussianMixture(**settings).fit(X)
    names = ("weights_", "means_", "covariances_", "precisions_", "mean_precision_", "degrees_of_freedom_")
    for mine, sklearns in zip(
        sorted_by_first_mean(ours, names), sorted_by_first_mean(theirs, names), strict=True
    ):
        np.testing.assert_allclose(mine, sklearns, rtol=1e-7, atol=1e-9)
    for name in (
        "weight_concentration_prior_",
        "mean_precision_prior_",
        "mean_prior_",
        "degrees_of_freedom_prior_",
        "covariance_prior_",
    ):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "tied"])
def test_exact_vb_of_the_other_types_is_near_sklearns_approximation(covariance_type: str) -> None:
    """Exact VB and scikit-learn's approximation differ slightly in the responsibilities; on
    separated clusters the posterior points agree closely, and tied degrees of freedom differ as
    documented (ν₀ + N here, ν₀ + N/K there)."""
    X = blobs()
    settings = {
        "n_components": 3,
        "covariance_type": covariance_type,
        "tol": 1e-10,
        "max_iter": 1000,
        "random_state": 0,
    }
    ours = BayesianGaussianMixture(**settings).fit(X)
    theirs = sklearn_mixture.BayesianGaussianMixture(**settings).fit(X)
    for mine, sklearns in zip(
        *(sorted_by_first_mean(m, ("weights_", "means_")) for m in (ours, theirs)), strict=True
    ):
        np.testing.assert_allclose(mine, sklearns, rtol=1e-3, atol=1e-3)
    if covariance_type == "tied":
        assert ours.degrees_of_freedom_ == pytest.approx(ours.degrees_of_freedom_prior_ + X.shape[0])
        assert theirs.degrees_of_freedom_ == pytest.approx(theirs.degrees_of_freedom_prior_ + X.shape[0] / 3)
    else:
        mine, sklearns = (
            sorted_by_first_mean(m, ("covariances_", "degrees_of_freedom_")) for m in (ours, theirs)
        )
        np.testing.assert_allclose(mine[0], sklearns[0], rtol=1e-3)
        np.testing.assert_allclose(mine[1], sklearns[1], rtol=1e-3)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("estimator", [GaussianMixture, BayesianGaussianMixture])
def test_attribute_shapes(estimator: type, covariance_type: str) -> None:
    X = blobs()
    model = estimator(n_components=3, covariance_type=covariance_type, random_state=0).fit(X)
    shapes = {"full": (3, 3, 3), "tied": (3, 3), "diag": (3, 3), "spherical": (3,)}
    assert model.weights_.shape == (3,)
    assert model.means_.shape == (3, 3)
    for name in ("covariances_", "precisions_", "precisions_cholesky_"):
        assert getattr(model, name).shape == shapes[covariance_type], name
    assert model.n_features_in_ == 3 and len(model.lower_bounds_) == model.n_iter_ + 1
    assert model.lower_bound_ == model.lower_bounds_[-1]
    precisions = model.precisions_
    if covariance_type in ("full", "tied"):
        np.testing.assert_allclose(
            precisions @ model.covariances_, np.broadcast_to(np.eye(3), precisions.shape), atol=1e-9
        )
        cholesky = model.precisions_cholesky_
        np.testing.assert_allclose(cholesky @ np.swapaxes(cholesky, -1, -2), precisions, rtol=1e-9)
        assert np.allclose(np.tril(cholesky, -1), 0.0)  # upper triangular, as scikit-learn's
    else:
        np.testing.assert_allclose(precisions * model.covariances_, 1.0)
    if estimator is BayesianGaussianMixture:
        assert model.mean_precision_.shape == (3,)
        assert np.shape(model.degrees_of_freedom_) == (() if covariance_type == "tied" else (3,))
        assert isinstance(model.weight_concentration_, tuple)  # the default: a Dirichlet process


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"covariance_type": "block"}, "covariance_type"),
        ({"init_params": "kmeans+"}, "init_params"),
        ({"tol": -1.0}, "tol"),
        ({"reg_covar": "small"}, "reg_covar"),
        ({"verbose_interval": 0}, "verbose_interval"),
        ({"n_components": 500}, "Expected n_samples >= n_components"),
        ({"weights_init": [0.5, 0.5]}, r"'weights' should have the shape of \(3,\)"),
        ({"means_init": np.zeros((3, 2))}, r"'means' should have the shape of \(3, 3\)"),
        ({"precisions_init": -np.ones(3), "covariance_type": "spherical"}, "should be positive"),
    ],
)
def test_bad_settings_are_refused_naming_them(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GaussianMixture(**{"n_components": 3, **settings}).fit(blobs())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"weight_concentration_prior_type": "dirichlet"}, "weight_concentration_prior_type"),
        ({"degrees_of_freedom_prior": 1.5}, "'degrees_of_freedom_prior' should be greater than 2"),
        ({"covariance_prior": np.eye(2)}, r"'full covariance_prior' should have the shape of \(3, 3\)"),
        ({"mean_precision_prior": 0.0}, "mean_precision_prior"),
    ],
)
def test_bad_bayesian_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BayesianGaussianMixture(n_components=3, **settings).fit(blobs())


def test_not_fitted_and_convergence_are_sklearns_classes() -> None:
    model = GaussianMixture(3, max_iter=1, random_state=0)
    with pytest.raises(SklearnNotFittedError, match="This GaussianMixture instance is not fitted yet"):
        model.predict(blobs())
    with pytest.warns(SklearnConvergenceWarning, match="Best performing initialization did not converge"):
        model.fit(blobs())
    assert not model.converged_ and model.n_iter_ == 1


def test_tol_stops_at_the_first_small_change() -> None:
    model = GaussianMixture(3, tol=1e-4, random_state=1).fit(blobs())
    changes = np.abs(np.diff(model.lower_bounds_))
    assert model.converged_ and changes[-1] < 1e-4 and np.all(changes[:-1] >= 1e-4)


def test_warm_start_continues_one_iteration_at_a_time() -> None:
    X = blobs()
    with pytest.warns(SklearnConvergenceWarning):
        reference = GaussianMixture(3, max_iter=2, tol=0.0, random_state=0).fit(X)
    stepped = GaussianMixture(3, max_iter=1, tol=0.0, random_state=0, warm_start=True)
    with pytest.warns(SklearnConvergenceWarning):
        stepped.fit(X)
    with pytest.warns(SklearnConvergenceWarning):
        stepped.fit(X)
    np.testing.assert_allclose(stepped.means_, reference.means_, rtol=1e-12)
    assert stepped.lower_bounds_[0] == pytest.approx(reference.lower_bounds_[1])


def test_integer_sample_weights_equal_repeated_rows() -> None:
    X = blobs()
    counts = np.random.default_rng(3).integers(1, 4, size=X.shape[0])
    start = kmeans_start(X, 3, "full")
    weighted = GaussianMixture(3, tol=1e-10, max_iter=500, **start).fit(X, sample_weight=counts)
    repeated = GaussianMixture(3, tol=1e-10, max_iter=500, **start).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-8)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-7)


@pytest.mark.parametrize("estimator", [GaussianMixture, BayesianGaussianMixture])
def test_model_files_read_back_as_the_drop_in(estimator: type, tmp_path: object) -> None:
    X = blobs()
    model = estimator(n_components=3, covariance_type="diag", random_state=0).fit(X)
    path = f"{tmp_path}/model.npz"
    model.save(path)
    loaded = estimator.load(path)
    assert isinstance(loaded, estimator) and loaded.covariance_type == "diag"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    assert isinstance(mx.load(path), mx.Mixture)
    if estimator is BayesianGaussianMixture:
        np.testing.assert_allclose(loaded.covariance_prior_, model.covariance_prior_, rtol=1e-12)
        np.testing.assert_allclose(loaded.degrees_of_freedom_prior_, model.degrees_of_freedom_prior_)


def test_partial_fit_learns_from_batches() -> None:
    X = blobs()
    rng = np.random.default_rng(0)
    model = GaussianMixture(3, random_state=0)
    for _ in range(20):
        model.partial_fit(X[rng.permutation(X.shape[0])[:120]])
    assert model.n_iter_ == 20
    assert model.score(X) > GaussianMixture(1).fit(X).score(X) + 1.0


def test_dask_arrays_give_the_numpy_fit() -> None:
    dask_array = pytest.importorskip("dask.array")
    X = blobs()
    start = kmeans_start(X, 3, "full")
    in_memory = GaussianMixture(3, **start).fit(X)
    blocked = GaussianMixture(3, **start).fit(dask_array.from_array(X, chunks=100))
    np.testing.assert_allclose(blocked.means_, in_memory.means_, rtol=1e-9)
    bayesian = BayesianGaussianMixture(n_components=3, random_state=0)
    np.testing.assert_allclose(
        bayesian.fit(dask_array.from_array(X, chunks=100)).mean_prior_, X.mean(0), rtol=1e-12
    )


def test_verbose_prints_like_sklearn(capsys: pytest.CaptureFixture[str]) -> None:
    GaussianMixture(3, random_state=0, verbose=2, verbose_interval=1).fit(blobs())
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Initialization 0"
    assert lines[1].startswith("  Iteration 1\t time lapse ") and "\t ll change " in lines[1]
    assert lines[-1].startswith("Initialization converged. time lapse ") and "lower bound" in lines[-1]


def test_clone_and_params_follow_sklearn() -> None:
    model = BayesianGaussianMixture(n_components=4, covariance_type="tied")
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    import inspect

    for ours, theirs in (
        (GaussianMixture, sklearn_mixture.GaussianMixture),
        (BayesianGaussianMixture, sklearn_mixture.BayesianGaussianMixture),
    ):
        assert str(inspect.signature(ours)) == str(inspect.signature(theirs)).replace("'", '"') or [
            (p.name, p.default) for p in inspect.signature(ours).parameters.values()
        ] == [(p.name, p.default) for p in inspect.signature(theirs).parameters.values()]
