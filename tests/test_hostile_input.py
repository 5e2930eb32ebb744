"""Hostile input: every setting, argument and data set that used to give a silent wrong result or
an unhelpful crash gets a ValueError naming the argument and the problem (or the right answer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mixtures as mx
from mixtures.families.extra import Exponential, NegativeBinomial

from helpers import family_data, quiet, seed_data

pd = pytest.importorskip("pandas")

X, _ = seed_data(300)
COUNTS = family_data("poisson", 200)
SYMBOLS = family_data("categorical", 200)


# ---------------------------------------------------------------------------------------------- warm start
@pytest.mark.parametrize(
    ("model", "data", "change", "message"),
    [
        (mx.Mixture("full", 2), X, {"n_components": 3}, "n_components was 2 at that fit and is 3 now"),
        (mx.HMM("full", 2), X, {"n_states": 3}, "n_states was 2 at that fit and is 3 now"),
        (mx.Mixture("full", 2), X, {"family": "diag"}, "family was Gaussian.* is DiagonalGaussian"),
        (mx.HMM("full", 2), X, {"family": "spherical"}, "family was Gaussian.* is SphericalGaussian"),
        (
            mx.Mixture(mx.Categorical(), 2), SYMBOLS, {"family": mx.Categorical(n_categories=5)},
            "family.n_categories was 3 at that fit and is 5 now",
        ),
        (
            mx.Mixture("full", 2), X, {"family": mx.Gaussian(reg_covar=1e-2)},
            "family.reg_covar was 1e-06 at that fit and is 0.01 now",
        ),
        (mx.Mixture("full", 2, inference="vb"), X, {"inference": "em"}, "inference was 'vb'"),
        (mx.HMM("poisson", 2), COUNTS, {"inference": "vb"}, "inference was 'em'"),
        (
            mx.Mixture("full", 2, prior=mx.NormalWishart(dof=5)), X, {"prior": None},
            "prior was NormalWishart.* is None",
        ),
        (
            mx.Mixture("full", 2, prior=mx.NormalWishart(dof=5)), X,
            {"prior": mx.NormalWishart(dof=9)},
            "prior.dof was",
        ),
        (
            mx.Mixture("full", 2, inference="vb"), X, {"weight_prior": mx.StickBreaking()},
            "weight_prior was DirichletWeights.* is StickBreaking",
        ),
        (
            mx.HMM("full", 2, inference="vb"), X,
            {"transition_prior": mx.DirichletWeights(concentration=5.0)},
            "transition_prior.concentration was",
        ),
    ],
)
def test_warm_start_refuses_settings_that_changed_the_fit(model, data, change, message) -> None:
    quiet(model.set_params(random_state=0, warm_start=True).fit, data)
    before = model.components_.natural.copy()
    model.set_params(**change)
    with pytest.raises(ValueError, match=message) as raised:
        quiet(model.fit, data)
    assert "warm_start=False" in str(raised.value)
    np.testing.assert_array_equal(model.components_.natural, before)  # the fit is untouched
    model.set_params(warm_start=False)
    quiet(model.fit, data)  # the way out works


@pytest.mark.parametrize(
    "model",
    [
        mx.Mixture("full", 2, inference="vb"),
        mx.Mixture("full", 2, prior=mx.NormalWishart(dof=5)),
        mx.Mixture(mx.Categorical(), 2),
        mx.HMM("full", 2, inference="vb", transition_prior=mx.DirichletWeights(concentration=2.0)),
        mx.Mixture(mx.Independent((mx.Categorical(), [0]), (mx.Gaussian(), [1])), 2),
    ],
)
def test_warm_start_with_unchanged_settings_continues(model) -> None:
    data = np.c_[SYMBOLS[:, :1], X[:200, :1]] if isinstance(model.family, mx.Independent) else (
        SYMBOLS if isinstance(model.family, mx.Categorical) else X
    )
    quiet(model.set_params(random_state=0, warm_start=True, max_iter=2).fit, data)
    first = model.lower_bound_
    model.set_params(family=model.family)  # equal settings given anew are no change
    quiet(model.fit, data)
    assert model.lower_bounds_[0] == pytest.approx(first, rel=1e-9)


def test_warm_start_of_a_loaded_model_checks_its_size(tmp_path: Path) -> None:
    model = quiet(mx.HMM("full", 2, random_state=0).fit, X)
    model.save(tmp_path / "m.npz")
    loaded = mx.load(tmp_path / "m.npz").set_params(warm_start=True, n_states=3)
    with pytest.raises(ValueError, match="n_states was 2 at that fit and is 3 now"):
        quiet(loaded.fit, X)


def test_warm_start_must_be_a_boolean() -> None:
    with pytest.raises(ValueError, match="warm_start must be True or False; got 'yes'"):
        mx.Mixture("full", 2, warm_start="yes").fit(X)


# ---------------------------------------------------------------------------------------------- DataFrames
FRAME = pd.DataFrame(X, columns=["a", "b"])


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score"])
def test_reordered_columns_are_matched_by_name(method: str) -> None:
    model = mx.Mixture("full", 3, random_state=0).fit(FRAME)
    expected = getattr(model, method)(FRAME)
    np.testing.assert_allclose(getattr(model, method)(FRAME[["b", "a"]]), expected)
    np.testing.assert_allclose(getattr(model, method)(X), expected)  # arrays: by position


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score", "decode"])
def test_hmm_reordered_columns_are_matched_by_name(method: str) -> None:
    model = quiet(mx.HMM("diag", 3, random_state=0).fit, FRAME, lengths=[100, 200])
    expected = getattr(model, method)(FRAME, lengths=[100, 200])
    got = getattr(model, method)(FRAME[["b", "a"]], lengths=[100, 200])
    if method == "decode":
        assert got[0] == pytest.approx(expected[0]) and np.array_equal(got[1], expected[1])
    else:
        np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["a", "c"], r"names unseen at fit: 'c'; names seen at fit, now missing: 'b'"),
        (["a", "b", "c"], r"names unseen at fit: 'c'"),
        (["a"], r"names seen at fit, now missing: 'b'"),
    ],
)
def test_unknown_or_missing_column_names_are_refused(columns, message: str) -> None:
    model = mx.Mixture("full", 2, random_state=0).fit(FRAME)
    frame = pd.DataFrame(np.ones((4, len(columns))), columns=columns)
    for method in (model.predict, model.predict_proba, model.score_samples, model.score):
        with pytest.raises(ValueError, match=message):
            method(frame)
    with pytest.raises(ValueError, match=message):
        model.partial_fit(frame)


def test_numeric_column_names_are_matched_too() -> None:
    frame = pd.DataFrame(X)  # columns 0 and 1
    model = mx.Mixture("full", 3, random_state=0).fit(frame)
    assert list(model.feature_names_in_) == ["0", "1"]
    np.testing.assert_array_equal(model.predict(frame[[1, 0]]), model.predict(frame))


def test_repeated_column_names_are_refused() -> None:
    frame = pd.DataFrame(np.c_[X, X[:, :1]], columns=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"X has two columns named 'a' \(columns 0 and 2\)"):
        mx.Mixture("full", 2).fit(frame)
    model = mx.Mixture("full", 3, random_state=0).fit(np.c_[X, X[:, :1]])
    with pytest.raises(ValueError, match="two columns named 'a'"):
        model.partial_fit(frame)


def test_continuing_fits_find_their_columns_by_name() -> None:
    model = quiet(mx.Mixture("full", 3, random_state=0, max_iter=3).fit, FRAME)
    reference = quiet(mx.Mixture("full", 3, random_state=0, max_iter=3).fit, FRAME)
    quiet(model.set_params(warm_start=True).fit, FRAME[["b", "a"]])
    quiet(reference.set_params(warm_start=True).fit, FRAME)
    np.testing.assert_allclose(model.components_.natural, reference.components_.natural)
    assert list(model.feature_names_in_) == ["a", "b"]
    model.partial_fit(FRAME[["b", "a"]])
    reference.partial_fit(FRAME)
    np.testing.assert_allclose(model.components_.natural, reference.components_.natural)
    assert list(model.feature_names_in_) == ["a", "b"]


def test_a_new_fit_on_an_array_forgets_the_column_names() -> None:
    model = mx.Mixture("full", 2, random_state=0).fit(FRAME)
    model.fit(X)
    assert not hasattr(model, "feature_names_in_")
    model.predict(pd.DataFrame(X, columns=["p", "q"]))  # no names at fit: by position


# ---------------------------------------------------------------------------------------- missing values
@pytest.mark.parametrize("dtype", ["Int64", "Float64", "boolean"])
def test_pandas_missing_values_are_named_with_their_position(dtype: str) -> None:
    values = [1, 0, None, 1] if dtype != "Float64" else [1.5, 0.5, None, 1.0]
    frame = pd.DataFrame({"a": [0.1, 0.2, 0.3, 0.4], "b": pd.array(values, dtype=dtype)})
    message = r"X contains a missing value \(pd.NA\) at row 2, column 1 \('b'\)"
    with pytest.raises(ValueError, match=message):
        mx.Mixture("diag", 1).fit(frame)
    model = mx.Mixture("diag", 1).fit(frame.dropna().astype(float))
    with pytest.raises(ValueError, match=message):
        model.predict(frame)


def test_none_in_an_object_column_is_a_missing_value() -> None:
    frame = pd.DataFrame({"a": [0.1, 0.2, 0.3], "b": np.array([1.0, None, 2.0], dtype=object)})
    with pytest.raises(ValueError, match=r"missing value \(None\) at row 1, column 1"):
        mx.Mixture("diag", 1).fit(frame)


def test_a_non_number_in_an_object_array_is_named() -> None:
    data = np.array([[0.1, 0.2], [0.3, "x"]], dtype=object)
    with pytest.raises(ValueError, match=r"X must contain numbers; 'x' at row 1, column 1 is not"):
        mx.Mixture("diag", 1).fit(data)


# ------------------------------------------------------------------------------------- Categorical sizes
@pytest.mark.parametrize("symbol", [10**6, 2**40])
def test_an_inferred_category_count_is_capped(symbol: int) -> None:
    data = np.array([[0.0], [1.0], [float(symbol)]])
    message = r"largest symbol is \d+ \(X\[2, 0\]\); inferred counts are capped at 1000"
    with pytest.raises(ValueError, match=message) as raised:
        mx.Mixture(mx.Categorical(), 2).fit(data)
    assert "n_categories" in str(raised.value)


def test_the_cap_allows_a_thousand_categories() -> None:
    data = np.array([[0.0], [1.0], [999.0]])
    assert mx.Mixture(mx.Categorical(), 2).fit(data).family_.n_categories == 1000


def test_a_huge_explicit_category_count_is_refused_before_allocating() -> None:
    data = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    message = r"n_categories=1000000000000 on 2 feature\(s\) needs 2,000,000,000,000"
    with pytest.raises(ValueError, match=message):
        mx.Mixture(mx.Categorical(n_categories=10**12), 2).fit(data)
    with pytest.raises(ValueError, match="one-hot statistics per row"):
        quiet(mx.HMM(mx.Categorical(n_categories=2**21), 2).fit, data)


def test_a_categorical_part_of_a_product_is_capped_too() -> None:
    data = np.array([[0.0, 0.5], [1.0, 0.1], [5000.0, 0.3]])
    family = mx.Independent((mx.Categorical(), [0]), (mx.Gaussian(), [1]))
    with pytest.raises(ValueError, match="inferred counts are capped"):
        mx.Mixture(family, 2).fit(data)


# ---------------------------------------------------------------------------------------------- random_state
@pytest.mark.parametrize("value", ["abc", 1.5, -1, True, [1, 2], object()])
@pytest.mark.parametrize("model", [mx.Mixture("full", 2), mx.HMM("full", 2)])
def test_a_bad_random_state_is_named(model, value) -> None:
    with pytest.raises(ValueError, match="random_state must be None, a non-negative integer"):
        model.set_params(random_state=value).fit(X)


def test_random_states_like_scikit_learns_are_accepted() -> None:
    by_int = mx.Mixture("full", 3, random_state=3).fit(X)
    by_numpy_int = mx.Mixture("full", 3, random_state=np.int64(3)).fit(X)
    np.testing.assert_array_equal(by_int.weights_, by_numpy_int.weights_)
    mx.Mixture("full", 3, random_state=np.random.RandomState(0)).fit(X)
    mx.Mixture("full", 3, random_state=np.random.default_rng(0)).fit(X)
    model = mx.Mixture("full", 3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="random_state"):
        model.set_params(random_state=-5).sample(3)


# -------------------------------------------------------------------------------------- weights, lengths
@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.full(300, 1e308), "sample_weight sums to more than float64 can hold"),
        (["a"] * 300, "sample_weight must contain numbers, not strings"),
        (["1.0"] * 300, "sample_weight must contain numbers, not strings"),
        (np.ones(300, dtype=complex), "sample_weight must be real"),
        (np.array([1.0, "x"] * 150, dtype=object), "sample_weight must contain numbers; 'x' at index 1"),
        (np.array([1.0, None] * 150, dtype=object), r"sample_weight contains NaN .*index 1"),
        (pd.Series(pd.array([1, None] * 150, dtype="Int64")), r"sample_weight contains NaN .*index 1"),
    ],
)
def test_bad_sample_weights_are_named(weights, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mx.Mixture("full", 2).fit(X, sample_weight=weights)
    with pytest.raises(ValueError, match=message):
        mx.HMM("full", 2).fit(X, sample_weight=weights)
    model = mx.Mixture("full", 2, random_state=0).fit(X)
    with pytest.raises(ValueError, match=message):
        model.score(X, sample_weight=weights)


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        (np.array([301, 2**64 - 1], dtype=np.uint64), r"lengths\[0\] = 301 is more than the 300 rows"),
        (np.array([2**64 - 200, 500], dtype=np.uint64), r"lengths\[0\] = 18446744073709551416 is more"),
        ([1e20, 100], r"lengths\[0\] = 1e\+20 is more than the 300 rows"),
        ([150.0, np.nan], "lengths must contain whole numbers; got nan at index 1"),
        ([True, False], "lengths must contain whole numbers"),
        (["150", "150"], "lengths must contain whole numbers"),
        ([[150], [150, 0]], "lengths could not be read"),
    ],
)
def test_bad_lengths_are_named(lengths, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mx.HMM("full", 2).fit(X, lengths=lengths)


def test_sequence_weights_are_checked_like_sample_weights() -> None:
    with pytest.raises(ValueError, match="sequence_weight must contain numbers, not strings"):
        mx.HMM("full", 2).fit(X, lengths=[100, 200], sequence_weight=["a", "b"])
    with pytest.raises(ValueError, match="sequence_weight sums to more than float64 can hold"):
        mx.HMM("full", 2).fit(X, lengths=[100, 200], sequence_weight=[1e308, 1e308])
    with pytest.raises(ValueError, match="sample_weight × sequence_weight contains NaN or inf"):
        mx.HMM("full", 2).fit(X, lengths=[100, 200], sample_weight=np.full(300, 1e200),
                              sequence_weight=[1e200, 1.0])


def test_init_arrays_name_themselves() -> None:
    with pytest.raises(ValueError, match="init responsibilities must contain numbers, not strings"):
        mx.Mixture("full", 2, init=np.full((300, 2), "a")).fit(X)
    components = mx.Gaussian().components_from(np.zeros((2, 2)), np.stack([np.eye(2)] * 2))
    with pytest.raises(ValueError, match="init weights must contain numbers"):
        mx.Mixture("full", 2, init=(["x", "y"], components)).fit(X)
    with pytest.raises(ValueError, match="init transmat must contain numbers"):
        mx.HMM("full", 2, init=([0.5, 0.5], [["a", "b"], ["c", "d"]], components)).fit(X)


# ---------------------------------------------------------------------------------------------- data scale
@pytest.mark.parametrize("family", [mx.Poisson(), NegativeBinomial()])
def test_counts_that_overflow_blame_the_data(family) -> None:
    data = COUNTS.copy()
    data[7, 1] = 1e308
    message = r"X's scale overflows float64 in \w+\.log_base_measure"
    with pytest.raises(ValueError, match=message) as raised:
        quiet(mx.Mixture(family, 2, random_state=0).fit, data)
    assert "largest absolute value is 1e+308, at row 7, column 1" in str(raised.value)
    assert "Rescale X" in str(raised.value)


def test_weighted_sums_that_overflow_blame_the_data_and_weights() -> None:
    data, w = np.full((50, 1), 1e300), np.full(50, 6e297)
    message = "the weighted sums of the sufficient statistics over rows 0 to 49 of X overflow"
    with pytest.raises(ValueError, match=message) as raised:
        quiet(mx.Mixture(Exponential(), 2, init="random", random_state=0).fit, data, sample_weight=w)
    assert "largest sample weight there is 6e+297" in str(raised.value)


def test_a_gaussian_either_fits_huge_data_or_blames_its_scale() -> None:
    for scale in (1e200, 1e300):
        try:
            mx.Mixture("full", 3, random_state=0).fit(X * scale)
        except ValueError as error:
            assert "X's scale overflows float64" in str(error) and "Rescale X" in str(error)


class BrokenStatistics(mx.ExponentialFamily):
    """A family with a bug: its statistics are NaN for values above 5, however small the data."""

    def sufficient_statistics(self, x):  # type: ignore[no-untyped-def]
        return np.where(x > 5, np.nan, x)

    def log_base_measure(self, x):  # type: ignore[no-untyped-def]
        return -0.5 * (x**2).sum(1)

    def log_partition(self, natural):  # type: ignore[no-untyped-def]
        return 0.5 * (natural**2).sum(1)

    def natural_to_mean(self, natural):  # type: ignore[no-untyped-def]
        return natural

    def mean_to_natural(self, mean):  # type: ignore[no-untyped-def]
        return mean


def test_a_family_bug_is_still_blamed_on_the_family() -> None:
    message = r"BrokenStatistics.sufficient_statistics returned nan at index \(\d+, \d\) \(for row \d+ of X"
    with pytest.raises(ValueError, match=message) as raised:
        mx.Mixture(BrokenStatistics(), 2).fit(X)
    assert "scale" not in str(raised.value)


# ---------------------------------------------------------------------------------------------- partial_fit
@pytest.mark.parametrize(
    ("family", "data", "new_family", "new_data"),
    [
        ("full", X, "diag", X),
        (mx.Categorical(), SYMBOLS, mx.Categorical(n_categories=4), SYMBOLS),
        ("poisson", COUNTS, "categorical", COUNTS.clip(0, 5)),
    ],
)
def test_partial_fit_after_a_change_of_family_starts_a_new_model(family, data, new_family, new_data) -> None:
    model = quiet(mx.Mixture(family, 2, random_state=0).fit, data)
    model.set_params(family=new_family).partial_fit(new_data)
    fresh = mx.Mixture(new_family, 2, random_state=0).partial_fit(new_data)
    assert type(model.family_) is type(fresh.family_)
    assert model.components_.natural.shape == fresh.components_.natural.shape
    np.testing.assert_allclose(model.components_.natural, fresh.components_.natural)


def test_dask_sample_weights_are_checked_alike() -> None:
    da = pytest.importorskip("dask.array")
    rows = da.from_array(X, chunks=(100, 2))
    with pytest.raises(ValueError, match="sample_weight sums to more than float64 can hold"):
        mx.Mixture("full", 2).fit(rows, sample_weight=da.full(300, 1e308, chunks=100))
    with pytest.raises(ValueError, match="sample_weight must contain real numbers"):
        mx.Mixture("full", 2).fit(rows, sample_weight=da.from_array(np.full(300, "a"), chunks=100))


def test_dask_rows_that_overflow_blame_the_data() -> None:
    da = pytest.importorskip("dask.array")
    data = COUNTS.copy()
    data[150, 0] = 1e308
    with pytest.raises(ValueError, match=r"X's scale overflows float64 .* at row 150, column 0"):
        quiet(mx.Mixture("poisson", 2, random_state=0).fit, da.from_array(data, chunks=(100, 2)))


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: mx.Gaussian(reg_covar="x"), "reg_covar"),
        (lambda: mx.Gaussian(reg_covar=True), "reg_covar"),
        (lambda: mx.Gaussian(origin="a"), "origin"),
        (lambda: mx.DiagonalGaussian(feature_scale=["a"]), "feature_scale"),
        (lambda: mx.Bernoulli(min_prob="x"), "min_prob"),
        (lambda: mx.Poisson(min_rate="x"), "min_rate"),
        (lambda: mx.Categorical(min_prob=True), "min_prob"),
        (lambda: mx.NormalGamma(rate="a"), "NormalGamma.rate"),
        (lambda: mx.Dirichlet(concentration="x"), "Dirichlet.concentration"),
        (lambda: mx.StickBreaking(concentration="a"), "StickBreaking.concentration"),
    ],
)
def test_family_and_prior_settings_that_are_not_numbers_are_named(build, name: str) -> None:
    """Settings given as strings (or bools) are refused by name, not with numpy's TypeError or
    "could not convert string to float"."""
    with pytest.raises(ValueError, match=name):
        build()


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (mx.Mixture("full", 2, prior=mx.NormalWishart(dof="a")), "NormalWishart.dof"),
        (mx.Mixture("full", 2, prior=mx.NormalWishart(scale="ab")), "NormalWishart.scale"),
        (mx.Mixture("full", 2, prior=mx.NormalWishart(mean_precision="b")), "NormalWishart.mean_precision"),
    ],
)
def test_hyperparameters_that_are_not_numbers_are_named(model, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        quiet(model.fit, X)
