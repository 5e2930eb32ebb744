"""The plain-text summary of a fitted model: what ``Mixture.summary``, ``HMM.summary`` and the
command line print."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["format_parameters", "summary"]

Array = NDArray[np.float64]

MAX_SHOWN_VALUES = 6


def compact(values: Any) -> str:
    """An array on one line, three significant digits, long ones elided in the middle."""
    array = np.asarray(values, dtype=np.float64)
    text = np.array2string(
        array, precision=3, separator=", ", threshold=MAX_SHOWN_VALUES, edgeitems=2,
        max_line_width=10_000, suppress_small=True, floatmode="maxprec",
    )
    return " ".join(text.split())


def format_parameters(components: Any) -> tuple[list[str], list[str]]:
    """Each component's parameters on one line, and the lines of parameters all components
    share (a tied covariance): the family's conventional parameters
    (``Components.conventional_parameters``)."""
    n_components = len(components)
    per_component: list[list[str]] = [[] for _ in range(n_components)]
    shared: list[str] = []
    for key, values in components.conventional_parameters().items():
        name = key.replace("_", " ")  # "mean parameters" for a family without conventional names
        values = np.asarray(values)
        tied = name == "covariance" and values.ndim == 2  # one (D, D) matrix for all components
        if tied or values.ndim == 0 or values.shape[0] != n_components:
            shared.append(f"{name} (shared) {compact(values)}")
            continue
        for k in range(n_components):
            per_component[k].append(f"{name} {compact(values[k])}")
    return ["  ".join(parts) for parts in per_component], shared


def _inference_name(model: Any) -> str:
    if hasattr(model, "posterior_"):
        return "variational Bayes"
    return "MAP-EM" if model.prior is not None else "EM"


def summary(
    model: Any, x: Any = None, lengths: NDArray[np.intp] | None = None, seconds: float | None = None
) -> str:
    """A few lines on the fit of ``model`` (to ``x``) and a table of its components.

    Parameters
    ----------
    model : fitted Mixture or HMM
    x : the data it was fitted to, or ``None``: then the lines that need the data (its size, the
        total objective, BIC and AIC) are left out
    lengths : sequence lengths, for an HMM
    seconds : how long the fit took, optional
    """
    is_hmm = hasattr(model, "transmat_")
    n_components = len(model.startprob_) if is_hmm else len(model.components_)
    unit = "state" if is_hmm else "component"
    mix_weights = getattr(model, "mix_weights_", None)  # an HMM whose states emit mixtures
    if x is None:
        data = f"to data of {model.n_features_in_} features"
    else:
        n_rows, n_features = x.shape
        sequences = "" if not is_hmm else f" in {1 if lengths is None else len(lengths)} sequence(s)"
        data = f"to {n_rows} rows × {n_features} features{sequences}"
    variational = hasattr(model, "posterior_")
    objective = "ELBO" if variational else "log-likelihood"
    if not variational and model.prior is not None:
        objective = "log-likelihood + log prior"
    timing = "" if seconds is None else f" in {seconds:.2f} s"
    lines = [
        f"{'HMM' if is_hmm else 'Mixture'} of {n_components} {model.family_.name} {unit}"
        f"{'s' if n_components != 1 else ''}, fitted by "
        f"{_inference_name(model)} {data}{timing}",
        f"converged: {'yes' if model.converged_ else 'no'} after {model.n_iter_} "
        f"iteration{'s' if model.n_iter_ != 1 else ''} "
        f"(best of {model.n_init} run{'s' if model.n_init > 1 else ''})",
        f"{objective}: {model.lower_bound_:.6g} per row"
        + ("" if x is None else f", {model.lower_bound_ * n_rows:.6g} in total"),
    ]
    if x is not None and not variational:
        by_sequence = {"lengths": lengths} if is_hmm else {}
        lines.append(
            f"BIC: {model.bic(x, **by_sequence):.6g}   AIC: {model.aic(x, **by_sequence):.6g}   "
            f"free parameters: {model.n_parameters()}"
        )
    elif hasattr(model, "n_effective_components_"):
        lines.append(
            f"effective components: {model.n_effective_components_} of {n_components} "
            f"(those with at least 1% of the data)"
        )
    lines.append("")

    parameters, shared = format_parameters(model.components_)
    weights = model.startprob_ if is_hmm else model.weights_
    weight_name = "start" if is_hmm else "weight"
    in_use = getattr(model, "effective_components_", np.ones(n_components, dtype=bool))
    if mix_weights is None:
        lines.append(f"{unit:>9}  {weight_name:>7}  parameters")
        for k in range(n_components):
            unused = "" if in_use[k] else "  (unused)"
            lines.append(f"{k:>9}  {weights[k]:7.3f}  {parameters[k]}{unused}")
    else:  # state k's component m is components_[k·M + m]
        n_mix = mix_weights.shape[1]
        lines.append(f"{unit:>9}  {weight_name:>7}  {'component':>9}  {'weight':>7}  parameters")
        for k in range(n_components):
            for m in range(n_mix):
                state = f"{k:>9}  {weights[k]:7.3f}" if m == 0 else " " * 18
                lines.append(f"{state}  {m:>9}  {mix_weights[k, m]:7.3f}  {parameters[k * n_mix + m]}")
    lines.extend(shared)
    if is_hmm:
        lines.append("")
        lines.append("transition matrix (row: from, column: to):")
        for k in range(n_components):
            lines.append(f"{k:>9}  " + " ".join(f"{p:7.3f}" for p in model.transmat_[k]))
    return "\n".join(lines)
