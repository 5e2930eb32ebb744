"""The hidden Markov chain as pure functions of the (T, K) state log-likelihood matrix.

Several sequences are stacked along the rows (hmmlearn's convention) and described by ``lengths``,
an integer array of positive entries summing to ``T``. The chain's parameters enter as logarithms and
need not be normalised: under variational Bayes they are ``E_q[log π]`` and ``E_q[log A]``, whose
exponentials sum to less than one, and the "evidence" is then the corresponding weighted sum over
paths ``Σ_z exp(log_initial[z_0] + Σ_t log_transition[z_{t−1}, z_t] + Σ_t log_likelihood[t, z_t])``.
The recursions never renormalise them. Entries may be −inf (structural zeros, e.g. left-to-right
chains); a sequence whose every path has weight zero gets ``log_evidence = −inf`` and zero
marginals and counts, never NaN.

``forward_backward`` and ``viterbi`` are numba-compiled kernels, one call for all sequences.
Forward–backward is scaled (each row's likelihoods relative to its maximum, each step's filtered
distribution normalised) and falls back, per sequence, to a log-space recursion when scaling cannot
be trusted (see ``_scaled_forward_backward``). Viterbi works in log space throughout.
``log_evidence`` gives the log-evidence alone, mostly from the forward pass (for scoring). The plain
numpy versions they are tested against are in ``mixtures.testing.markov_reference``.
"""

from __future__ import annotations

from typing import Any

import attrs
import numba
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

# Factors below this (≈ e^−640) may lose digits in products or underflow: the forward pass drops
# them and the backward pass rebuilds the terms they enter from logarithms where that can matter.
_LOG_SMALLEST_RELIABLE = -640.0
_SMALLEST_RELIABLE = float(np.exp(_LOG_SMALLEST_RELIABLE))
# A dropped factor (< e^−640) multiplied by less than this stays below e^−180 of the total: the
# backward pass rebuilds it only when multiplied by more (saves its logarithms almost always).
_NEGLIGIBLE_UNLESS_AMPLIFIED_BY = 1e200
# A step normaliser below this leaves the filtered probabilities with too few significant digits
# (their terms would be subnormal), so the sequence is redone in log space.
_SMALLEST_TRUSTED_NORMALISER = 1e-250
# Σ_k alpha_t(k) beta_t(k) is 1 at every t in exact arithmetic; a larger gap means probability
# mass that underflowed in the forward pass mattered later (or beta overflowed): redo in log space.
_CONSISTENCY_TOLERANCE = 1e-9


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
    arrays = checked_chain_arrays(log_likelihood, lengths, log_initial, log_transition)
    return MarkovPosterior(*_forward_backward_kernel(*arrays))


def viterbi(
    log_likelihood: Array, lengths: Any, log_initial: Array, log_transition: Array
) -> tuple[States, Array]:
    """The most likely state path of every sequence (concatenated, ``(T,)``) and its log-weight ``(S,)``.

    Compiled. Ties go to the lowest state index. An impossible sequence gets log-weight −inf and
    an all-zero path.
    """
    arrays = checked_chain_arrays(log_likelihood, lengths, log_initial, log_transition)
    path, log_probability = _viterbi_kernel(*arrays)
    return path, log_probability


def log_evidence(
    log_likelihood: Array, lengths: Any, log_initial: Array, log_transition: Array
) -> Array:
    """``log p(x^(s))`` per sequence, from the scaled forward pass alone where that suffices.

    Compiled, O(K) memory, about half the work of ``forward_backward``. A sequence in which the
    forward pass may have lost mass to underflow (a state able to emit a row kept less than e^−640
    of the filtered probability, as left-to-right chains and far-apart states do, or parameters
    below e^−640 relative to the largest) is redone with the full, checked recursion.
    """
    arrays = checked_chain_arrays(log_likelihood, lengths, log_initial, log_transition)
    result: Array = _forward_kernel(*arrays)
    return result


def sample_path(startprob: Array, transmat: Array, uniforms: Array) -> States:
    """A state path of ``len(uniforms)`` steps: ``z_0`` from ``startprob``, then each ``z_t`` from
    row ``z_{t−1}`` of ``transmat``, each draw inverting a cumulative row at one uniform (compiled:
    the chain is sequential, so the loop over time runs in machine code)."""
    cumulative_start = np.ascontiguousarray(np.cumsum(startprob), dtype=np.float64)
    cumulative_rows = np.ascontiguousarray(np.cumsum(transmat, axis=1), dtype=np.float64)
    uniforms = np.ascontiguousarray(uniforms, dtype=np.float64)
    assert cumulative_rows.shape == (cumulative_start.shape[0],) * 2, "transmat must be (K, K)"
    path: States = _sample_path_kernel(cumulative_start, cumulative_rows, uniforms)
    return path


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


# ---------------------------------------------------------------------------------------------
# Compiled kernels. Loops are explicit so that numba keeps everything in registers and cache;
# each sequence is processed in one pass forward and one backward with O(K) extra state besides
# the (T, K) output and one (T, K) buffer of scaled likelihoods.
# ---------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _reliable_weights(log_weights: Array) -> tuple[Array, Array, float]:
    """Parameters for the scaled recursions: ``(shifted logs, weights, shift)``.

    ``shift`` is the largest log-weight (0 if all are −inf), so the weights ``exp(log − shift)``
    are at most 1 and cannot overflow; it is added back to the log-evidence. Weights too small to
    be carried reliably through products are set to 0 here; the backward pass adds them back from
    their logarithms.
    """
    shift = float(np.max(log_weights))
    if not np.isfinite(shift):
        shift = 0.0
    shifted = log_weights - shift
    weights = np.where(shifted >= _LOG_SMALLEST_RELIABLE, np.exp(shifted), 0.0)
    return shifted, weights, shift


@numba.njit(cache=True)
def _weak_transitions(
    shifted_log_transition: Array,
) -> tuple[NDArray[np.int64], NDArray[np.int64], Array]:
    """The allowed transitions whose weight is below the reliable range: (from, to, log-weight)."""
    n_states = shifted_log_transition.shape[0]
    count = 0
    for i in range(n_states):
        for j in range(n_states):
            if -np.inf < shifted_log_transition[i, j] < _LOG_SMALLEST_RELIABLE:
                count += 1
    origins = np.empty(count, dtype=np.int64)
    destinations = np.empty(count, dtype=np.int64)
    log_weights = np.empty(count)
    count = 0
    for i in range(n_states):
        for j in range(n_states):
            if -np.inf < shifted_log_transition[i, j] < _LOG_SMALLEST_RELIABLE:
                origins[count] = i
                destinations[count] = j
                log_weights[count] = shifted_log_transition[i, j]
                count += 1
    return origins, destinations, log_weights


@numba.njit(cache=True)
def _forward_backward_kernel(
    log_likelihood: Array, lengths: NDArray[np.int64], log_initial: Array, log_transition: Array
) -> tuple[Array, Array, Array, Array]:
    n_rows, n_states = log_likelihood.shape
    n_sequences = lengths.shape[0]
    marginals = np.empty((n_rows, n_states))
    scaled_likelihood = np.empty((n_rows, n_states))
    row_maxima = np.empty(n_rows)
    normalisers = np.empty(n_rows)
    initial_counts = np.zeros((n_sequences, n_states))
    transition_counts = np.zeros((n_sequences, n_states, n_states))
    log_evidence = np.empty(n_sequences)
    shifted_log_initial, initial_weights, initial_shift = _reliable_weights(log_initial)
    shifted_log_transition, transition_weights, transition_shift = _reliable_weights(log_transition)
    weak_origins, weak_destinations, weak_log_weights = _weak_transitions(shifted_log_transition)
    start = 0
    for sequence in range(n_sequences):
        stop = start + lengths[sequence]
        counts = transition_counts[sequence]
        evidence, trusted = _scaled_forward_backward(
            log_likelihood[start:stop],
            shifted_log_initial,
            initial_weights,
            transition_weights,
            weak_origins,
            weak_destinations,
            weak_log_weights,
            marginals[start:stop],
            scaled_likelihood[start:stop],
            row_maxima[start:stop],
            normalisers[start:stop],
            counts,
        )
        if trusted:
            evidence += initial_shift + (stop - start - 1) * transition_shift
        else:
            counts[:, :] = 0.0
            evidence = _log_space_forward_backward(
                log_likelihood[start:stop],
                log_initial,
                log_transition,
                marginals[start:stop],
                normalisers[start:stop],
                counts,
            )
        initial_counts[sequence] = marginals[start]
        log_evidence[sequence] = evidence
        start = stop
    return marginals, initial_counts, transition_counts, log_evidence


@numba.njit(cache=True)
def _scaled_forward(
    log_likelihood: Array,
    initial_weights: Array,
    transition_weights: Array,
    filtered: Array,
    scaled_likelihood: Array,
    row_maxima: Array,
    normalisers: Array,
) -> tuple[float, bool, bool]:
    """Scaled forward pass over one sequence: ``filtered[t] = p(z_t | x_{≤t})``.

    ``scaled_likelihood[t] = exp(log_likelihood[t] − row_maxima[t])`` and the step normalisers are
    kept for the backward pass. Buffers of two rows (instead of one per step) make it keep only
    the latest steps, for the log-evidence alone. Returns the log-evidence (without the
    parameters' shifts), whether every normaliser was large enough to trust, and whether mass may
    have been lost to underflow (some filtered probability of a state able to emit its row fell
    below the reliable range: a structural zero, or a truncated value only the backward pass can
    judge).
    """
    n_steps, n_states = log_likelihood.shape
    keep_all = filtered.shape[0] == n_steps
    log_evidence = 0.0
    maybe_lost = False
    for t in range(n_steps):
        row = t if keep_all else t & 1
        previous_row = t - 1 if keep_all else row ^ 1
        row_max = -np.inf
        for k in range(n_states):
            row_max = max(row_max, log_likelihood[t, k])
        if row_max == -np.inf:  # no state can emit this row: impossible (log space confirms)
            return -np.inf, False, True
        row_maxima[row] = row_max
        for k in range(n_states):
            # Unreliable values become exact zeros (the backward pass rebuilds what matters):
            # subnormal arithmetic would cost ~100 cycles per operation.
            relative = log_likelihood[t, k] - row_max
            scaled_likelihood[row, k] = np.exp(relative) if relative >= _LOG_SMALLEST_RELIABLE else 0.0
        if t == 0:
            for k in range(n_states):
                filtered[row, k] = initial_weights[k] * scaled_likelihood[row, k]
        else:
            for k in range(n_states):
                filtered[row, k] = 0.0
            for i in range(n_states):
                previous = filtered[previous_row, i]
                for j in range(n_states):
                    filtered[row, j] += previous * transition_weights[i, j]
            for k in range(n_states):
                filtered[row, k] *= scaled_likelihood[row, k]
        normaliser = 0.0
        for k in range(n_states):
            normaliser += filtered[row, k]
        if not normaliser >= _SMALLEST_TRUSTED_NORMALISER:
            return -np.inf, False, True
        inverse = 1.0 / normaliser
        for k in range(n_states):
            filtered[row, k] *= inverse
            if filtered[row, k] < _SMALLEST_RELIABLE and log_likelihood[t, k] > -np.inf:
                maybe_lost = True
        normalisers[row] = normaliser
        log_evidence += np.log(normaliser) + row_max
    return log_evidence, True, maybe_lost


@numba.njit(cache=True)
def _scaled_forward_backward(
    log_likelihood: Array,
    shifted_log_initial: Array,
    initial_weights: Array,
    transition_weights: Array,
    weak_origins: NDArray[np.int64],
    weak_destinations: NDArray[np.int64],
    weak_log_weights: Array,
    marginals: Array,
    scaled_likelihood: Array,
    row_maxima: Array,
    normalisers: Array,
    counts: Array,
) -> tuple[float, bool]:
    """Scaled forward–backward over one sequence, accumulating transition counts into ``counts``.

    ``marginals`` holds the filtered distributions after the forward pass and is overwritten, row
    by row from the end, with the smoothed ones. ``beta_t(k) = p(x_{>t} | z_t = k) / p(x_{>t} | x_{≤t})``
    needs only two vectors.

    Why the result can be trusted: Σ_k alpha_t(k) beta_t(k) = 1 at every t in exact arithmetic.
    The forward pass may lose mass that underflows (a likelihood far below its row's maximum, a
    tiny parameter, a tiny product); such mass can dominate later only through a large beta. The
    backward pass rebuilds from logarithms every term with an unreliable factor that a large beta
    could make count, so lost forward mass shows up as Σ_k alpha_t(k) beta_t(k) exceeding 1 (or
    as inf/NaN if beta overflows). Mass the backward pass itself loses to underflow is below
    e^−700 of the total (the filtered probabilities it multiplies are at most 1): harmless.

    Returns ``(log_evidence, trusted)``; when not trusted the outputs are garbage and the caller
    redoes the sequence in log space.
    """
    log_evidence, trusted, _ = _scaled_forward(
        log_likelihood,
        initial_weights,
        transition_weights,
        marginals,
        scaled_likelihood,
        row_maxima,
        normalisers,
    )
    if not trusted:
        return log_evidence, False
    n_steps, n_states = log_likelihood.shape
    beta = np.ones(n_states)
    previous_beta = np.empty(n_states)
    weighted_future = np.empty(n_states)
    for t in range(n_steps - 1, -1, -1):
        total = 0.0
        for k in range(n_states):
            smoothed = marginals[t, k] * beta[k]
            marginals[t, k] = smoothed
            total += smoothed
        if not abs(total - 1.0) <= _CONSISTENCY_TOLERANCE:  # NaN-safe: catches 0 · inf too
            return -np.inf, False
        inverse = 1.0 / total
        for k in range(n_states):
            marginals[t, k] *= inverse
        if t == 0:
            break
        inverse_normaliser = 1.0 / normalisers[t]
        for j in range(n_states):
            amplification = beta[j] * inverse_normaliser
            if scaled_likelihood[t, j] > 0.0 or not amplification > _NEGLIGIBLE_UNLESS_AMPLIFIED_BY:
                weighted_future[j] = scaled_likelihood[t, j] * amplification
            else:
                weighted_future[j] = np.exp(
                    log_likelihood[t, j] - row_maxima[t] + np.log(beta[j]) - np.log(normalisers[t])
                )
        for i in range(n_states):
            filtered_before = marginals[t - 1, i]  # row t − 1 still holds the filtered distribution
            accumulated = 0.0
            for j in range(n_states):
                term = transition_weights[i, j] * weighted_future[j]
                accumulated += term
                counts[i, j] += filtered_before * term
            previous_beta[i] = accumulated
        for weak in range(weak_log_weights.shape[0]):
            destination = weak_destinations[weak]
            if weighted_future[destination] > _NEGLIGIBLE_UNLESS_AMPLIFIED_BY:
                origin = weak_origins[weak]
                term = np.exp(weak_log_weights[weak] + np.log(weighted_future[destination]))
                previous_beta[origin] += term
                counts[origin, destination] += marginals[t - 1, origin] * term
        beta, previous_beta = previous_beta, beta
    # The same sum one step before the start, with the initial weights rebuilt exactly: it exceeds
    # 1 by the first row's lost mass.
    before_start = 0.0
    for k in range(n_states):
        if initial_weights[k] > 0.0 and scaled_likelihood[0, k] > 0.0:
            before_start += initial_weights[k] * (scaled_likelihood[0, k] * beta[k] / normalisers[0])
        else:
            before_start += np.exp(
                shifted_log_initial[k]
                + log_likelihood[0, k]
                - row_maxima[0]
                + np.log(beta[k])
                - np.log(normalisers[0])
            )
    if not abs(before_start - 1.0) <= _CONSISTENCY_TOLERANCE:
        return -np.inf, False
    return log_evidence, True


@numba.njit(cache=True)
def _log_sum_exp(values: Array) -> float:
    top = np.max(values)
    if top == -np.inf:
        return -np.inf
    total = 0.0
    for value in values:
        total += np.exp(value - top)
    return float(np.log(total) + top)


@numba.njit(cache=True)
def _log_space_forward_backward(
    log_likelihood: Array,
    log_initial: Array,
    log_transition: Array,
    marginals: Array,
    log_normalisers: Array,
    counts: Array,
) -> float:
    """Forward–backward over one sequence with log-probabilities throughout (the robust fallback).

    The same recursion as the scaled one, on logarithms: ``marginals`` first holds
    ``log p(z_t | x_{≤t})``, normalised at every step (which keeps magnitudes moderate on long
    sequences), and ``log beta`` needs only two vectors. Impossible sequences get zero marginals
    and counts and −inf.
    """
    n_steps, n_states = log_likelihood.shape
    terms = np.empty(n_states)
    log_evidence = 0.0
    for t in range(n_steps):
        for j in range(n_states):
            if t == 0:
                marginals[0, j] = log_initial[j] + log_likelihood[0, j]
            else:
                for i in range(n_states):
                    terms[i] = marginals[t - 1, i] + log_transition[i, j]
                marginals[t, j] = _log_sum_exp(terms) + log_likelihood[t, j]
        log_normaliser = _log_sum_exp(marginals[t])
        if log_normaliser == -np.inf:
            marginals[:, :] = 0.0
            counts[:, :] = 0.0
            return -np.inf
        for k in range(n_states):
            marginals[t, k] -= log_normaliser
        log_normalisers[t] = log_normaliser
        log_evidence += log_normaliser
    log_beta = np.zeros(n_states)
    previous_log_beta = np.empty(n_states)
    log_future = np.empty(n_states)
    for t in range(n_steps - 1, -1, -1):
        total = 0.0
        for k in range(n_states):
            smoothed = np.exp(marginals[t, k] + log_beta[k])
            marginals[t, k] = smoothed
            total += smoothed
        for k in range(n_states):
            marginals[t, k] /= total
        if t == 0:
            break
        for j in range(n_states):
            log_future[j] = log_likelihood[t, j] + log_beta[j] - log_normalisers[t]
        for i in range(n_states):
            log_alpha_before = marginals[t - 1, i]
            for j in range(n_states):
                terms[j] = log_transition[i, j] + log_future[j]
                counts[i, j] += np.exp(log_alpha_before + terms[j])
            previous_log_beta[i] = _log_sum_exp(terms)
        log_beta, previous_log_beta = previous_log_beta, log_beta
    return log_evidence


@numba.njit(cache=True)
def _forward_kernel(
    log_likelihood: Array, lengths: NDArray[np.int64], log_initial: Array, log_transition: Array
) -> Array:
    n_states = log_likelihood.shape[1]
    n_sequences = lengths.shape[0]
    shifted_log_initial, initial_weights, initial_shift = _reliable_weights(log_initial)
    shifted_log_transition, transition_weights, transition_shift = _reliable_weights(log_transition)
    weak_origins, weak_destinations, weak_log_weights = _weak_transitions(shifted_log_transition)
    weak_parameters = weak_log_weights.shape[0] > 0
    for k in range(n_states):
        weak_parameters |= -np.inf < shifted_log_initial[k] < _LOG_SMALLEST_RELIABLE
    latest_filtered = np.empty((2, n_states))
    latest_scaled_likelihood = np.empty((2, n_states))
    latest_row_maxima = np.empty(2)
    latest_normalisers = np.empty(2)
    log_evidence = np.empty(n_sequences)
    start = 0
    for sequence in range(n_sequences):
        stop = start + lengths[sequence]
        n_steps = stop - start
        evidence, trusted, maybe_lost = _scaled_forward(
            log_likelihood[start:stop],
            initial_weights,
            transition_weights,
            latest_filtered,
            latest_scaled_likelihood,
            latest_row_maxima,
            latest_normalisers,
        )
        if trusted and (maybe_lost or weak_parameters):
            # Whether the lost mass mattered only the backward pass can tell: run the full
            # recursion on this sequence (O(length · K) memory, as forward_backward).
            evidence, trusted = _scaled_forward_backward(
                log_likelihood[start:stop],
                shifted_log_initial,
                initial_weights,
                transition_weights,
                weak_origins,
                weak_destinations,
                weak_log_weights,
                np.empty((n_steps, n_states)),
                np.empty((n_steps, n_states)),
                np.empty(n_steps),
                np.empty(n_steps),
                np.zeros((n_states, n_states)),
            )
        if trusted:
            evidence += initial_shift + (n_steps - 1) * transition_shift
        else:
            evidence = _log_space_forward_backward(
                log_likelihood[start:stop],
                log_initial,
                log_transition,
                np.empty((n_steps, n_states)),
                np.empty(n_steps),
                np.zeros((n_states, n_states)),
            )
        log_evidence[sequence] = evidence
        start = stop
    return log_evidence


@numba.njit(cache=True)
def _viterbi_kernel(
    log_likelihood: Array, lengths: NDArray[np.int64], log_initial: Array, log_transition: Array
) -> tuple[NDArray[np.intp], Array]:
    n_rows, n_states = log_likelihood.shape
    n_sequences = lengths.shape[0]
    path = np.zeros(n_rows, dtype=np.intp)
    log_probability = np.empty(n_sequences)
    best_predecessor = np.empty((n_rows, n_states), dtype=np.int32)
    # Column j of the transitions contiguous: the inner maximisation runs over predecessors i.
    into = np.ascontiguousarray(log_transition.T)
    score = np.empty(n_states)
    next_score = np.empty(n_states)
    start = 0
    for sequence in range(n_sequences):
        stop = start + lengths[sequence]
        for k in range(n_states):
            score[k] = log_initial[k] + log_likelihood[start, k]
        for t in range(start + 1, stop):
            for j in range(n_states):
                best = score[0] + into[j, 0]
                best_index = 0
                for i in range(1, n_states):
                    candidate = score[i] + into[j, i]
                    if candidate > best:  # strict: ties go to the lowest index, as np.argmax
                        best = candidate
                        best_index = i
                next_score[j] = best + log_likelihood[t, j]
                best_predecessor[t, j] = best_index
            score, next_score = next_score, score
        best = score[0]
        state = 0
        for k in range(1, n_states):
            if score[k] > best:
                best = score[k]
                state = k
        log_probability[sequence] = best
        if best > -np.inf:
            path[stop - 1] = state
            for t in range(stop - 1, start, -1):
                state = best_predecessor[t, state]
                path[t - 1] = state
        start = stop
    return path, log_probability


@numba.njit(cache=True)
def _sample_path_kernel(cumulative_start: Array, cumulative_rows: Array, uniforms: Array) -> States:
    last_state = cumulative_start.shape[0] - 1
    path = np.empty(uniforms.shape[0], dtype=np.intp)
    cumulative = cumulative_start
    for t in range(uniforms.shape[0]):
        state = min(int(np.searchsorted(cumulative, uniforms[t], side="right")), last_state)
        path[t] = state
        cumulative = cumulative_rows[state]
    return path
