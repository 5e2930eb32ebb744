"""What a new user meets in the first hour: a notice before a long compile, a light ``import
mixtures``, readable results and helpful errors for other libraries' attribute names."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import warnings

import numba
import numpy as np
import pytest

import mixtures as mx
from mixtures import compilation
from mixtures.compilation import COMPILE_NOTICE, compile_notice
from mixtures.models.summary import summary
from mixtures.plotting import plot_gaussian_components
from mixtures.testing import check_family


# ---------------------------------------------------------------------------------------------- compile
def fresh_kernel() -> numba.core.registry.CPUDispatcher:
    """A compiled function no cache holds (defined anew, not cached to disk)."""

    @numba.njit(cache=False)
    def add_one(values):
        return values + 1.0

    return add_one


def test_a_compilation_is_announced_once_per_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(compilation._Notice, "shown", False)
    kernel = fresh_kernel()
    with caplog.at_level(logging.WARNING, logger="mixtures"):
        with compile_notice(kernel):
            kernel(np.zeros(2))
        assert [r.getMessage() for r in caplog.records] == [COMPILE_NOTICE]
        other = fresh_kernel()
        with compile_notice(other):  # another compilation: the process was told already
            other(np.zeros(2))
    assert len(caplog.records) == 1


def test_a_compiled_or_cached_kernel_is_not_announced(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    kernel = fresh_kernel()
    kernel(np.zeros(2))  # compiled already, as a kernel loaded from the cache
    monkeypatch.setattr(compilation._Notice, "shown", False)
    with caplog.at_level(logging.WARNING, logger="mixtures"), compile_notice(kernel):
        kernel(np.zeros(2))
    assert caplog.records == [] and not compilation._Notice.shown


# ---------------------------------------------------------------------------------------------- import
HEAVY_MODULES = (
    "hypothesis",
    "matplotlib",
    "dask",
    "numba",
    "scipy.special",
    "mixtures.cli",
    "mixtures.testing",
)


def test_import_mixtures_leaves_the_heavy_modules_for_later() -> None:
    """``import mixtures`` must stay light: each of these loads only when its feature is used."""
    code = f"import sys, mixtures; print([m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_lazy_submodules_are_attributes_listed_in_dir_and_all() -> None:
    assert mx.testing.check_family is check_family
    assert mx.plotting.plot_gaussian_components is plot_gaussian_components
    assert {"testing", "plotting", "compat"} <= set(dir(mx)) & set(mx.__all__)
    for name in mx.__all__:  # every advertised name resolves
        getattr(mx, name)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        mx.nonexistent  # noqa: B018


# ---------------------------------------------------------------------------------------------- results
def blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2))])


def fitted(family: object, x: np.ndarray, n_components: int = 2) -> mx.Mixture:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        return mx.Mixture(family, n_components, random_state=0).fit(x)


def shown_values(text: str, name: str) -> np.ndarray:
    """The numbers ``repr`` printed after ``name=array(``."""
    body = text.split(f"{name}=array(")[1].split(")")[0].split("shape=")[0]
    return np.array([float(v) for v in re.findall(r"-?\d+\.?\d*(?:e[-+]\d+)?", body)])


def test_components_repr_shows_the_conventional_parameters() -> None:
    components = fitted("full", blobs()).components_
    text = repr(components)
    assert text.startswith("GaussianComponents(n_components=2, family=Gaussian,")
    assert "natural" not in text
    np.testing.assert_allclose(shown_values(text, "mean"), components.mean.ravel(), atol=1e-4)
    np.testing.assert_allclose(shown_values(text, "covariance"), components.covariance.ravel(), atol=1e-4)


@pytest.mark.parametrize(
    "family, data, names",
    [
        ("diag", blobs(), ("mean", "variance")),
        ("spherical", blobs(), ("mean", "variance")),
        ("tied", blobs(), ("mean", "covariance")),
        ("bernoulli", (blobs() > 0).astype(float), ("probs",)),
        ("poisson", np.abs(blobs()).round(), ("rate",)),
        ("categorical", (blobs() > 0).astype(int), ("probs",)),
        (mx.extra.Exponential(), np.abs(blobs()) + 0.1, ("mean_parameters",)),  # no conventional names
    ],
)
def test_every_family_shows_its_own_parameters(family: object, data: np.ndarray, names: tuple) -> None:
    components = fitted(family, data).components_
    assert tuple(components.conventional_parameters()) == names
    text = repr(components)
    for name in names:
        expected = np.asarray(getattr(components, name))
        np.testing.assert_allclose(shown_values(text, name), expected.ravel(), atol=1e-4)


def test_large_arrays_are_printed_in_part() -> None:
    rng = np.random.default_rng(0)
    components = fitted("diag", rng.normal(size=(200, 50)), 3).components_
    text = repr(components)
    assert "..." in text and "shape=(3, 50)" in text and len(text.splitlines()) < 12


def test_independent_components_name_their_parts() -> None:
    x = np.c_[blobs(), np.abs(blobs()[:, :1]).round()]
    components = fitted(mx.Independent((mx.Gaussian(), [0, 1]), (mx.Poisson(), [2])), x).components_
    assert tuple(components.conventional_parameters()) == (
        "parts[0].mean",
        "parts[0].covariance",
        "parts[1].rate",
    )


def test_print_of_a_fitted_model_is_its_settings() -> None:
    assert repr(fitted("full", blobs())) == "Mixture(family='full', n_components=2, random_state=0)"


# ---------------------------------------------------------------------------------------------- summary
def test_summary_is_the_command_line_summary() -> None:
    x = blobs()
    model = fitted("full", x)
    assert model.summary(x) == summary(model, x)
    text = model.summary(x)
    assert "Mixture of 2 Gaussian components, fitted by EM to 200 rows × 2 features" in text
    assert f"BIC: {model.bic(x):.6g}" in text
    without_data = model.summary()
    assert "BIC" not in without_data and "to data of 2 features" in without_data
    assert without_data.splitlines()[-2:] == text.splitlines()[-2:]  # the same table


def test_hmm_summary_with_sequences_and_with_mixture_emissions() -> None:
    x = blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        plain = mx.HMM("full", 2, random_state=0, max_iter=20).fit(x, lengths=[50, 150])
        mixed = mx.HMM("diag", 2, n_mix=2, random_state=0, max_iter=5).fit(x)
    text = plain.summary(x, lengths=[50, 150])
    assert "in 2 sequence(s)" in text and "transition matrix" in text
    assert text == summary(plain, x, np.array([50, 150]))
    rows = mixed.summary().splitlines()
    assert rows[0].startswith("HMM of 2 DiagonalGaussian states")
    header = rows.index("    state    start  component   weight  parameters")
    table = [row.split() for row in rows[header + 1 : header + 5]]
    weights = [float(row[3] if len(row) > 2 and row[2] == "0" else row[1]) for row in table]
    np.testing.assert_allclose(weights, mixed.mix_weights_.ravel(), atol=1e-3)


def test_summary_needs_a_fit() -> None:
    with pytest.raises(mx.NotFittedError):
        mx.Mixture("full", 2).summary()


# ---------------------------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    "model, name, where",
    [
        (mx.Mixture("full", 2), "means_", "components_.mean"),
        (mx.Mixture("full", 2), "covariances_", "components_.covariance"),
        (mx.Mixture("full", 2), "precisions_", "components_.precision"),
        (mx.Mixture("full", 2), "weight_concentration_", "posterior_.weights.concentration"),
        (mx.HMM("full", 2), "covars_", "components_.covariance"),
        (mx.HMM("full", 2), "means_", "components_.mean"),
        (mx.HMM("poisson", 2), "lambdas_", "components_.rate"),
        (mx.HMM("categorical", 2), "emissionprob_", "components_.probs"),
        (mx.HMM("full", 2), "n_components", "n_states"),
        (mx.HMM("full", 2), "monitor_", "lower_bounds_"),
    ],
)
def test_other_libraries_names_say_where_the_value_lives(model: object, name: str, where: str) -> None:
    with pytest.raises(AttributeError, match=re.escape(where)) as error:
        getattr(model, name)
    assert f"has no attribute {name!r}" in str(error.value) and "mixtures.compat." in str(error.value)
    assert not hasattr(model, name)


def test_real_attributes_are_never_shadowed() -> None:
    x = blobs()
    model = fitted("full", x)
    assert model.weights_ is model.__dict__["weights_"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        hmm = mx.HMM("full", 2, random_state=0, max_iter=5).fit(x)
    assert hmm.startprob_.shape == (2,) and hmm.transmat_.shape == (2, 2)
    with pytest.raises(AttributeError, match=r"^'Mixture' object has no attribute 'startprob_'$"):
        model.startprob_  # noqa: B018
