"""Model files round-trip every model bit for bit: settings, fitted attributes, priors and
posteriors, predictions, and the file itself when the loaded model is saved again."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

import mixtures as mx
import mixtures.io
from mixtures.exceptions import FieldError
from mixtures.families.extra import Exponential as ExtraExponential
from mixtures.families.extra import GammaKnownShape, GammaRate, NegativeBinomial, VonMises
from mixtures.latent.chain_of_mixtures import MixtureHMMPosterior

from helpers import Exponential, family_data

pytestmark = [
    pytest.mark.filterwarnings("ignore::mixtures.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::mixtures.EmptyComponentWarning"),
    pytest.mark.filterwarnings("ignore::mixtures.UnvisitedStateWarning"),
]


# ----------------------------------------------------------------------------- helpers
def assert_same(first: Any, second: Any, where: str = "value") -> None:
    """Equal values of the same types, arrays with equal dtypes and bits, recursively."""
    assert type(first) is type(second), f"{where}: {type(first)} vs {type(second)}"
    if isinstance(first, np.ndarray):
        assert first.dtype == second.dtype, f"{where}: dtype {first.dtype} vs {second.dtype}"
        assert first.shape == second.shape, f"{where}: shape {first.shape} vs {second.shape}"
        assert np.array_equal(first, second), f"{where}: values differ"
    elif isinstance(first, np.random.Generator):
        assert_same(first.bit_generator.state, second.bit_generator.state, f"{where}.state")
    elif isinstance(first, mx.Components):
        assert_same(first.family, second.family, f"{where}.family")
        assert_same(first.natural, second.natural, f"{where}.natural")
    elif attrs.has(type(first)):
        for field in attrs.fields(type(first)):
            assert_same(getattr(first, field.name), getattr(second, field.name), f"{where}.{field.name}")
    elif isinstance(first, tuple | list):
        assert len(first) == len(second), f"{where}: lengths differ"
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            assert_same(a, b, f"{where}[{index}]")
    elif isinstance(first, dict):
        assert first.keys() == second.keys(), f"{where}: keys differ"
        for key in first:
            assert_same(first[key], second[key], f"{where}.{key}")
    elif isinstance(first, mx.ExponentialFamily):  # a user's family without attrs fields
        assert_same(vars(first), vars(second), where)
    else:
        assert first == second, f"{where}: {first!r} vs {second!r}"


def predictions(model: Any, x: np.ndarray) -> dict[str, Any]:
    """Everything a fitted model computes from data (and a sample, seeded by random_state)."""
    out: dict[str, Any] = {"predict": model.predict(x), "predict_proba": model.predict_proba(x)}
    if isinstance(model, mx.HMM):
        out["score"] = model.score(x, lengths=[len(x) // 2, len(x) - len(x) // 2])
        out["decode"] = model.decode(x)
    else:
        out["score_samples"] = model.score_samples(x)
        out["score"] = model.score(x)
    if isinstance(model.random_state, int):  # a seed: sample draws the same both times
        out["sample"] = model.sample(5)
    return out


def assert_round_trip(model: Any, x: np.ndarray | None, directory: Path) -> Any:
    """Save, load, compare everything, save again: the same bytes."""
    first, second = directory / "model.npz", directory / "again.npz"
    model.save(first)
    loaded = mx.load(first)
    assert type(loaded) is type(model)
    assert_same(model.get_params(deep=False), loaded.get_params(deep=False), "params")
    transient = {"_online_owner"}  # rebuilt on load: which fit the online state continues
    expected_state = {k: v for k, v in vars(model).items() if k not in transient}
    assert_same(expected_state, {k: v for k, v in vars(loaded).items() if k not in transient}, "model")
    if "_online_owner" in vars(model):
        assert loaded._online_owner[0] is loaded.components_
    if x is not None:
        assert_same(predictions(model, x), predictions(loaded, x), "predictions")
    loaded.save(second)
    assert first.read_bytes() == second.read_bytes()
    return loaded


# ----------------------------------------------------------------------------- cases
def _positive(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.exponential(np.where(rng.random((n, 1)) < 0.5, 0.5, 4.0), size=(n, 2)) + 1e-3


def _counts(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.negative_binomial(2, np.where(rng.random((n, 1)) < 0.5, 0.2, 0.7), size=(n, 2)).astype(float)


def _angles(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.vonmises(np.where(rng.random((n, 1)) < 0.5, -2.0, 1.0), 4.0, size=(n, 2))


def _mixed(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, size=n)
    real = np.array([[0.0, 0.0], [5.0, -5.0]])[group] + rng.standard_normal((n, 2))
    binary = (rng.random((n, 2)) < np.array([0.2, 0.8])[group][:, None]).astype(float)
    symbols = rng.integers(0, 3, size=(n, 1)).astype(float)
    return np.hstack([real, binary, symbols])


def _independent() -> mx.Independent:
    return mx.Independent((mx.DiagonalGaussian(), [0, 1]), (mx.Bernoulli(), [2, 3]), (mx.Categorical(), [4]))


@attrs.frozen
class FamilyCase:
    name: str
    family: Callable[[], mx.ExponentialFamily]
    data: Callable[[], np.ndarray]
    map_prior: Callable[[], mx.ConjugatePrior] | None  # None: no conjugate prior, EM only


FAMILY_CASES = (
    FamilyCase(
        "gaussian", mx.Gaussian, lambda: family_data("gaussian", 120), lambda: mx.NormalWishart(dof=5.0)
    ),
    FamilyCase("diagonal", mx.DiagonalGaussian, lambda: family_data("diagonal", 120), mx.NormalGamma),
    FamilyCase(
        "spherical", mx.SphericalGaussian, lambda: family_data("spherical", 120), mx.SphericalNormalGamma
    ),
    FamilyCase(
        "tied", mx.TiedGaussian, lambda: family_data("tied", 120), lambda: mx.TiedNormalWishart(dof=5.0)
    ),
    FamilyCase(
        "bernoulli", mx.Bernoulli, lambda: family_data("bernoulli", 120), lambda: mx.Beta(a=2.0, b=2.0)
    ),
    FamilyCase("poisson", mx.Poisson, lambda: family_data("poisson", 120), mx.Gamma),
    FamilyCase(
        "categorical",
        mx.Categorical,
        lambda: family_data("categorical", 120),
        lambda: mx.Dirichlet(concentration=2.0),
    ),
    FamilyCase(
        "multinomial",
        mx.Multinomial,
        lambda: family_data("multinomial", 120),
        lambda: mx.Dirichlet(concentration=2.0),
    ),
    FamilyCase(
        "independent",
        _independent,
        _mixed,
        lambda: mx.IndependentPrior(mx.NormalGamma(), mx.Beta(), mx.Dirichlet(concentration=2.0)),
    ),
    FamilyCase("extra.Exponential", ExtraExponential, _positive, GammaRate),
    FamilyCase("extra.NegativeBinomial", lambda: NegativeBinomial(r=2.0), _counts, None),
    FamilyCase("extra.GammaKnownShape", lambda: GammaKnownShape(shape=1.5), _positive, None),
    FamilyCase("extra.VonMises", VonMises, _angles, None),
)

MIXTURE_INFERENCE: dict[str, Callable[[FamilyCase], dict[str, Any]]] = {
    "em": lambda case: {},
    "map-em": lambda case: {"prior": case.map_prior()},
    "vb-dirichlet": lambda case: {"inference": "vb", "weight_prior": mx.DirichletWeights(concentration=0.5)},
    "vb-stick-breaking": lambda case: {"inference": "vb", "weight_prior": mx.StickBreaking()},
}
HMM_INFERENCE: dict[str, Callable[[FamilyCase], dict[str, Any]]] = {
    "em": lambda case: {},
    "map-em": lambda case: {"prior": case.map_prior()},
    "vb": lambda case: {"inference": "vb", "transition_prior": mx.DirichletWeights(concentration=2.0)},
}


def _combinations(inference: dict[str, Any]) -> list[Any]:
    return [
        pytest.param(case, name, id=f"{case.name}-{name}")
        for case in FAMILY_CASES
        for name in inference
        if name == "em" or case.map_prior is not None
    ]


@pytest.mark.parametrize(("case", "inference"), _combinations(MIXTURE_INFERENCE))
def test_mixture_round_trip(case: FamilyCase, inference: str, tmp_path: Path) -> None:
    x = case.data()
    settings = MIXTURE_INFERENCE[inference](case)
    model = mx.Mixture(case.family(), 2, max_iter=8, random_state=0, **settings).fit(x)
    assert_round_trip(model, x, tmp_path)


@pytest.mark.parametrize(("case", "inference"), _combinations(HMM_INFERENCE))
def test_hmm_round_trip(case: FamilyCase, inference: str, tmp_path: Path) -> None:
    x = case.data()
    settings = HMM_INFERENCE[inference](case)
    lengths = [70, 50]
    model = mx.HMM(case.family(), 2, max_iter=8, random_state=0, **settings).fit(x, lengths=lengths)
    assert_round_trip(model, x, tmp_path)


MIXTURE_HMM_INFERENCE: dict[str, dict[str, Any]] = {
    "em": {},
    "map-em": {"prior": mx.NormalWishart(), "transition_prior": mx.DirichletWeights(concentration=2.0)},
    "vb": {"inference": "vb", "transition_prior": mx.DirichletWeights(concentration=2.0)},
}


def _mixture_hmm(inference: str) -> tuple[mx.HMM, np.ndarray]:
    x = family_data("gaussian", 120)
    settings = MIXTURE_HMM_INFERENCE[inference]
    model = mx.HMM(mx.Gaussian(), 2, n_mix=2, max_iter=8, random_state=0, **settings)
    return model.fit(x, lengths=[70, 50]), x


@pytest.mark.parametrize("inference", sorted(MIXTURE_HMM_INFERENCE))
def test_hmm_with_mixture_emissions_round_trip(inference: str, tmp_path: Path) -> None:
    model, x = _mixture_hmm(inference)
    assert model.mix_weights_.shape == (2, 2) and len(model.components_) == 4
    loaded = assert_round_trip(model, x, tmp_path)
    assert loaded.predict_proba(x).shape == (x.shape[0], 2)
    if inference == "vb":
        assert isinstance(loaded.posterior_, MixtureHMMPosterior)
        assert len(loaded.posterior_.mixes) == 2


def test_hmm_with_mixture_emissions_continues_fitting_after_loading(tmp_path: Path) -> None:
    model, x = _mixture_hmm("em")
    model.save(tmp_path / "model.npz")
    loaded = mx.load(tmp_path / "model.npz")
    assert isinstance(loaded, mx.HMM)
    for fitted in (model, loaded):
        fitted.set_params(warm_start=True, max_iter=3).fit(x, lengths=[70, 50])
    assert_same(model.mix_weights_, loaded.mix_weights_, "mix_weights_")
    assert_same(predictions(model, x), predictions(loaded, x), "after continuing")


def test_the_fit_not_the_n_mix_setting_says_how_many_components_a_state_has(tmp_path: Path) -> None:
    model, x = _mixture_hmm("em")
    model.set_params(n_mix=3)  # after the fit: saved as it is
    assert_round_trip(model, x, tmp_path)
    online = mx.HMM(mx.Poisson(), 3, random_state=0)
    online.partial_fit(family_data("poisson", 40), lengths=[20, 20])
    online.set_params(n_mix=2)  # 3 states, one component each: the online counts are over 3 states
    assert_round_trip(online, None, tmp_path)


def _rewritten(source: Path, target: Path, change: Callable[[dict[str, Any]], None]) -> None:
    with np.load(source, allow_pickle=False) as archive:
        members = {key: archive[key] for key in archive.files}
    change(members)
    with open(target, "wb") as stream:  # a stream: numpy adds no suffix
        np.savez(stream, **members)


def _without_mix_weights(members: dict[str, Any]) -> None:
    del members["mix_weights_"]
    content = json.loads(str(members["metadata"]))
    del content["fitted"]["mix_weights_"]
    members["metadata"] = np.array(json.dumps(content))


def _mix_weights_as(change: Callable[[np.ndarray], np.ndarray]) -> Callable[[dict[str, Any]], None]:
    def edit(members: dict[str, Any]) -> None:
        members["mix_weights_"] = change(members["mix_weights_"])

    return edit


TAMPERED_MIX_WEIGHTS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "rows-off-the-simplex": (_mix_weights_as(lambda w: w * 1.5), "mix_weights_"),
    "negative": (_mix_weights_as(lambda w: w - 0.5), "mix_weights_"),
    "one-state": (_mix_weights_as(lambda w: w[:1]), "mix_weights_"),
    "one-component": (_mix_weights_as(lambda w: np.ones((4, 1))), "mix_weights_"),
    "missing": (_without_mix_weights, "startprob_"),  # then 4 states, but startprob_ has 2
}


@pytest.mark.parametrize("case", sorted(TAMPERED_MIX_WEIGHTS))
def test_a_tampered_mix_weights_is_refused_naming_the_field(case: str, tmp_path: Path) -> None:
    model, _ = _mixture_hmm("vb")
    model.save(tmp_path / "model.npz")
    change, field = TAMPERED_MIX_WEIGHTS[case]
    _rewritten(tmp_path / "model.npz", tmp_path / "tampered.npz", change)
    with pytest.raises(mx.io.ModelFileError, match=field):
        mx.load(tmp_path / "tampered.npz")


def test_a_tampered_mixture_posterior_is_refused_naming_the_field(tmp_path: Path) -> None:
    model, _ = _mixture_hmm("vb")
    posterior = model.posterior_
    assert isinstance(posterior, MixtureHMMPosterior)
    model.posterior_ = attrs.evolve(posterior, mixes=posterior.mixes[:1])
    with pytest.raises(mx.io.ModelFileError, match=r"posterior_\.mixes"):  # saving checks the file
        model.save(tmp_path / "model.npz")


def test_the_cases_cover_every_built_in_family() -> None:
    families = mixtures.io.registry.FAMILIES
    built_in = {families.class_named(name, "") for name in families.names() if not name.startswith("tests.")}
    assert built_in == {type(case.family()) for case in FAMILY_CASES}


# ----------------------------------------------------------------------------- settings
def test_settings_of_every_kind_round_trip(tmp_path: Path) -> None:
    """Aliases, arrays, numpy generators, priors given by the user, online modes."""
    x = family_data("gaussian", 120)
    responsibilities = np.eye(2)[(x[:, 0] > 3).astype(int)] * 0.8 + 0.1
    model = mx.Mixture(
        "diag",
        2,
        init=responsibilities,
        tol=1e-4,
        chunk_size=50,
        warm_start=True,
        random_state=np.random.default_rng(7),
        prior=mx.NormalGamma(mean=np.array([1.0, 2.0, 3.0]), shape=np.float64(2.0)),
        online=mx.StepwiseEM(kappa=0.7),
    ).fit(x)
    loaded = assert_round_trip(model, x, tmp_path)
    assert loaded.random_state is not model.random_state  # a new Generator in the saved state
    assert np.array_equal(loaded.random_state.random(3), model.random_state.random(3))


def test_hmm_with_given_start_structural_zeros_and_fixed_parameters(tmp_path: Path) -> None:
    x = family_data("poisson", 120)
    family = mx.Poisson()
    components = family.components_from(np.array([[1.0, 10.0], [12.0, 2.0]]))
    transmat = np.array([[0.9, 0.1], [0.0, 1.0]])  # left to right: a structural zero
    model = mx.HMM(
        family, 2, init=(np.array([1.0, 0.0]), transmat, components), fixed=("startprob",), max_iter=5
    ).fit(x)
    assert model._structural_zeros[1][1, 0]
    assert_round_trip(model, x, tmp_path)


def test_feature_names_round_trip(tmp_path: Path) -> None:
    pandas = pytest.importorskip("pandas")
    x = family_data("bernoulli", 120)
    frame = pandas.DataFrame(x, columns=[f"gene_{i}" for i in range(x.shape[1])])
    model = mx.Mixture(mx.Bernoulli(), 2, random_state=0).fit(frame)
    loaded = assert_round_trip(model, x, tmp_path)
    assert list(loaded.feature_names_in_) == list(frame.columns)


def test_an_unfitted_model_keeps_its_settings_and_fits_alike(tmp_path: Path) -> None:
    model = mx.Mixture(mx.Gaussian(reg_covar=1e-3), 3, inference="vb", n_init=2, random_state=4)
    loaded = assert_round_trip(model, None, tmp_path)
    assert not hasattr(loaded, "components_")
    with pytest.raises(mx.NotFittedError):
        loaded.predict(np.zeros((2, 3)))
    x = family_data("gaussian", 120)
    assert_same(predictions(model.fit(x), x), predictions(loaded.fit(x), x))


ONLINE_CASES = {
    "stepwise-em": lambda: mx.Mixture(mx.Poisson(), 2, random_state=0),
    "exact-passes-mid-pass": lambda: mx.Mixture(mx.Poisson(), 2, online=mx.ExactPasses(), random_state=0),
    "stochastic-vb": lambda: mx.Mixture(
        mx.Poisson(), 2, inference="vb", online=mx.StochasticVB(total_samples=120), random_state=0
    ),
    "map-stepwise": lambda: mx.Mixture(mx.Poisson(), 2, prior=mx.Gamma(), random_state=0),
    "hmm-stepwise": lambda: mx.HMM(mx.Poisson(), 2, random_state=0),
    "hmm-stochastic-vb": lambda: mx.HMM(
        mx.Poisson(), 2, inference="vb", online=mx.StochasticVB(total_samples=120), random_state=0
    ),
}


@pytest.mark.parametrize("case", sorted(ONLINE_CASES))
def test_an_online_fit_continues_after_loading_exactly_as_it_would_have(case: str, tmp_path: Path) -> None:
    x = family_data("poisson", 120)
    batches = np.array_split(x, 6)
    model = ONLINE_CASES[case]()
    by_sequence = {"lengths": [10, 10]} if isinstance(model, mx.HMM) else {}
    for batch in batches[:3]:
        model.partial_fit(batch, **by_sequence)
    loaded = assert_round_trip(model, x, tmp_path)  # online_state_ included, bit for bit
    for batch in batches[3:]:
        model.partial_fit(batch, **by_sequence)
        loaded.partial_fit(batch, **by_sequence)
    if isinstance(model.online, mx.ExactPasses):
        model.end_pass()
        loaded.end_pass()
    assert loaded.online_state_.n_updates == model.online_state_.n_updates > 0
    assert_same(predictions(model, x), predictions(loaded, x), "after continuing")
    assert_same(model.components_.natural, loaded.components_.natural, "components after continuing")


# ----------------------------------------------------------------------------- files
def test_the_file_is_written_at_exactly_the_given_path(tmp_path: Path) -> None:
    model = mx.Mixture(mx.Poisson(), 2, random_state=0).fit(family_data("poisson", 60))
    target = tmp_path / "model"  # no suffix is added
    model.save(str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    model.save(target)  # overwrites, through a temporary file that does not survive
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert isinstance(mx.load(str(target)), mx.Mixture)


def test_a_failed_save_leaves_the_previous_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "model.npz"
    mx.Mixture(mx.Poisson(), 2, random_state=0).fit(family_data("poisson", 60)).save(target)
    before = target.read_bytes()
    with pytest.raises(ValueError, match="tol: nan cannot be saved"):
        mx.Mixture(mx.Poisson(), 2, tol=float("nan")).save(target)
    with pytest.raises(FileNotFoundError, match="missing"):
        mx.Mixture(mx.Poisson(), 2).save(tmp_path / "missing" / "model.npz")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_numpy_reads_the_file_without_pickle(tmp_path: Path) -> None:
    model = mx.HMM(mx.Gaussian(), 2, inference="vb", random_state=0).fit(family_data("gaussian", 60))
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        contents = {key: archive[key] for key in archive.files}
    assert all(value.dtype.kind in "biufU" for value in contents.values())
    assert '"estimator": "HMM"' in str(contents["metadata"])
    assert np.array_equal(contents["startprob_"], model.startprob_)


def test_unknown_estimator_types_are_refused(tmp_path: Path) -> None:
    class MyMixture(mx.Mixture):
        pass

    with pytest.raises(ValueError, match=r"estimator: .*MyMixture"):
        mixtures.io.save(MyMixture(), tmp_path / "model.npz")
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------- user classes
@attrs.frozen
class Rayleigh(mx.ExponentialFamily):
    """Rayleigh features: ``p(x | σ²) = x/σ² exp(−x²/(2σ²))``; ``T(x) = x²``, ``η = −1/(2σ²)``,
    ``A(η) = −Σ log(−2η)``, ``log h(x) = Σ log x``; ``min_mean`` floors ``E[x²] = 2σ²``."""

    min_mean: float = attrs.field(default=1e-8, validator=attrs.validators.gt(0))

    def sufficient_statistics(self, x: np.ndarray) -> np.ndarray:
        return x * x

    def log_base_measure(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(x).sum(1)

    def log_partition(self, natural: np.ndarray) -> np.ndarray:
        return -np.log(-2.0 * natural).sum(1)

    def natural_to_mean(self, natural: np.ndarray) -> np.ndarray:
        return -1.0 / natural

    def mean_to_natural(self, mean: np.ndarray) -> np.ndarray:
        return -1.0 / mean

    def regularize_mean(self, mean: np.ndarray) -> np.ndarray:
        return np.maximum(mean, self.min_mean)

    def validate(self, x: np.ndarray) -> None:
        if np.any(x <= 0):
            raise ValueError("Rayleigh data must be > 0")

    def sample(self, natural: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.rayleigh(np.sqrt(-0.5 / natural[labels]))


@attrs.frozen
class UserGammaRate(GammaRate):
    """A user's own prior (here a renamed GammaRate)."""


mixtures.io.register_family(Rayleigh, "tests.Rayleigh")
mixtures.io.register_family(Exponential, "tests.Exponential")  # no attrs fields, no settings
mixtures.io.register_prior(UserGammaRate, "tests.GammaRate")


@pytest.mark.parametrize("family", [Rayleigh(min_mean=1e-6), Exponential()], ids=["attrs", "stateless"])
def test_registered_user_families_round_trip(family: mx.ExponentialFamily, tmp_path: Path) -> None:
    x = _positive()
    assert_round_trip(mx.Mixture(family, 2, random_state=0).fit(x), x, tmp_path)
    assert_round_trip(mx.HMM(family, 2, random_state=0, max_iter=5).fit(x), x, tmp_path)
    metadata = str(np.load(tmp_path / "model.npz")["metadata"])
    assert f'"type": "tests.{type(family).__name__}"' in metadata


def test_a_registered_user_prior_round_trips(tmp_path: Path) -> None:
    x = _positive()
    model = mx.Mixture(ExtraExponential(), 2, inference="vb", prior=UserGammaRate(shape=2.0), random_state=0)
    assert_round_trip(model.fit(x), x, tmp_path)


@attrs.frozen
class CheckedGammaRate(GammaRate):
    """A user's prior that adds a check of its own to those every prior gets."""

    def check_resolved(self, family: mx.ExponentialFamily, n_components: int, n_features: int) -> None:
        if np.any(np.asarray(self.rate) > 1e6):
            raise FieldError("rate", "must be below 1e6")
        super().check_resolved(family, n_components, n_features)


mixtures.io.register_prior(CheckedGammaRate, "tests.CheckedGammaRate")


@pytest.mark.parametrize(
    ("field", "change", "message"),
    [
        ("prior_.rate", lambda rate: rate * 1e9, r"prior_\.rate: must be below 1e6"),
        ("prior_.shape", lambda shape: -shape, r"prior_: its block counts ν must be positive"),
    ],
    ids=["its own check", "the checks of its base classes"],
)
def test_a_registered_user_prior_checks_itself_on_load(
    field: str, change: Any, message: str, tmp_path: Path
) -> None:
    x = _positive()
    path = tmp_path / "model.npz"
    model = mx.Mixture(ExtraExponential(), 2, inference="vb", prior=CheckedGammaRate(), random_state=0)
    model.fit(x).save(path)
    with np.load(path, allow_pickle=False) as archive:
        members = {key: archive[key] for key in archive.files}
    members[field] = change(members[field])
    with open(path, "wb") as stream:
        np.savez(stream, **members)
    with pytest.raises(mixtures.io.ModelFileError, match=message):
        mx.load(path)


def test_an_unregistered_family_cannot_be_saved(tmp_path: Path) -> None:
    class Unregistered(Exponential):
        pass

    model = mx.Mixture(Unregistered(), 2, random_state=0).fit(_positive())
    with pytest.raises(ValueError, match=r"family.*Unregistered.*register_family"):
        model.save(tmp_path / "model.npz")
    assert not list(tmp_path.iterdir())


def test_a_user_family_with_unsaved_state_cannot_be_saved(tmp_path: Path) -> None:
    class Stateful(Exponential):
        def __init__(self, scale: float = 1.0) -> None:
            self.scale = scale

    mixtures.io.register_family(Stateful, "tests.Stateful")
    with pytest.raises(ValueError, match=r"family: .*settings \['scale'\].*attrs"):
        mx.Mixture(Stateful(), 2).save(tmp_path / "model.npz")


def test_registration_is_checked() -> None:
    class Other(Exponential):
        pass

    with pytest.raises(ValueError, match="taken"):
        mixtures.io.register_family(Other, "Gaussian")
    with pytest.raises(ValueError, match="already registered"):
        mixtures.io.register_family(Rayleigh, "tests.Other")
    with pytest.raises(ValueError, match="ExponentialFamily subclasses"):
        mixtures.io.register_family(int)
    with pytest.raises(ValueError, match="dotted identifiers"):
        mixtures.io.register_family(Rayleigh, "../evil")

    class NeedsArguments(Exponential):
        def __init__(self, scale: float) -> None:
            self.scale = scale

    with pytest.raises(ValueError, match="attrs class"):
        mixtures.io.register_family(NeedsArguments)
    assert mixtures.io.register_family(Rayleigh, "tests.Rayleigh") is Rayleigh  # again: no-op


def test_loading_with_warnings_as_errors_is_quiet(tmp_path: Path) -> None:
    model = mx.Mixture(mx.Poisson(), 2, random_state=0).fit(family_data("poisson", 60))
    model.save(tmp_path / "model.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mx.load(tmp_path / "model.npz")
