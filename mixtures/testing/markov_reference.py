"""Reference implementations of the HMM recursions: the test oracle of ``mixtures.latent.markov``.

The textbook log-space recursions in plain numpy, one time step at a time, vectorised across
states and across sequences of equal length. They take and return what the compiled
``forward_backward`` and ``viterbi`` do, and are slow: the library never calls them; tests and
benchmarks compare the compiled kernels with them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mixtures.latent.markov import MarkovPosterior, checked_chain_arrays

__all__ = ["forward_backward_reference", "viterbi_reference"]

Array = NDArray[np.float64]
States = NDArray[np.intp]

def forward_backward_reference(
    log_likelihood: Array, lengths: Any, log_initial: Array, log_transition: Array
) -> MarkovPosterior:
    """Same as ``forward_backward``, in plain numpy and log space (slow; the test oracle).

    The textbook recursions on logarithms, with the forward messages normalised at every step and
    the backward ones divided by the same normalisers, so that magnitudes stay moderate and long
    sequences keep their digits.
    """
    log_likelihood, lengths, log_initial, log_transition = checked_chain_arrays(
        log_likelihood, lengths, log_initial, log_transition
    )
    n_rows, n_states = log_likelihood.shape
    marginals = np.zeros((n_rows, n_states))
    initial_counts = np.zeros((lengths.size, n_states))
    transition_counts = np.zeros((lengths.size, n_states, n_states))
    log_evidence = np.full(lengths.size, -np.inf)
    for group, rows in _groups_of_equal_length(lengths):
        sequence_log_likelihood = log_likelihood[rows]  # (G, length, K)
        n_steps = rows.shape[1]
        log_alpha = np.empty_like(sequence_log_likelihood)  # log p(z_t | x_{≤t})
        log_beta = np.zeros_like(sequence_log_likelihood)  # log p(x_{>t} | z_t) / p(x_{>t} | x_{≤t})
        log_normalisers = np.empty((group.size, n_steps))  # log p(x_t | x_{<t})
        # An impossible sequence's normaliser is −inf from some step on; divide by 1 there instead,
        # which keeps every log-message at −inf or finite (its outputs are zeroed below).
        shifts = np.empty((group.size, n_steps))
        for t in range(n_steps):
            if t == 0:
                joint = log_initial + sequence_log_likelihood[:, 0]
            else:
                predicted = _log_sum_exp_axis(log_alpha[:, t - 1, :, None] + log_transition, axis=1)
                joint = predicted + sequence_log_likelihood[:, t]
            log_normalisers[:, t] = _log_sum_exp_axis(joint, axis=1)
            shifts[:, t] = np.where(np.isfinite(log_normalisers[:, t]), log_normalisers[:, t], 0.0)
            log_alpha[:, t] = joint - shifts[:, t, None]
        for t in range(n_steps - 1, 0, -1):
            log_future = sequence_log_likelihood[:, t] + log_beta[:, t] - shifts[:, t, None]
            log_beta[:, t - 1] = _log_sum_exp_axis(log_transition + log_future[:, None, :], axis=2)
        evidence = log_normalisers.sum(axis=1)
        possible = np.isfinite(evidence)
        smoothed = np.exp(log_alpha + log_beta)
        pair_counts = np.zeros((group.size, n_states, n_states))
        for t in range(1, n_steps):
            log_future = sequence_log_likelihood[:, t] + log_beta[:, t] - shifts[:, t, None]
            pair_counts += np.exp(log_alpha[:, t - 1, :, None] + log_transition + log_future[:, None, :])
        smoothed[~possible] = 0.0
        pair_counts[~possible] = 0.0
        marginals[rows] = smoothed
        initial_counts[group] = smoothed[:, 0]
        transition_counts[group] = pair_counts
        log_evidence[group] = evidence
    return MarkovPosterior(marginals, initial_counts, transition_counts, log_evidence)


def viterbi_reference(
    log_likelihood: Array, lengths: Any, log_initial: Array, log_transition: Array
) -> tuple[States, Array]:
    """Same as ``viterbi``, in plain numpy (slow; the test oracle)."""
    log_likelihood, lengths, log_initial, log_transition = checked_chain_arrays(
        log_likelihood, lengths, log_initial, log_transition
    )
    path = np.zeros(log_likelihood.shape[0], dtype=np.intp)
    log_probability = np.full(lengths.size, -np.inf)
    for group, rows in _groups_of_equal_length(lengths):
        sequence_log_likelihood = log_likelihood[rows]
        n_sequences, n_steps, n_states = sequence_log_likelihood.shape
        best_predecessor = np.zeros((n_sequences, n_steps, n_states), dtype=np.intp)
        score = log_initial + sequence_log_likelihood[:, 0]
        for t in range(1, n_steps):
            candidates = score[:, :, None] + log_transition  # (G, from, to)
            best_predecessor[:, t] = np.argmax(candidates, axis=1)
            score = candidates.max(axis=1) + sequence_log_likelihood[:, t]
        states = np.zeros((n_sequences, n_steps), dtype=np.intp)
        states[:, -1] = np.argmax(score, axis=1)
        every = np.arange(n_sequences)
        for t in range(n_steps - 1, 0, -1):
            states[:, t - 1] = best_predecessor[every, t, states[:, t]]
        best = score.max(axis=1)
        states[best == -np.inf] = 0
        path[rows] = states
        log_probability[group] = best
    return path, log_probability


def _groups_of_equal_length(lengths: NDArray[np.int64]) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Per distinct length: the sequences' indices ``(G,)`` and their row indices ``(G, length)``."""
    starts = np.cumsum(lengths) - lengths
    groups = []
    for length in np.unique(lengths):
        group = np.flatnonzero(lengths == length)
        groups.append((group, starts[group][:, None] + np.arange(length)))
    return groups


def _log_sum_exp_axis(values: Array, axis: int) -> Array:
    """``log Σ exp`` along ``axis``, −inf where every term is −inf (no warnings, no NaN)."""
    top = values.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        result: Array = np.log(np.exp(values - top).sum(axis=axis)) + np.squeeze(top, axis=axis)
    return result
