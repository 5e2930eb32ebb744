"""One fitting problem: a latent structure with an inference, the only thing a fit runs.

A ``FitProblem`` is the E-step of a pass over data under its parameters, the update from the
summed statistics, and the objective's penalty. Batch ``fit`` iterates it (``inference.fit``),
``partial_fit`` feeds it batch by batch (``inference.online``), restarts run it from several
starts, and Dask maps its per-chunk E-step over the workers. Two inferences, each written once
for every latent structure (``mixtures.latent``) and every family:

* ``ExpectationMaximisation`` — point parameters; the M-step is maximum likelihood, or with a
  ``prior`` the mode of the conjugate posterior (MAP-EM, whose objective adds the log prior).
* ``VariationalBayes`` — mean-field ``q`` over every parameter; the E-step uses ``E_q[η]``,
  ``E_q[A(η)]`` and the structure's ``E_q[log]`` latent terms, the update is the conjugate
  posterior, and the objective (the ELBO) subtracts the KL divergences from the priors.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import ExponentialFamily, empty_components
from mixtures.families.checks import checked_output
from mixtures.families.held import HeldPart
from mixtures.families.statistics import SufficientStatistics
from mixtures.inference.boundary import boundary_report, stuck_on_boundary
from mixtures.inference.data import Chunk, Data
from mixtures.inference.summary import Summary
from mixtures.latent.structure import LatentLogs, LatentStructure
from mixtures.priors.base import ConjugatePrior

__all__ = [
    "ExpectationMaximisation",
    "Findings",
    "FitProblem",
    "VariationalBayes",
    "chunk_e_step",
    "chunk_summary_of",
]

Array = NDArray[np.float64]
P = TypeVar("P")


def chunk_e_step(
    structure: LatentStructure[Any, Any],
    family: ExponentialFamily,
    natural: Array,
    log_partition: Array | None,
    logs: LatentLogs,
    chunk: Chunk,
) -> Summary:
    """The E-step of one chunk: its emission log-likelihoods (one product), times the rows'
    partial labels if any (``mixtures.inference.labels``), then the structure's posterior and
    statistics; all in one pass over the rows where the structure and the rows allow it
    (``LatentStructure.one_pass_summary``). ``FitProblem.e_step`` maps it over the chunks,
    wherever they live."""
    chunk = chunk.completed(family, natural)  # rows with missing entries, under these parameters
    summary = structure.one_pass_summary(chunk, natural, log_partition, logs)
    if summary is not None:
        return summary
    log_likelihood = chunk.log_likelihood(family, natural, log_partition)
    labels = structure.label_log_prior(chunk, log_likelihood.shape[1])
    if labels is not None:
        log_likelihood += labels
    return structure.chunk_summary(chunk, log_likelihood, logs)


def chunk_summary_of(
    structure: LatentStructure[Any, Any], assign: Any, chunk: Chunk, *given: Array
) -> Summary:
    """The statistics of starting responsibilities on one chunk: ``given`` rows of an ``(N, K)``
    array, or made there by ``assign(chunk)`` (which sees the rows as independent). Rows with
    partial labels start from the responsibilities times their labels: a known label, wholly."""
    responsibilities = given[0] if given else assign(structure.independent(chunk))
    labels = structure.label_log_prior(chunk, responsibilities.shape[1])
    if labels is not None:
        responsibilities = labelled(responsibilities, np.exp(labels))
    return structure.summary_of(chunk, responsibilities)


def labelled(responsibilities: Array, labels: Array) -> Array:
    """Responsibilities ``(n, K)`` times label probabilities, renormalised; a row whose product
    vanishes takes its labels."""
    product = responsibilities * labels
    totals = product.sum(1, keepdims=True)
    vanished = totals[:, 0] <= 0
    product[vanished] = labels[vanished]
    totals[vanished] = labels[vanished].sum(1, keepdims=True)
    return product / totals


@attrs.frozen
class Findings:
    """What an update did that users should know: labels that lost all their data (their
    emission parameters kept their previous values) and labels never left (their latent
    parameters kept theirs)."""

    emptied: frozenset[int] = frozenset()
    never_left: frozenset[int] = frozenset()
    #: Components whose data coincide at the end (their spread is the family's ridge alone).
    coinciding: frozenset[int] = frozenset()

    def __or__(self, other: Findings) -> Findings:
        return Findings(
            self.emptied | other.emptied,
            self.never_left | other.never_left,
            self.coinciding | other.coinciding,
        )


class FitProblem(abc.ABC, Generic[P]):
    """A latent structure with an inference (see the module notes). ``P``: what the fit
    estimates, point parameters (EM) or a distribution over them (VB)."""

    structure: LatentStructure[Any, Any]
    #: Whether ``P`` is a distribution over parameters (VB) rather than a point estimate.
    variational: ClassVar[bool] = False
    #: What the objective is called in messages.
    objective_name: ClassVar[str] = "log-likelihood"

    @property
    @abc.abstractmethod
    def family(self) -> ExponentialFamily: ...

    def objective_description(self) -> str:
        """What the objective is, for messages (``objective_name``, with any prior terms)."""
        return self.objective_name

    @property
    @abc.abstractmethod
    def has_prior(self) -> bool:
        """Whether the update weighs a prior against the statistics (MAP-EM, VB), so that their
        scale (the number of observations they stand for) matters."""

    @abc.abstractmethod
    def e_step_terms(self, parameters: P) -> tuple[Array, Array | None, LatentLogs]:
        """The emission natural parameters, their log-partition (``None``: ``A(η)`` itself) and
        the latent logs the E-step uses under ``parameters``."""

    @abc.abstractmethod
    def update(self, summary: Summary, parameters: P) -> P:
        """New parameters from summed statistics (``parameters``: the previous ones, kept where
        nothing was observed)."""

    @abc.abstractmethod
    def start(self, summary: Summary) -> P:
        """Parameters from the statistics of starting responsibilities."""

    @abc.abstractmethod
    def penalty(self, parameters: P) -> float:
        """Objective terms besides the log-evidence: the log prior density (MAP-EM), minus the KL
        divergences from the priors (VB), zero (maximum likelihood)."""

    @abc.abstractmethod
    def point(self, parameters: P) -> Any:
        """Point parameters (``natural`` and the latent ones) to report: the parameters
        themselves, or the posterior means of ``q``."""

    def implied_statistics(self, parameters: P, reference: Summary) -> Summary:
        """Statistics whose update gives ``parameters`` back, at the scale of ``reference`` (a
        batch's): where stepwise EM's running average starts when it takes over a fit."""
        raise ValueError("stepwise EM is for inference='em'; variational Bayes steps on q itself")

    def data_weight(self, parameters: P) -> float:
        """The weight of data ``parameters`` already summarise (VB: the posterior's counts)."""
        return 0.0

    def findings(self, summary: Summary) -> Findings:
        """What the update from ``summary`` kept for want of data (default: nothing to report)."""
        return Findings()

    def final_findings(self, summary: Summary) -> Findings:
        """What users should know about the fit's end, ``summary`` being its last E-step
        (default: nothing to report)."""
        return Findings()

    def boundary_report(self, data: Data, parameters: P, summary: Summary, start: P) -> str | None:
        """What the fit left stuck on the boundary of the parameter space although the objective
        rises off it, as text (default: nothing; VB's posteriors keep every value inside)."""
        return None

    # ------------------------------------------------------------------ written once
    def e_step(self, data: Data, parameters: P) -> Summary:
        """One pass over the data (``data.map_sum``, where the rows live): the summed
        log-evidence and statistics under ``parameters``."""
        natural, log_partition, logs = self.e_step_terms(parameters)
        return data.map_sum(
            functools.partial(chunk_e_step, self.structure, data.family, natural, log_partition, logs)
        )

    def summary_of(self, data: Data, responsibilities: Any) -> Summary:
        """The statistics of starting responsibilities: an ``(N, K)`` array, or
        ``assign(chunk) -> (n, K)`` made chunk by chunk where the rows live."""
        if callable(responsibilities):
            return data.map_sum(functools.partial(chunk_summary_of, self.structure, responsibilities))
        return data.map_sum(functools.partial(chunk_summary_of, self.structure, None), responsibilities)

    def objective(self, summary: Summary, parameters: P, data_fraction: float = 1.0) -> float:
        """``log-evidence + data_fraction · penalty``: the fit's objective when the statistics
        cover all the data (``data_fraction=1``), an unbiased estimate of its share otherwise.
        A non-finite value is refused: no fit can continue from it."""
        value = float(summary.log_likelihood) + data_fraction * self.penalty(parameters)
        if not np.isfinite(value):
            raise ValueError(
                f"the {self.objective_name} is not finite ({value}); check the prior "
                f"hyperparameters and the data"
            )
        return value


def _frozen_names(names: Iterable[str]) -> frozenset[str]:  # a typed converter for mypy's attrs plugin
    return frozenset(names)


@attrs.frozen(eq=False)
class ExpectationMaximisation(FitProblem[P]):
    """EM for any structure and family: maximum likelihood, or MAP with a conjugate ``prior`` on
    the emissions and a ``latent_prior`` (the structure's Dirichlet priors: ``DirichletWeights``
    on a mixture's weights, a ``ChainPrior`` on an HMM's start and rows). ``frozen`` names fields
    of the parameter value (``"natural"``, ``"startprob"``, ``"transmat"``...) that keep their
    starting values; ``held`` is a part of every component its family holds while the rest is
    learnt (``mixtures.families.held``: a Gaussian's means)."""

    structure: LatentStructure[Any, Any]
    emission_family: ExponentialFamily
    prior: ConjugatePrior | None = None
    frozen: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_names)
    latent_prior: Any = None
    held: HeldPart | None = None

    @property
    def family(self) -> ExponentialFamily:
        return self.emission_family

    @property
    def has_prior(self) -> bool:
        return self.prior is not None or self.latent_prior is not None

    def objective_description(self) -> str:
        return "log-likelihood + log prior" if self.has_prior else self.objective_name

    def e_step_terms(self, parameters: Any) -> tuple[Array, Array | None, LatentLogs]:
        return parameters.natural, None, self.structure.logs(parameters)

    def _emissions(self, summary: Summary, previous: Array | None) -> Array:
        statistics = summary.emissions
        family = self.emission_family
        if self.held is not None and previous is not None:  # a start holds nothing yet
            natural = self._held_emissions(self.held, statistics, previous)
        elif self.prior is None:
            natural = family.maximum_likelihood(statistics, previous)
        else:
            natural = self.prior.update(statistics).mode()
        return checked_output(family, "mean_to_natural (in the M-step)", natural, statistics.sums.shape)

    def _held_emissions(self, held: HeldPart, statistics: SufficientStatistics, previous: Array) -> Array:
        """The update with ``held``'s part of each component kept at its value in ``previous``."""
        family = self.emission_family
        if self.prior is None:
            return family.maximum_likelihood(held.statistics(family, statistics, previous), previous)
        return held.mode_posterior(self.prior.update(statistics), previous).mode()

    def update(self, summary: Summary, parameters: Any) -> Any:
        keep_emissions = "natural" in self.frozen
        natural = parameters.natural if keep_emissions else self._emissions(summary, parameters.natural)
        new = self.structure.maximised(summary, parameters, natural, self.latent_prior)
        return attrs.evolve(new, **{name: getattr(parameters, name) for name in self.frozen})

    def start(self, summary: Summary) -> Any:
        return self.structure.maximised(summary, None, self._emissions(summary, None), self.latent_prior)

    def penalty(self, parameters: Any) -> float:
        latent = self.structure.latent_log_density(parameters, self.latent_prior)
        if self.prior is None:
            return latent
        return latent + float(self.prior.log_density(parameters.natural).sum())

    def point(self, parameters: Any) -> Any:
        return parameters

    def implied_statistics(self, parameters: Any, reference: Summary) -> Summary:
        means = self.emission_family.natural_to_mean(parameters.natural)
        return self.structure.implied_summary(parameters, means, reference)

    def boundary_report(self, data: Data, parameters: Any, summary: Summary, start: Any) -> str | None:
        stuck, zeros = stuck_on_boundary(self, data, parameters, summary, start)
        return boundary_report(self.family, stuck, zeros, self.structure.unit)

    def findings(self, summary: Summary) -> Findings:
        emptied = () if "natural" in self.frozen else np.flatnonzero(empty_components(summary.emissions))
        never_left: Any = ()  # frozen rows are not re-estimated, so nothing was kept
        if self.structure.row_field not in self.frozen:
            never_left = np.flatnonzero(self.structure.never_left(summary))
        return Findings(frozenset(int(k) for k in emptied), frozenset(int(k) for k in never_left))

    def final_findings(self, summary: Summary) -> Findings:
        if self.prior is not None or "natural" in self.frozen:  # a prior gives them a spread
            return Findings()
        coinciding = self.emission_family.coinciding_components(summary.emissions)
        return Findings(coinciding=frozenset(int(k) for k in np.flatnonzero(coinciding)))


@attrs.frozen(eq=False)
class VariationalBayes(FitProblem[P]):
    """Mean-field VB for any structure and any family with a conjugate prior: ``priors`` is the
    structure's value of distributions (emissions and latent), and so is every ``q``. ``frozen``
    names fields of ``q`` (``"components"``, ``"weights"``, ``"start"``, ``"rows"``) that keep
    their starting values; ``held`` a part of every component held while the rest is learnt
    (``q`` keeps that part's location; ``mixtures.families.held``)."""

    structure: LatentStructure[Any, Any]
    priors: Any
    frozen: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_names)
    held: HeldPart | None = None
    variational: ClassVar[bool] = True
    objective_name: ClassVar[str] = "ELBO"

    @property
    def family(self) -> ExponentialFamily:
        return self.priors.components.family

    @property
    def has_prior(self) -> bool:
        return True

    def e_step_terms(self, parameters: Any) -> tuple[Array, Array | None, LatentLogs]:
        components = parameters.components
        return (
            components.expected_natural(),
            components.expected_log_partition(),
            self.structure.expected_logs(parameters),
        )

    def update(self, summary: Summary, parameters: Any) -> Any:
        new = self.structure.posterior(self.priors, summary)
        if self.held is not None:
            held = self.held.variational_posterior(new.components, parameters.components)
            new = attrs.evolve(new, components=held)
        return attrs.evolve(new, **{name: getattr(parameters, name) for name in self.frozen})

    def start(self, summary: Summary) -> Any:
        return self.structure.posterior(self.priors, summary)

    def penalty(self, parameters: Any) -> float:
        return -(
            float(parameters.components.kl_divergence(self.priors.components))
            + self.structure.latent_kl(parameters, self.priors)
        )

    def point(self, parameters: Any) -> Any:
        return self.structure.point_of(parameters)

    def data_weight(self, parameters: Any) -> float:
        return self.structure.data_weight(parameters, self.priors)
