"""The estimators in a model file: their settings and their fitted attributes.

An estimator is written as its constructor parameters (``get_params(deep=False)``) and, when it
is fitted, its fitted attributes. Each estimator lists the fitted attributes it may have, in
the order they are checked on load: each check may rely on the fields before it (the number
of features, the family, the number of components ``K``...). Attributes come in groups that
are present together (a variational fit has all of ``posterior_``, ``weight_prior_``...), so a
file that lacks one of a group is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import attrs
import numpy as np

from mixtures.families import ExponentialFamily
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.online import OnlineMode, OnlineState
from mixtures.inference.summary import Summary
from mixtures.io.checks import (
    boolean,
    boolean_array,
    check_natural,
    finite_real,
    integer,
    stochastic_rows,
)
from mixtures.io.errors import ModelFileError, child, item, reading
from mixtures.io.parameters import check_family, check_resolved_prior, check_weight_prior
from mixtures.io.values import ArrayReader, ArrayWriter, decode_value, encode_value, same_value
from mixtures.latent.chain import HMMParameters, HMMPosterior, HMMPriors, MarkovChain
from mixtures.latent.chain_of_mixtures import MarkovMixtures, MixtureHMMParameters, MixtureHMMPosterior
from mixtures.latent.mixing import MixtureParameters, VariationalPosterior
from mixtures.latent.structure import LatentStructure
from mixtures.models import HMM, Mixture
from mixtures.priors.weights import DirichletWeights

__all__ = ["ESTIMATORS", "EstimatorFormat", "FittedAttribute"]

Estimator = Mixture | HMM


@attrs.define
class Fit:
    """What is known about a fit while its attributes are read, in order."""

    values: dict[str, Any] = attrs.field(factory=dict)
    n_features: int = 0
    n_components: int = 0
    n_statistics: int = 0
    family: ExponentialFamily | None = None
    structure: LatentStructure[Any, Any] | None = None
    #: an HMM whose states emit mixtures (``mix_weights_`` ``(K, M)``): its ``M`` (1 otherwise)
    n_mix: int = 1

    @property
    def n_states(self) -> int:
        """The number of states (or a mixture's components) the latent distributions range over:
        ``K`` when the ``K·M`` components are ``M`` per state."""
        return self.n_components // self.n_mix

    @property
    def latent_count_shapes(self) -> tuple[tuple[int, ...], ...]:
        """The shapes of the latent counts in the fit's statistics."""
        assert self.structure is not None
        return self.structure.count_shapes(self.n_components)

    def get_family(self) -> ExponentialFamily:
        assert self.family is not None  # family_ is read before everything that needs it
        return self.family


Check = Callable[[Any, str, Fit], Any]


@attrs.frozen
class FittedAttribute:
    """One fitted attribute: its check on load (returning the value to set), and how it is
    written (by default, as a value of the grammar in ``values``)."""

    name: str
    check: Check
    encode: Callable[[Any, str, ArrayWriter], Any] = encode_value


# ----------------------------------------------------------------------------- the checks
def _n_features(value: Any, path: str, fit: Fit) -> Any:
    fit.n_features = integer(value, path, 1)
    return value


def _feature_names(value: Any, path: str, fit: Fit) -> Any:
    if not (isinstance(value, np.ndarray) and value.dtype == object and value.shape == (fit.n_features,)):
        raise ModelFileError(path, f"must be an array of {fit.n_features} feature names")
    if not all(isinstance(name, str) for name in value):
        raise ModelFileError(path, "feature names must be strings")
    return value


def _family(value: Any, path: str, fit: Fit) -> Any:
    fit.family = check_family(value, path, fit.n_features)
    return value


def _components(value: Any, path: str, fit: Fit) -> Any:
    family = fit.get_family()
    natural = check_natural(family, value, path, fit.n_features)
    fit.n_components, fit.n_statistics = natural.shape
    with reading(path):
        return family.components(natural)


def _encode_components(value: Any, path: str, writer: ArrayWriter) -> Any:
    # the components are the family_'s (the estimator builds them so): only η is stored
    return encode_value(value.natural, path, writer)


def _weights(value: Any, path: str, fit: Fit) -> Any:
    return stochastic_rows(value, path, (fit.n_components,))


def _mix_weights(value: Any, path: str, fit: Fit) -> Any:
    """Each state's weights over its components, ``(K, M)``: ``M ≥ 2`` (a fit with one component
    per state has no ``mix_weights_``) and ``K·M`` components. The fit's states are then ``K``."""
    if not (isinstance(value, np.ndarray) and value.ndim == 2):
        raise ModelFileError(path, "must be an array (n_states, n_mix)")
    n_states, n_mix = value.shape
    if n_mix < 2:
        raise ModelFileError(path, f"must have at least 2 components per state; got shape {value.shape}")
    if n_states * n_mix != fit.n_components:
        raise ModelFileError(
            path,
            f"shape {value.shape} does not split the {fit.n_components} components_ into states "
            f"of {n_mix} components",
        )
    weights = stochastic_rows(value, path, (n_states, n_mix))
    fit.n_mix = n_mix
    fit.structure = MarkovMixtures(n_mix)
    return weights


def _start_probabilities(value: Any, path: str, fit: Fit) -> Any:
    if fit.n_mix == 1:  # one component per state, whatever n_mix was set to after the fit
        fit.structure = MarkovChain()
    return stochastic_rows(value, path, (fit.n_states,))


def _transition_matrix(value: Any, path: str, fit: Fit) -> Any:
    return stochastic_rows(value, path, (fit.n_states, fit.n_states))


def _converged(value: Any, path: str, fit: Fit) -> Any:
    boolean(value, path)
    return value


def _n_iter(value: Any, path: str, fit: Fit) -> Any:
    integer(value, path, 0)
    return value


def _objectives(value: Any, path: str, fit: Fit) -> Any:
    if not isinstance(value, list):
        raise ModelFileError(path, f"must be a list of numbers; got {type(value).__name__}")
    for index, objective in enumerate(value):
        finite_real(objective, item(path, index))
    return value


def _objective(value: Any, path: str, fit: Fit) -> Any:
    finite_real(value, path)
    return value


def _prior(value: Any, path: str, fit: Fit) -> Any:
    family = fit.get_family()
    return check_resolved_prior(value, path, family, fit.n_components, fit.n_features, fit.n_statistics)


def _weight_prior(value: Any, path: str, fit: Fit) -> Any:
    return check_weight_prior(value, path, fit.n_components)


def _requires(fit: Fit, path: str, name: str) -> Any:
    if name not in fit.values:
        raise ModelFileError(path, f"needs {name}, which the file lacks")
    return fit.values[name]


def _same_kind(value: Any, reference: Any, path: str, reference_name: str) -> None:
    if type(value) is not type(reference):
        raise ModelFileError(
            path, f"is a {type(value).__name__} but {reference_name} is a {type(reference).__name__}"
        )


def _mixture_posterior(value: Any, path: str, fit: Fit) -> Any:
    if not isinstance(value, VariationalPosterior):
        raise ModelFileError(path, f"must be a VariationalPosterior; got {type(value).__name__}")
    components, weights = child(path, "components"), child(path, "weights")
    _same_kind(value.components, _requires(fit, path, "prior_"), components, "prior_")
    _prior(value.components, components, fit)
    _same_kind(value.weights, _requires(fit, path, "weight_prior_"), weights, "weight_prior_")
    _weight_prior(value.weights, weights, fit)
    return value


def _effective(value: Any, path: str, fit: Fit) -> Any:
    return boolean_array(value, path, (fit.n_components,))


def _n_effective(value: Any, path: str, fit: Fit) -> Any:
    count = integer(value, path, 0)
    if count != int(fit.values["effective_components_"].sum()):
        raise ModelFileError(path, "must count the true entries of effective_components_")
    return value


def _structural_zeros(value: Any, path: str, fit: Fit) -> Any:
    if not (isinstance(value, tuple) and len(value) == 2):
        raise ModelFileError(path, "must be a pair (startprob zeros, transmat zeros)")
    k = fit.n_states
    boolean_array(value[0], item(path, 0), (k,))
    boolean_array(value[1], item(path, 1), (k, k))
    return value


def _markov_distributions(expected: type[HMMPriors] | type[HMMPosterior]) -> Check:
    """Check of an HMM's priors or posterior: emissions (over the ``K·M`` components), initial
    distribution and one Dirichlet per transition row (over the ``K`` states), and, when states
    emit mixtures, one Dirichlet per state over its ``M`` components (a ``MixtureHMMPosterior``,
    which holds the priors as well as the posterior)."""

    def check(value: Any, path: str, fit: Fit) -> Any:
        wanted: type[HMMPosterior] = expected if fit.n_mix == 1 else MixtureHMMPosterior
        if not isinstance(value, wanted) or (fit.n_mix == 1 and isinstance(value, MixtureHMMPosterior)):
            raise ModelFileError(path, f"must be an {wanted.__name__}; got {type(value).__name__}")
        _prior(value.components, child(path, "components"), fit)
        k = fit.n_states
        named = [("start", value.start, k)]
        for field, count, size in (("rows", k, k), ("mixes", k, fit.n_mix)):
            if field == "mixes" and fit.n_mix == 1:
                continue
            entries = getattr(value, field)
            if not isinstance(entries, tuple) or len(entries) != count:
                raise ModelFileError(child(path, field), f"must be a tuple of {count} DirichletWeights")
            named += [(item(field, i), entry, size) for i, entry in enumerate(entries)]
        for name, entry, size in named:
            if not isinstance(entry, DirichletWeights):
                raise ModelFileError(
                    child(path, name), f"must be DirichletWeights; got {type(entry).__name__}"
                )
            check_weight_prior(entry, child(path, name), size)
        if expected is HMMPosterior:
            _same_kind(
                value.components,
                _requires(fit, path, "priors_").components,
                child(path, "components"),
                "priors_.components",
            )
        return value

    return check


def _online_state(value: Any, path: str, fit: Fit) -> Any:
    """An online fit in progress: its mode, current parameters (or posterior), running statistics
    and counters, all of the fit's sizes."""
    if not isinstance(value, OnlineState):
        raise ModelFileError(path, f"must be an OnlineState; got {type(value).__name__}")
    if not isinstance(value.mode, OnlineMode):
        raise ModelFileError(child(path, "mode"), f"must be an online mode; got {type(value.mode).__name__}")
    _online_parameters(value.parameters, child(path, "parameters"), fit)
    if value.statistics is not None:
        _online_statistics(value.statistics, child(path, "statistics"), fit)
    for name in ("pass_weight", "seen_weight"):
        if finite_real(getattr(value, name), child(path, name)) < 0:
            raise ModelFileError(child(path, name), "must be >= 0")
    integer(value.n_updates, child(path, "n_updates"), 0)
    return value


def _online_parameters(value: Any, path: str, fit: Fit) -> None:
    if isinstance(value, VariationalPosterior):
        _mixture_posterior(value, path, fit)
    elif isinstance(value, HMMPosterior):
        _markov_distributions(HMMPosterior)(value, path, fit)
    elif isinstance(value, MixtureParameters | HMMParameters | MixtureHMMParameters):
        if isinstance(value, MixtureHMMParameters) and value.mix_weights.shape != (fit.n_states, fit.n_mix):
            raise ModelFileError(
                child(path, "mix_weights"),
                f"must have shape {(fit.n_states, fit.n_mix)}; got {value.mix_weights.shape}",
            )
        natural = check_natural(fit.get_family(), value.natural, child(path, "natural"), fit.n_features)
        if natural.shape != (fit.n_components, fit.n_statistics):
            raise ModelFileError(
                child(path, "natural"),
                f"must have shape {(fit.n_components, fit.n_statistics)}; got {natural.shape}",
            )
    else:
        raise ModelFileError(path, f"must be the fit's parameters or posterior; got {type(value).__name__}")


def _online_statistics(value: Any, path: str, fit: Fit) -> None:
    k, s = fit.n_components, fit.n_statistics
    if not isinstance(value, Summary):
        raise ModelFileError(path, f"must be summed statistics; got {type(value).__name__}")
    finite_real(value.log_likelihood, child(path, "log_likelihood"))
    _sufficient_statistics(value.emissions, child(path, "emissions"), k, s)
    # the structure's latent counts: a mixture has none, an HMM initial and transition counts
    shapes = fit.latent_count_shapes
    if len(value.latent) != len(shapes):
        raise ModelFileError(
            child(path, "latent"), f"must hold {len(shapes)} arrays of counts; got {len(value.latent)}"
        )
    for index, (counts, shape) in enumerate(zip(value.latent, shapes, strict=True)):
        _non_negative(counts, item(child(path, "latent"), index), shape)


def _sufficient_statistics(value: Any, path: str, n_components: int, n_statistics: int) -> None:
    if not isinstance(value, SufficientStatistics):
        raise ModelFileError(path, f"must be SufficientStatistics; got {type(value).__name__}")
    _non_negative(value.counts, child(path, "counts"), (n_components,))
    if value.sums.shape != (n_components, n_statistics):
        raise ModelFileError(
            child(path, "sums"), f"must have shape {(n_components, n_statistics)}; got {value.sums.shape}"
        )


def _non_negative(value: Any, path: str, shape: tuple[int, ...]) -> None:
    if not (isinstance(value, np.ndarray) and value.shape == shape):
        raise ModelFileError(path, f"must be an array of shape {shape}")
    if not (np.all(np.isfinite(value)) and np.all(value >= 0)):
        raise ModelFileError(path, "must be finite and >= 0")


# ----------------------------------------------------------------------------- estimators
@attrs.frozen
class EstimatorFormat:
    """How one estimator class is written and read back.

    ``attributes`` are its fitted attributes in reading order; ``required`` must be present in
    any fit; each of ``groups`` is present entirely or not at all. ``TRANSIENT`` attributes are
    not written: the link of an online fit's state to the fit it continues is rebuilt on load, so
    a loaded model's next ``partial_fit`` continues exactly where the saved one would.
    """

    TRANSIENT: ClassVar[frozenset[str]] = frozenset({"_online_owner"})

    name: str
    estimator_type: type[Mixture] | type[HMM]
    attributes: tuple[FittedAttribute, ...]
    required: frozenset[str]
    groups: tuple[frozenset[str], ...] = ()

    # ------------------------------------------------------------------ writing
    def encode(self, model: Estimator, writer: ArrayWriter) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The JSON of ``model``'s parameters and of its fitted attributes (``None`` unfitted)."""
        params = model.get_params(deep=False)
        encoded_params = {name: encode_value(value, name, writer) for name, value in params.items()}
        state = {
            name: value
            for name, value in vars(model).items()
            if name not in params and name not in self.TRANSIENT
        }
        if not state:
            return encoded_params, None
        known = {attribute.name: attribute for attribute in self.attributes}
        for name in state:
            if name not in known:
                raise ModelFileError(
                    name, f"{self.name} has an attribute the model file format does not know"
                )
        components, family = state.get("components_"), state.get("family_")
        if (
            components is not None
            and components.family is not family
            and not same_value(components.family, family)
        ):
            raise ModelFileError("components_", "are components of another family than family_")
        fitted = {
            attribute.name: attribute.encode(state[attribute.name], attribute.name, writer)
            for attribute in self.attributes
            if attribute.name in state
        }
        return encoded_params, fitted

    # ------------------------------------------------------------------ reading
    def decode(self, params: Any, fitted: Any, reader: ArrayReader) -> Estimator:
        """The estimator, its settings checked and its fit (if any) validated field by field."""
        model = self.estimator_type(**self._parameters(params, reader))
        with reading("params"):
            model._check_params()
        if fitted is None:
            return model
        if not isinstance(fitted, dict):
            raise ModelFileError(
                "metadata.fitted", f"must be a JSON object or null; got {type(fitted).__name__}"
            )
        self._check_presence(set(fitted))
        fit = Fit(structure=model.structure)
        for attribute in self.attributes:
            if attribute.name in fitted:
                value = decode_value(fitted[attribute.name], attribute.name, reader)
                fit.values[attribute.name] = attribute.check(value, attribute.name, fit)
        for name, value in fit.values.items():
            setattr(model, name, value)
        if "online_state_" in fit.values:  # the state continues the loaded fit
            model._online_owner = (model.components_, model.inference, getattr(model, model.size_name))
        return model

    def _parameters(self, params: Any, reader: ArrayReader) -> dict[str, Any]:
        if not isinstance(params, dict):
            raise ModelFileError("metadata.params", f"must be a JSON object; got {type(params).__name__}")
        names = self.estimator_type._parameter_names()
        added = self.estimator_type.settings_added_since_first_format()
        for name in names:
            if name not in params and name not in added:
                raise ModelFileError(
                    name, f"the setting is missing from the file ({self.name} takes {names})"
                )
        for name in params:
            if name not in names:
                raise ModelFileError(name, f"unexpected setting: {self.name} takes {names}")
        # a setting added after the file was written takes its default
        return {name: decode_value(params[name], name, reader) for name in names if name in params}

    def _check_presence(self, present: set[str]) -> None:
        unexpected = sorted(present - {attribute.name for attribute in self.attributes})
        if unexpected:
            raise ModelFileError(
                unexpected[0], f"unexpected fitted attribute: a fitted {self.name} has no such attribute"
            )
        missing = sorted(self.required - present)
        if missing:
            raise ModelFileError(missing[0], f"missing: every fitted {self.name} has it")
        for group in self.groups:
            if present & group and not group <= present:
                missing = sorted(group - present)
                raise ModelFileError(
                    missing[0], f"missing: a fit with {sorted(present & group)} also has {sorted(group)}"
                )


_COMMON_HEAD = (
    FittedAttribute("n_features_in_", _n_features),
    FittedAttribute("feature_names_in_", _feature_names),
    FittedAttribute("family_", _family),
    FittedAttribute("components_", _components, _encode_components),
)
_CONVERGENCE = (
    FittedAttribute("converged_", _converged),
    FittedAttribute("n_iter_", _n_iter),
    FittedAttribute("lower_bounds_", _objectives),
    FittedAttribute("lower_bound_", _objective),
)
_COMMON_REQUIRED = frozenset(
    {"n_features_in_", "family_", "components_", "converged_", "n_iter_", "lower_bounds_"}
)

MIXTURE = EstimatorFormat(
    "Mixture",
    Mixture,
    (
        *_COMMON_HEAD,
        FittedAttribute("weights_", _weights),
        *_CONVERGENCE,
        FittedAttribute("prior_", _prior),
        FittedAttribute("weight_prior_", _weight_prior),
        FittedAttribute("posterior_", _mixture_posterior),
        FittedAttribute("effective_components_", _effective),
        FittedAttribute("n_effective_components_", _n_effective),
        FittedAttribute("online_state_", _online_state),
    ),
    _COMMON_REQUIRED | {"weights_"},
    (frozenset({"weight_prior_", "posterior_", "effective_components_", "n_effective_components_"}),),
)

HMM_FORMAT = EstimatorFormat(
    "HMM",
    HMM,
    (
        *_COMMON_HEAD,
        FittedAttribute("mix_weights_", _mix_weights),
        FittedAttribute("startprob_", _start_probabilities),
        FittedAttribute("transmat_", _transition_matrix),
        *_CONVERGENCE,
        FittedAttribute("_structural_zeros", _structural_zeros),
        FittedAttribute("prior_", _prior),
        FittedAttribute("priors_", _markov_distributions(HMMPriors)),
        FittedAttribute("posterior_", _markov_distributions(HMMPosterior)),
        FittedAttribute("online_state_", _online_state),
    ),
    _COMMON_REQUIRED | {"startprob_", "transmat_"},
    (frozenset({"priors_", "posterior_"}),),
)

#: The estimators a model file may hold, by the name written into it.
ESTIMATORS: dict[str, EstimatorFormat] = {fmt.name: fmt for fmt in (MIXTURE, HMM_FORMAT)}
