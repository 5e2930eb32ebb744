"""Model selection: fit a grid of sizes and families, tabulate the criteria, keep the best."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from mixtures.exceptions import ConvergenceWarning
from mixtures.families.base import ExponentialFamily
from mixtures.inference.sources import rows_of
from mixtures.models._latent_model import MISSING_VALUES, resolve_inference
from mixtures.models.hmm import HMM
from mixtures.models.mixture import Mixture

__all__ = ["CRITERIA", "Candidate", "Selection", "select_model"]

#: Criteria to minimise (BIC, AIC, ICL) or maximise (the ELBO, for VB fits).
CRITERIA = ("bic", "aic", "icl", "elbo")


@attrs.frozen
class Candidate:
    """One fitted model of the grid and its scores (totals over all rows)."""

    family: str
    size: int
    log_likelihood: float
    n_parameters: int
    bic: float
    aic: float
    icl: float
    elbo: float | None
    converged: bool
    model: Any = attrs.field(repr=False, eq=False)


@attrs.frozen
class Selection:
    """The grid's candidates, the criterion used and the best candidate."""

    candidates: tuple[Candidate, ...]
    criterion: str
    best: Candidate

    def table(self) -> str:
        """The candidates as a plain-text table, the best marked with ``*``."""
        header = (
            f"{'family':<24}{'size':>5}{'log-lik':>13}{'params':>8}"
            f"{'BIC':>13}{'AIC':>13}{'ICL':>13}{'ELBO':>13}"
        )
        lines = [header]
        for c in self.candidates:
            elbo = "" if c.elbo is None else f"{c.elbo:13.2f}"
            mark = " *" if c is self.best else ""
            lines.append(
                f"{c.family[:23]:<24}{c.size:>5}{c.log_likelihood:13.2f}{c.n_parameters:>8}"
                f"{c.bic:13.2f}{c.aic:13.2f}{c.icl:13.2f}{elbo:>13}{mark}"
            )
        return "\n".join(lines)


def _entropy(probabilities: np.ndarray) -> float:
    """``−Σ r log r`` over all rows and states (0 log 0 = 0)."""
    positive = probabilities[probabilities > 0]
    return float(-(positive * np.log(positive)).sum())


def _sizes(sizes: Any) -> list[int]:
    """``sizes`` as a non-empty list of integers >= 1; nothing is rounded (2.7 is refused)."""
    expected = "sizes must be a non-empty sequence of integers >= 1 (e.g. range(1, 9))"
    if isinstance(sizes, str) or not isinstance(sizes, Iterable):
        raise ValueError(f"{expected}; got {sizes!r}")
    values = list(sizes)
    if not values:
        raise ValueError(f"{expected}; got an empty sequence")
    for position, size in enumerate(values):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"{expected}; got {size!r} at position {position}")
    return [int(size) for size in values]


def select_model(
    X: Any,
    sizes: Iterable[int],
    families: Sequence[ExponentialFamily | str] | None = None,
    *,
    estimator: type[Mixture] | type[HMM] = Mixture,
    criterion: str = "bic",
    lengths: Any = None,
    **estimator_params: Any,
) -> Selection:
    """Fit ``estimator`` for every family and size in the grid and keep the best by ``criterion``.

    Degrees of freedom come from each family (``n_free_parameters``), so custom families work as
    well as the built-in ones. ``estimator_params`` (``n_init``, ``random_state``, ``inference``,
    ``prior``...) are passed to every fit; ``lengths`` marks sequences for an ``HMM``.

    Criteria, as totals over all rows: BIC ``−2 log L + p log N``, AIC ``−2 log L + 2p`` and ICL
    (BIC plus twice the entropy of the posterior assignments: it also penalises overlap) are
    minimised; the ELBO (VB fits only) is maximised.
    """
    # checked once; a dask.array stays one. With missing values each fit gets them as given
    # (a bad ``missing`` value is named by the first fit)
    rows = rows_of(X, missing=MISSING_VALUES.get(estimator_params.get("missing", "raise"), False))
    x = X if rows.missing is not None else rows.x
    n_samples = rows.n_samples
    sizes = _sizes(sizes)
    if isinstance(families, str | ExponentialFamily):  # one family, not a sequence of letters
        families = [families]
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}; got {criterion!r}")
    if criterion == "elbo" and not resolve_inference(estimator_params.get("inference", "em")).variational:
        raise ValueError("criterion='elbo' needs inference='vb'")
    if estimator not in (Mixture, HMM):
        raise ValueError(f"estimator must be Mixture or HMM; got {estimator!r}")
    size_name = "n_states" if estimator is HMM else "n_components"
    sequence_args = {"lengths": lengths} if estimator is HMM else {}
    candidates = []
    for family in families if families is not None else [None]:
        for size in sizes:
            params: dict[str, Any] = {size_name: size, **estimator_params}
            model: Any = estimator(family, **params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(x, **sequence_args)
            total = model.score(x, **sequence_args)
            if estimator is Mixture:
                total *= n_samples  # Mixture.score is per row; HMM.score is the total
            n_parameters = model.n_parameters()
            bic = -2 * total + n_parameters * np.log(n_samples)
            entropy = _entropy(model.predict_proba(x, **sequence_args))
            candidates.append(
                Candidate(
                    family=model.family_.name,
                    size=size,
                    log_likelihood=float(total),
                    n_parameters=n_parameters,
                    bic=float(bic),
                    aic=float(-2 * total + 2 * n_parameters),
                    icl=float(bic + 2 * entropy),
                    elbo=float(model.lower_bound_ * n_samples) if hasattr(model, "posterior_") else None,
                    converged=bool(model.converged_),
                    model=model,
                )
            )
    if criterion == "elbo":
        best = max(candidates, key=lambda c: c.elbo if c.elbo is not None else -np.inf)
    else:
        best = min(candidates, key=lambda c: getattr(c, criterion))
    return Selection(tuple(candidates), criterion, best)
