"""The plots render to real PNG files and draw what the model says (ellipses, curves, images)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # files only: never needs a display

import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import mixtures as mx  # noqa: E402
from mixtures import plotting  # noqa: E402

from helpers import family_data, seed_data  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def assert_rendered(figure, path: Path) -> None:
    """``figure`` saves as a PNG whose pixels are not all the same."""
    figure.savefig(path, dpi=60)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100
    assert pixels[..., :3].std() > 0.05  # not blank


def fit_quietly(model, X, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        return model.fit(X, **kwargs)


@pytest.fixture(scope="module")
def seed_points() -> np.ndarray:
    return seed_data(300)[0]


def ellipse_vertices(patch) -> np.ndarray:
    """Points on the ellipse's outline in data coordinates (the unit circle's Bézier path,
    without its control points, which lie off the curve)."""
    circle = patch.get_path().vertices
    on_curve = np.isclose(np.linalg.norm(circle, axis=1), 1.0)
    assert on_curve.sum() >= 8
    return patch.get_patch_transform().transform(circle[on_curve])


def mahalanobis(points: np.ndarray, mean: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    centred = points - mean
    return np.sqrt(np.einsum("ni,ij,nj->n", centred, np.linalg.inv(covariance), centred))


# ---------------------------------------------------------------------------------------------- ellipses
@pytest.mark.parametrize("family", ["full", "diag", "spherical", "tied"])
def test_ellipses_lie_at_their_mahalanobis_radius(family: str, seed_points, tmp_path: Path) -> None:
    model = fit_quietly(mx.Mixture(family, 3, random_state=0), seed_points)
    levels = (1.0, 2.0, 3.0)
    ax = plotting.plot_gaussian_components(model, seed_points, n_sigma=levels)
    assert len(ax.patches) == 3 * len(levels)
    means, covariances = plotting._gaussian_parameters(model.components_)
    for index, patch in enumerate(ax.patches):
        k, level = divmod(index, len(levels))
        distances = mahalanobis(ellipse_vertices(patch), means[k], covariances[k])
        np.testing.assert_allclose(distances, levels[level], rtol=1e-6)
    assert_rendered(ax.figure, tmp_path / f"{family}.png")


def test_covariances_of_every_gaussian_kind(seed_points) -> None:
    full = fit_quietly(mx.Mixture("full", 3, random_state=0), seed_points)
    covariance = plotting._gaussian_parameters(full.components_)[1]
    np.testing.assert_array_equal(covariance, full.components_.covariance)
    diag = fit_quietly(mx.Mixture("diag", 3, random_state=0), seed_points)
    covariance = plotting._gaussian_parameters(diag.components_)[1]
    np.testing.assert_array_equal(np.diagonal(covariance, axis1=1, axis2=2), diag.components_.variance)
    assert np.all(covariance[:, 0, 1] == 0)
    spherical = fit_quietly(mx.Mixture("spherical", 3, random_state=0), seed_points)
    covariance = plotting._gaussian_parameters(spherical.components_)[1]
    np.testing.assert_array_equal(covariance, spherical.components_.covariance)
    assert np.all(covariance[:, 0, 1] == 0)
    tied = fit_quietly(mx.Mixture("tied", 3, random_state=0), seed_points)
    covariance = plotting._gaussian_parameters(tied.components_)[1]
    assert covariance.shape == (3, 2, 2)
    np.testing.assert_array_equal(covariance[2], tied.components_.covariance)


def test_ellipse_opacity_follows_the_weights(seed_points) -> None:
    model = fit_quietly(
        mx.Mixture(
            "full", 6, inference="vb", weight_prior=mx.DirichletWeights(concentration=0.01),
            random_state=0, max_iter=300,
        ),
        seed_points,
    )
    assert not model.effective_components_.all()
    faded = plotting.plot_gaussian_components(model, n_sigma=(2.0,))
    assert len(faded.patches) == model.n_effective_components_  # switched-off ones are left out
    ax = plotting.plot_gaussian_components(model, n_sigma=(2.0,), components=range(6))
    alphas = np.array([patch.get_alpha() for patch in ax.patches])
    assert alphas[np.argmax(model.weights_)] == pytest.approx(1.0)
    assert np.all(np.diff(alphas[np.argsort(model.weights_)]) >= 0)  # heavier never fainter
    assert alphas.min() >= plotting._MIN_ALPHA


def test_more_than_two_features_needs_a_pair(tmp_path: Path) -> None:
    x = family_data("gaussian")
    model = fit_quietly(mx.Mixture("full", 2, random_state=0), x)
    with pytest.raises(ValueError, match=r"3 feature\(s\); choose two with features=\(i, j\)"):
        plotting.plot_gaussian_components(model, x)
    with pytest.raises(ValueError, match="two different indices"):
        plotting.plot_gaussian_components(model, x, features=(1, 1))
    ax = plotting.plot_gaussian_components(model, x, features=(0, 2), n_sigma=(1.0,))
    marginal = model.components_.covariance[0][np.ix_([0, 2], [0, 2])]
    distances = mahalanobis(ellipse_vertices(ax.patches[0]), model.components_.mean[0, [0, 2]], marginal)
    np.testing.assert_allclose(distances, 1.0, rtol=1e-6)
    assert ax.get_xlabel() == "feature 0" and ax.get_ylabel() == "feature 2"
    assert_rendered(ax.figure, tmp_path / "pair.png")


def test_ellipses_refuse_other_families() -> None:
    x = family_data("bernoulli")
    model = fit_quietly(mx.Mixture("bernoulli", 2, random_state=0), x)
    with pytest.raises(ValueError, match="need Gaussian components"):
        plotting.plot_gaussian_components(model, x)


def test_unfitted_model_is_named() -> None:
    with pytest.raises(ValueError, match="Mixture is not fitted"):
        plotting.plot_gaussian_components(mx.Mixture("full", 2))
    with pytest.raises(ValueError, match="Mixture is not fitted"):
        plotting.plot_objective(mx.Mixture("full", 2))


# ---------------------------------------------------------------------------------------------- curves
@pytest.mark.parametrize(
    ("inference", "name"), [("em", "log-likelihood per sample"), ("vb", "ELBO per sample")]
)
def test_objective_curve_draws_lower_bounds(inference: str, name: str, seed_points, tmp_path: Path) -> None:
    model = fit_quietly(mx.Mixture("full", 3, inference=inference, random_state=0), seed_points)
    ax = plotting.plot_objective(model)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), model.lower_bounds_)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(model.n_iter_ + 1))
    assert ax.get_ylabel() == name
    plotting.plot_objective(model, ax=ax, label="again")  # several fits on one axes
    assert len(ax.get_lines()) == 2
    assert_rendered(ax.figure, tmp_path / "curve.png")


def test_model_selection_curve_marks_the_best(seed_points, tmp_path: Path) -> None:
    selection = mx.select_model(seed_points, [1, 2, 3, 4], ["full", "diag"], random_state=0)
    ax = plotting.plot_model_selection(selection)
    lines = ax.get_lines()
    assert len(lines) == 2 * 3  # two families × BIC, AIC, ICL
    bic_full = next(line for line in lines if line.get_label() == "BIC (Gaussian)")
    expected = [c.bic for c in selection.candidates if c.family == "Gaussian"]
    np.testing.assert_allclose(bic_full.get_ydata(), expected)
    (star,) = ax.collections
    np.testing.assert_allclose(star.get_offsets()[0], [selection.best.size, selection.best.bic])
    assert "best by BIC" in star.get_label()
    assert_rendered(ax.figure, tmp_path / "selection.png")


def test_model_selection_with_the_elbo(seed_points, tmp_path: Path) -> None:
    selection = mx.select_model(
        seed_points, [1, 2, 3], inference="vb", criterion="elbo", random_state=0, max_iter=50
    )
    ax = plotting.plot_model_selection(selection, criteria=["bic", "elbo"])
    twins = [other for other in ax.figure.axes if other is not ax]
    assert len(twins) == 1  # the ELBO on its own y-axis
    np.testing.assert_allclose(twins[0].get_lines()[0].get_ydata(), [c.elbo for c in selection.candidates])
    assert_rendered(ax.figure, tmp_path / "elbo.png")
    em_selection = mx.select_model(seed_points, [1, 2], random_state=0)
    with pytest.raises(ValueError, match="ELBO exists only for VB fits"):
        plotting.plot_model_selection(em_selection, criteria=["elbo"])
    with pytest.raises(ValueError, match="criteria must be"):
        plotting.plot_model_selection(em_selection, criteria=["likelihood"])


# ---------------------------------------------------------------------------------------------- means
def test_bernoulli_component_images(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pictures = np.array([np.eye(4).ravel(), np.fliplr(np.eye(4)).ravel(), np.full(16, 0.5)])
    x = (rng.random((300, 16)) < 0.05 + 0.9 * pictures[rng.integers(0, 3, 300)]).astype(float)
    model = fit_quietly(mx.Mixture("bernoulli", 3, n_init=3, random_state=0), x)
    figure = plotting.plot_component_images(model, (4, 4))
    images = [axis.get_images()[0] for axis in figure.axes if axis.get_images()]
    assert len(images) == 3
    shown = np.argsort(-model.weights_, kind="stable")
    for image, k in zip(images, shown, strict=True):
        np.testing.assert_array_equal(image.get_array(), model.components_.probs[k].reshape(4, 4))
        assert image.get_clim() == (0.0, 1.0)
    assert_rendered(figure, tmp_path / "images.png")
    with pytest.raises(ValueError, match=r"image_shape \(3, 4\) holds 12 pixels but the model has 16"):
        plotting.plot_component_images(model, (3, 4))
    with pytest.raises(ValueError, match="titles has 1 entries for 3 images"):
        plotting.plot_component_images(model, (4, 4), titles=["one"])


def test_categorical_heatmap(tmp_path: Path) -> None:
    x = family_data("categorical")
    model = fit_quietly(mx.Mixture("categorical", 2, random_state=0), x)
    ax = plotting.plot_component_heatmap(model)
    (image,) = ax.get_images()
    probs = model.components_.probs  # (K, D, C)
    np.testing.assert_array_equal(image.get_array(), probs.reshape(probs.shape[0], -1))
    assert len(ax.get_lines()) == probs.shape[1] - 1  # separators between features
    assert_rendered(ax.figure, tmp_path / "categorical.png")
    with pytest.raises(ValueError, match="categorical probabilities are drawn by plot_component_heatmap"):
        plotting.plot_component_images(model, (2, 3))


def test_poisson_heatmap_shows_rates(tmp_path: Path) -> None:
    x = family_data("poisson")
    model = fit_quietly(mx.Mixture("poisson", 2, random_state=0), x)
    ax = plotting.plot_component_heatmap(model)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), model.components_.rate)
    assert_rendered(ax.figure, tmp_path / "poisson.png")


# ---------------------------------------------------------------------------------------------- HMM
@pytest.fixture(scope="module")
def regimes() -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(1)
    states = np.repeat([0, 1, 0, 1, 0, 1], 40)
    return rng.normal(np.array([0.0, 5.0])[states], 1.0)[:, None], [120, 120]


def test_hmm_states_as_bands(regimes, tmp_path: Path) -> None:
    x, lengths = regimes
    model = fit_quietly(mx.HMM("gaussian", 2, random_state=0), x, lengths=lengths)
    ax = plotting.plot_hmm_states(model, x, lengths=lengths)
    path = model.predict(x, lengths=lengths)
    runs = 1 + int(np.count_nonzero(np.diff(path)))
    bands = [c for c in ax.collections if c.get_label().startswith("state")]
    assert len(bands) == len(np.unique(path))
    assert sum(len(band.get_paths()) for band in bands) == runs
    series = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert [len(line.get_xdata()) for line in series] == lengths  # no line across the boundary
    assert_rendered(ax.figure, tmp_path / "hmm.png")


def test_hmm_states_given_and_checked(regimes) -> None:
    x, lengths = regimes
    model = fit_quietly(mx.HMM("gaussian", 2, random_state=0), x, lengths=lengths)
    states = np.zeros(x.shape[0], dtype=int)
    states[100:] = 1
    ax = plotting.plot_hmm_states(model, x, states=states)
    assert sorted(len(c.get_paths()) for c in ax.collections) == [1, 1]
    with pytest.raises(ValueError, match=r"states must lie in \[0, 2\)"):
        plotting.plot_hmm_states(model, x, states=states + 1)
    with pytest.raises(ValueError, match=r"states must be integers of shape \(240,\)"):
        plotting.plot_hmm_states(model, x, states=states[:10])
    with pytest.raises(ValueError, match="lengths sum to 10"):
        plotting.plot_hmm_states(model, x, lengths=[10])


# ---------------------------------------------------------------------------------------------- overview
@pytest.mark.parametrize("kind", ["gaussian", "bernoulli", "poisson", "categorical", "hmm"])
def test_plot_fit_renders(kind: str, regimes, tmp_path: Path) -> None:
    lengths = None
    if kind == "hmm":
        x, lengths = regimes
        model = fit_quietly(mx.HMM("gaussian", 2, random_state=0), x, lengths=lengths)
    else:
        x = family_data(kind)
        model = fit_quietly(mx.Mixture(kind, 2, random_state=0), x)
    figure = plotting.plot_fit(model, x, lengths=lengths)
    main, curve = figure.axes[:2]
    assert len(curve.get_lines()) == 1
    if kind == "gaussian":
        assert len(main.patches) == 2 * 3
    elif kind != "hmm":
        assert len(main.get_images()) == 1
    assert_rendered(figure, tmp_path / f"{kind}.png")


def test_missing_matplotlib_says_how_to_install(monkeypatch, seed_points) -> None:
    model = fit_quietly(mx.Mixture("full", 2, random_state=0), seed_points)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import now fails
    with pytest.raises(ImportError, match=r'pip install "mixtures\[plot\]"'):
        plotting.plot_objective(model)


def test_features_are_named_by_the_columns_the_model_saw() -> None:
    pandas = pytest.importorskip("pandas")
    x, _ = seed_data(200)
    frame = pandas.DataFrame(x, columns=["height", "width"])
    model = mx.Mixture("full", 2, random_state=0).fit(frame)
    ax = plotting.plot_gaussian_components(model, x)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("height", "width")  # from feature_names_in_
    ax = plotting.plot_gaussian_components(model, x, feature_names=["a", "b"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")  # given names win
    with pytest.raises(ValueError, match="feature_names has 3 entries but the data have 2 features"):
        plotting.plot_gaussian_components(model, x, feature_names=["a", "b", "c"])
    hmm = mx.HMM("full", 2, random_state=0).fit(x)
    ax = plotting.plot_hmm_states(hmm, x, feature_names=["height", "width"])
    assert {"height", "width"} <= set(ax.get_legend_handles_labels()[1])
    ax = plotting.plot_hmm_states(hmm, x, features=[1], feature_names=["height", "width"])
    assert ax.get_ylabel() == "width"
