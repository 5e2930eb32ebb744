"""The hidden Markov chain as pure functions of the (T, K) state log-likelihood matrix.

Several sequences are stacked along the rows (hmmlearn's convention) and described by ``lengths``,
an integer array of positive entries summing to ``T``. The chain's parameters enter as logarithms and
need not be normalised: under variational Bayes they are ``E_q[log π]`` and ``E_q[log A]``, whose
exponentials sum to less than one, and the "evidence" is then the corresponding weighted sum over
paths ``Σ_z exp(log_initial[z_0] + Σ_t log_transition[z_{t−1}, z_t] + Σ_t log_likelihood[t, z_t])``.
The recursions never renormalise them. Entries may be −inf (structural zeros, e.g. left-to-right
chains); a sequence whose every path has weight zero gets ``log_evidence = −inf`` and zero
marginals and counts, never NaN.

``forward_backward`` and ``viterbi`` run numba-compiled kernels (``mixtures.latent.markov_kernels``,
imported on first use so that ``import mixtures`` does not import numba), one call for all
sequences. Forward–backward is scaled (each row's likelihoods relative to its maximum, each step's
filtered distribution normalised) and falls back, per sequence, to a log-space recursion when
scaling cannot be trusted. Viterbi works in log space throughout. ``log_evidence`` gives the
log-evidence alone, mostly from the forward pass (for scoring). The plain numpy versions they are
tested against are in ``mixtures.testing.markov_reference``.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures._arrays import float_array

__all__ = [
    "MarkovPosterior",
    "checked_chain_arrays",
    "forward_backward",
    "log_evidence",
    "sample_path",
    "viterbi",
]

Array = NDArray[np.float64]
States = NDArray[np.intp]


@attrs.frozen(eq=False)
class MarkovPosterior:
    """Posterior over the hidden state path of each sequence.

    ``marginals[t, k] = p(z_t = k | x)`` for every row; per sequence ``s``,
    ``initial_counts[s, k] = p(z_0 = k | x^(s))``,
    ``transition_counts[s, i, j] = Σ_t p(z_{t−1} = i, z_t = j | x^(s))`` and
    ``log_evidence[s] = log p(x^(s))`` (−inf if the sequence is impossible; its rows and counts are 0).
    """

    marginals: Array = attrs.field(converter=float_array)
    initial_counts: Array = attrs.field(converter=float_array)
    transition_counts: Array = attrs.field(converter=float_array)
    log_evidence: Array = attrs.field(converter=float_array)


def forward_backward(
    log_likelihood: Array, lengths: Any, log_initial: Array, log_transition: Array
) -> MarkovPosterior:
    """Marginals, initial and transition counts, and log-evidence of every sequence (compiled).

    ``log_likelihood`` is ``(T, K)``: ``log p(x_t | z_t = k)`` (plus anything constant per row);
    ``lengths`` ``(S,)`` splits the rows into sequences; ``log_initial`` ``(K,)`` and
    ``log_transition`` ``(K, K)`` (row: from, column: to) are log-weights, normalised or not.
    """
    from mixtures.latent import markov_kernels  # numba, imported on first use

    arrays = checked_chain_arrays(log_likelihood, lengths, log_initial, log_transition)
    return MarkovPosterior(*markov_kernels.posterior(*arrays))


def viterbi(
    log_likelihood: Array, lengths: Any, log_initial: Array, log_transition: Array
) -> tuple[States, Array]:
    """The most likely state path of every sequence (concatenated, ``(T,)``) and its log-weight ``(S,)``.

    Compiled. Ties go to the lowest state index. An impossible sequence gets log-weight −inf and
    an all-zero path.
    """
    from mixtures.latent import markov_kernels

    arrays = checked_chain_arrays(log_likelihood, lengths, log_initial, log_transition)
    return markov_kernels.best_paths(*arrays)


def log_evidence(log_likelihood: Array, lengths: Any, log_initial: Array, log_transition: Array) -> Array:
    """``log p(x^(s))`` per sequence, from the scaled forward pass alone where that suffices.

    Compiled, O(K) memory, about half the work of ``forward_backward``. A sequence in which the
    forward pass may have lost mass to underflow (a state able to emit a row kept less than e^−640
    of the filtered probability, as left-to-right chains and far-apart states do, or parameters
    below e^−640 relative to the largest) is redone with the full, checked recursion.
    """
    from mixtures.latent import markov_kernels

    arrays = checked_chain_arrays(log_likelihood, lengths, log_initial, log_transition)
    return markov_kernels.evidence(*arrays)


def sample_path(startprob: Array, transmat: Array, uniforms: Array) -> States:
    """A state path of ``len(uniforms)`` steps: ``z_0`` from ``startprob``, then each ``z_t`` from
    row ``z_{t−1}`` of ``transmat``, each draw inverting a cumulative row at one uniform (compiled:
    the chain is sequential, so the loop over time runs in machine code)."""
    from mixtures.latent import markov_kernels

    cumulative_start = np.ascontiguousarray(np.cumsum(startprob), dtype=np.float64)
    cumulative_rows = np.ascontiguousarray(np.cumsum(transmat, axis=1), dtype=np.float64)
    uniforms = np.ascontiguousarray(uniforms, dtype=np.float64)
    assert cumulative_rows.shape == (cumulative_start.shape[0],) * 2, "transmat must be (K, K)"
    return markov_kernels.path_of(cumulative_start, cumulative_rows, uniforms)


def checked_chain_arrays(
    log_likelihood: Any, lengths: Any, log_initial: Any, log_transition: Any
) -> tuple[Array, NDArray[np.int64], Array, Array]:
    """The chain's inputs as contiguous float64 / int64 copies (or views) with consistent shapes,
    as the kernels expect: ``(T, K)`` log-likelihoods, lengths summing to ``T``, ``(K,)`` and
    ``(K, K)`` log parameters (asserted: callers are the library's own drivers)."""
    log_likelihood = np.ascontiguousarray(log_likelihood, dtype=np.float64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    log_initial = np.ascontiguousarray(log_initial, dtype=np.float64)
    log_transition = np.ascontiguousarray(log_transition, dtype=np.float64)
    assert log_likelihood.ndim == 2, "log_likelihood must be (T, K)"
    n_states = log_likelihood.shape[1]
    assert lengths.ndim == 1 and int(lengths.sum()) == log_likelihood.shape[0], "lengths must sum to T"
    assert lengths.size == 0 or int(lengths.min()) >= 1, "every sequence needs at least one row"
    assert log_initial.shape == (n_states,), "log_initial must be (K,)"
    assert log_transition.shape == (n_states, n_states), "log_transition must be (K, K)"
    return log_likelihood, lengths, log_initial, log_transition
