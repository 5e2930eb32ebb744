"""Registered names of the classes a model file may name.

A model file names its families, priors, weight priors and posteriors by registered names
(``"Gaussian"``, ``"extra.VonMises"``...), never by module paths: loading looks a name up in these
tables and calls the class found there, so a file can neither import a module nor call anything
that was not registered by the program reading it. Users register their own families and priors
with ``register_family`` and ``register_prior``.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, TypeVar

import attrs

from mixtures.families import (
    Bernoulli,
    Categorical,
    DiagonalGaussian,
    ExponentialFamily,
    Gaussian,
    Independent,
    Multinomial,
    Poisson,
    SphericalGaussian,
    TiedGaussian,
)
from mixtures.families.extra import Exponential, GammaKnownShape, GammaRate, NegativeBinomial, VonMises
from mixtures.families.statistics import ReferencePoints, SufficientStatistics
from mixtures.inference.online import ExactPasses, OnlineMode, OnlineState, StepwiseEM, StochasticVB
from mixtures.inference.starts import PartialInit
from mixtures.inference.summary import Summary
from mixtures.io.errors import ModelFileError
from mixtures.io.legacy import LEGACY_VALUES
from mixtures.latent.chain import HMMParameters, HMMPosterior, HMMPriors
from mixtures.latent.chain_of_mixtures import MixtureHMMParameters, MixtureHMMPosterior
from mixtures.latent.mixing import MixtureParameters, VariationalPosterior
from mixtures.priors import (
    Beta,
    ConjugatePrior,
    Dirichlet,
    Gamma,
    IndependentPrior,
    NormalGamma,
    NormalWishart,
    SphericalNormalGamma,
    TiedNormalWishart,
)
from mixtures.priors.weights import DirichletWeights, StickBreaking, WeightPrior

__all__ = [
    "FAMILIES",
    "ONLINE_MODES",
    "ONLINE_VALUES",
    "POSTERIORS",
    "PRIORS",
    "STARTS",
    "WEIGHT_PRIORS",
    "Registry",
    "register_family",
    "register_prior",
]

T = TypeVar("T", bound=type)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class Registry:
    """Names ↔ classes for one kind of object (``"family"``, ``"prior"``...)."""

    def __init__(self, kind: str, base: type, hint: str | None) -> None:
        self.kind = kind
        self.base = base
        self.hint = hint
        self._classes: dict[str, type] = {}
        self._names: dict[type, str] = {}

    def register(self, cls: T, name: str | None = None) -> T:
        """Register ``cls`` under ``name`` (default: its class name); returns ``cls``."""
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise ValueError(
                f"only {self.base.__name__} subclasses can be registered as a {self.kind}; got {cls!r}"
            )
        name = cls.__name__ if name is None else name
        if not (isinstance(name, str) and _NAME.fullmatch(name)):
            raise ValueError(
                f"a {self.kind} name must be dotted identifiers, e.g. 'mypackage.Rayleigh'; got {name!r}"
            )
        registered = self._names.get(cls)
        if registered is not None and registered != name:
            raise ValueError(f"{cls.__qualname__} is already registered as the {self.kind} {registered!r}")
        known = self._classes.get(name)
        # another class under this name is refused, unless it is the same definition executed
        # again (a reloaded module), which replaces it
        if known is not None and known is not cls and _definition(known) != _definition(cls):
            raise ValueError(
                f"the {self.kind} name {name!r} is taken by {_definition(known)}; register "
                f"{cls.__qualname__} under another name"
            )
        if not attrs.has(cls) and _required_arguments(cls):
            raise ValueError(
                f"{cls.__qualname__} takes arguments {_required_arguments(cls)} but is not an attrs "
                f"class: model files rebuild a {self.kind} from its attrs fields (or, without "
                f"settings, by calling it with no arguments); make it an attrs class (@attrs.frozen)"
            )
        if known is not None:
            del self._names[known]
        self._classes[name] = cls
        self._names[cls] = name
        return cls

    def name_of(self, cls: type, field: str) -> str:
        """The registered name of ``cls``; a ``ModelFileError`` naming ``field`` if it has none."""
        try:
            return self._names[cls]
        except KeyError:
            advice = (
                f"call {self.hint}({cls.__qualname__}) before saving (and before loading)"
                if self.hint
                else f"model files hold only the built-in ones, {sorted(self._classes)}"
            )
            raise ModelFileError(
                field, f"the {self.kind} {cls.__qualname__} is not registered for model files; {advice}"
            ) from None

    def class_named(self, name: Any, field: str) -> type:
        """The class registered as ``name``; a ``ModelFileError`` naming ``field`` if none is."""
        if not isinstance(name, str) or name not in self._classes:
            raise ModelFileError(
                field,
                f"unknown {self.kind} {name!r}; known: {sorted(self._classes)}"
                + (
                    f" (a {self.kind} of your own must be registered with {self.hint} before loading)"
                    if self.hint
                    else ""
                ),
            )
        return self._classes[name]

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._classes)

    def __contains__(self, cls: object) -> bool:
        return cls in self._names


def _definition(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _required_arguments(cls: type) -> list[str]:
    """The constructor arguments of ``cls`` without defaults."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature: found out when rebuilt
        return []
    fixed = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return [p.name for p in parameters if p.kind in fixed and p.default is inspect.Parameter.empty]


FAMILIES = Registry("family", ExponentialFamily, "mixtures.io.register_family")
PRIORS = Registry("prior", ConjugatePrior, "mixtures.io.register_prior")
WEIGHT_PRIORS = Registry("weight prior", WeightPrior, None)
POSTERIORS = Registry("posterior", object, None)
ONLINE_MODES = Registry("online mode", OnlineMode, None)
#: What an online fit in progress holds: its state, current parameters and running statistics.
ONLINE_VALUES = Registry("online-fit value", object, None)
#: Starting values given as an estimator's ``init``.
STARTS = Registry("start", object, None)

_BUILT_IN: tuple[tuple[Registry, str, tuple[type, ...]], ...] = (
    (FAMILIES, "", (Gaussian, DiagonalGaussian, SphericalGaussian, TiedGaussian, Bernoulli, Poisson)),
    (FAMILIES, "", (Categorical, Independent, Multinomial)),
    (FAMILIES, "extra.", (Exponential, NegativeBinomial, GammaKnownShape, VonMises)),
    (PRIORS, "", (NormalWishart, TiedNormalWishart, NormalGamma, SphericalNormalGamma, Gamma, Beta)),
    (PRIORS, "", (Dirichlet, IndependentPrior)),
    (PRIORS, "extra.", (GammaRate,)),
    (WEIGHT_PRIORS, "", (DirichletWeights, StickBreaking)),
    (POSTERIORS, "", (VariationalPosterior, HMMPosterior, HMMPriors, MixtureHMMPosterior)),
    (ONLINE_MODES, "", (ExactPasses, StepwiseEM, StochasticVB)),
    (ONLINE_VALUES, "", (OnlineState, MixtureParameters, HMMParameters, MixtureHMMParameters, Summary)),
    (ONLINE_VALUES, "", (SufficientStatistics, ReferencePoints, *LEGACY_VALUES)),
    (STARTS, "", (PartialInit,)),
)
for _registry, _prefix, _classes in _BUILT_IN:
    for _cls in _classes:
        _registry.register(_cls, _prefix + _cls.__name__)


def register_family(cls: T, name: str | None = None) -> T:
    """Make a family class of your own savable in, and loadable from, model files.

    Parameters
    ----------
    cls : type
        A subclass of ``ExponentialFamily``: an attrs class (its fields are saved and passed
        back to its constructor, so its validators run on load), or a class without settings
        that is rebuilt by calling it with no arguments.
    name : str, optional
        The name written into model files (dotted identifiers, e.g. ``"mypackage.Rayleigh"``);
        default: the class's name. Built-in names cannot be reused by another class.

    Returns
    -------
    type
        ``cls`` itself, so that this can be used as a class decorator.

    Notes
    -----
    A program that loads a file naming this family must register it (under the same name)
    first; an unknown name is a ``ValueError``, never an import.
    """
    return FAMILIES.register(cls, name)


def register_prior(cls: T, name: str | None = None) -> T:
    """Make a conjugate prior class of your own savable in, and loadable from, model files.

    Parameters
    ----------
    cls : type
        A subclass of ``ConjugatePrior``, an attrs class (or one without settings).
    name : str, optional
        The name written into model files; default: the class's name.

    Returns
    -------
    type
        ``cls`` itself.
    """
    return PRIORS.register(cls, name)
