"""The compiled recursions behind ``mixtures.latent.markov`` (numba), and how they are run.

Each public function takes the chain's checked arrays (``markov.checked_chain_arrays``) and runs
one kernel over all sequences. Forward–backward and the log-evidence use the scaled recursion and
redo, in log space, the sequences where scaling cannot be trusted (see
``_forward_backward_kernel``); that fallback is a kernel of its own, compiled only when a sequence
first needs it.

Forward–backward exponentiates the log-likelihoods (relative to each row's maximum) with numpy
before the recursion: numpy's exp is vectorised, numba's is a call per value and used to take a
third of the time. Many sequences are shared between threads (``NUMBA_NUM_THREADS``, at most one
per ``_ROWS_PER_THREAD`` rows) in runs of about equal rows that they take in turn. One long
sequence stays on one thread: sharing only its exponentials saved a twentieth of the time on an
idle machine and cost more on a busy one, where the other thread may wait for a core.

Compile time matters as much as run time here: a user's first HMM fit waits for it (the kernels
are cached on disk afterwards). So the kernels are written in explicit loops over scalars, the
style numba compiles fastest: array expressions (``np.where``, ``np.max``, array assignments,
``np.zeros``) each cost it a separate compilation of up to seconds. The helpers called only from
other kernels are compiled without the wrappers that would make them callable from Python. A
compilation announces itself first (``compile_notice``).
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator

import attrs
import numba
import numpy as np
from numpy.typing import NDArray

from mixtures._row_tasks import map_shared, thread_count
from mixtures.compilation import compile_notice, inner_kernel

__all__ = [
    "ScaledChain",
    "best_paths",
    "evidence",
    "log_space_kernel",
    "path_of",
    "posterior",
    "scaled_posterior",
]

Array = NDArray[np.float64]
States = NDArray[np.intp]
Arrays = tuple[Array, NDArray[np.int64], Array, Array]

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
class ScaledChain:
    """The chain's parameters as the scaled recursions use them (computed with numpy, once per
    call: compiling these few lines would cost more than running them).

    The weights are ``exp(log-weight − shift)``, with ``shift`` the largest log-weight (0 if all
    are −inf), so they are at most 1 and cannot overflow; the shifts are added back to the
    log-evidence. Weights too small to be carried reliably through products are 0 here; the
    backward pass adds them back from their logarithms: ``weak_*`` lists the allowed transitions
    below the reliable range (from, to, shifted log-weight), and ``weak_parameters`` says whether
    any parameter is there. ``transition_weights_into`` is the transpose (row ``j``: the weights
    into ``j``), contiguous for the backward pass.
    """

    shifted_log_initial: Array
    initial_weights: Array
    initial_shift: float
    transition_weights: Array
    transition_weights_into: Array
    transition_shift: float
    weak_origins: NDArray[np.int64]
    weak_destinations: NDArray[np.int64]
    weak_log_weights: Array
    weak_parameters: bool

    @classmethod
    def of(cls, log_initial: Array, log_transition: Array) -> ScaledChain:
        shifted_log_initial, initial_weights, initial_shift = _reliable_weights(log_initial)
        shifted_log_transition, transition_weights, transition_shift = _reliable_weights(log_transition)
        # allowed (finite) but below the reliable range: their weights above are 0
        origins, destinations = np.nonzero(np.isfinite(shifted_log_transition) & (transition_weights == 0.0))
        weak_initial = np.isfinite(shifted_log_initial) & (initial_weights == 0.0)
        return cls(
            shifted_log_initial,
            initial_weights,
            initial_shift,
            transition_weights,
            np.ascontiguousarray(transition_weights.T),
            transition_shift,
            np.asarray(origins, dtype=np.int64),
            np.asarray(destinations, dtype=np.int64),
            shifted_log_transition[origins, destinations],
            bool(origins.size or weak_initial.any()),
        )

    def kernel_arguments(
        self,
    ) -> tuple[Array, Array, Array, Array, NDArray[np.int64], NDArray[np.int64], Array]:
        """The parameters as ``_forward_backward_kernel`` takes them."""
        return (
            self.shifted_log_initial,
            self.initial_weights,
            self.transition_weights,
            self.transition_weights_into,
            self.weak_origins,
            self.weak_destinations,
            self.weak_log_weights,
        )

    def evidence_shifts(self, lengths: NDArray[np.int64]) -> Array:
        """What the shifts took from each sequence's log-evidence (to be added back)."""
        return np.asarray(self.initial_shift + (lengths - 1) * self.transition_shift, dtype=np.float64)


def _reliable_weights(log_weights: Array) -> tuple[Array, Array, float]:
    """``(shifted logs, weights, shift)`` of ``ScaledChain``."""
    shift = float(log_weights.max())
    if not math.isfinite(shift):
        shift = 0.0
    shifted = log_weights - shift
    weights = np.exp(shifted)
    weights[shifted < _LOG_SMALLEST_RELIABLE] = 0.0
    return shifted, weights, shift


def posterior(
    log_likelihood: Array, lengths: NDArray[np.int64], log_initial: Array, log_transition: Array
) -> tuple[Array, Array, Array, Array]:
    """Marginals, initial counts, transition counts and log-evidence (``markov.forward_backward``)."""
    arrays = (log_likelihood, lengths, log_initial, log_transition)
    marginals, transition_counts, log_evidence, trusted = scaled_posterior(
        log_likelihood, lengths, ScaledChain.of(log_initial, log_transition)
    )
    initial_counts = marginals[np.cumsum(lengths) - lengths]
    redo = np.flatnonzero(~trusted)
    if redo.size:
        rows, redo_arrays = _sequences_of(arrays, redo)
        with compile_notice(log_space_kernel):
            exact = log_space_kernel(*redo_arrays)
        marginals[rows], initial_counts[redo], transition_counts[redo], log_evidence[redo] = exact
    return marginals, initial_counts, transition_counts, log_evidence


def scaled_posterior(
    log_likelihood: Array, lengths: NDArray[np.int64], chain: ScaledChain
) -> tuple[Array, Array, Array, NDArray[np.bool_]]:
    """The scaled recursion alone: marginals, transition counts, log-evidence, and whether each
    sequence's results can be trusted (the others are garbage)."""
    n_rows, n_states = log_likelihood.shape
    n_sequences = lengths.shape[0]
    marginals = np.empty((n_rows, n_states))
    transition_counts = np.zeros((n_sequences, n_states, n_states))
    log_evidence = np.empty(n_sequences)
    trusted = np.empty(n_sequences, dtype=np.bool_)
    parameters = chain.kernel_arguments()
    kernels = (_relative_log_likelihood, _forward_backward_kernel)
    # The first call compiles (or loads from the cache) on this thread, where its notice shows.
    threads = _threads_for(n_rows) if all(kernel.signatures for kernel in kernels) else 1
    groups = _sequence_groups(lengths, 1 if threads == 1 else threads * _PARTS_PER_THREAD)
    with _work_space(n_rows * (n_states + 2)) as work:
        scaled_likelihood = work[: n_rows * n_states].reshape(n_rows, n_states)
        row_maxima, normalisers = work[n_rows * n_states :].reshape(2, n_rows)

        def forward_backward_of(rows: slice, sequences: slice) -> None:
            _relative_log_likelihood(log_likelihood[rows], row_maxima[rows], scaled_likelihood[rows])
            np.exp(scaled_likelihood[rows], out=scaled_likelihood[rows])
            _forward_backward_kernel(
                log_likelihood[rows],
                lengths[sequences],
                scaled_likelihood[rows],
                row_maxima[rows],
                *parameters,
                normalisers[rows],
                marginals[rows],
                transition_counts[sequences],
                log_evidence[sequences],
                trusted[sequences],
            )

        with compile_notice(kernels[0]), compile_notice(kernels[1]):
            map_shared(lambda group: forward_backward_of(*group), groups, threads)
    return marginals, transition_counts, log_evidence + chain.evidence_shifts(lengths), trusted


def evidence(
    log_likelihood: Array, lengths: NDArray[np.int64], log_initial: Array, log_transition: Array
) -> Array:
    """The log-evidence of every sequence (``markov.log_evidence``)."""
    arrays = (log_likelihood, lengths, log_initial, log_transition)
    chain = ScaledChain.of(log_initial, log_transition)
    if chain.weak_parameters:  # only the backward pass can tell whether the weak weights matter
        result, trusted = scaled_posterior(log_likelihood, lengths, chain)[2:]
    else:
        with compile_notice(_forward_kernel):
            result, trusted, maybe_lost = _forward_kernel(
                log_likelihood, lengths, chain.initial_weights, chain.transition_weights
            )
        result += chain.evidence_shifts(lengths)
        # Whether the lost mass mattered only the backward pass can tell: the full recursion on
        # those sequences (O(length · K) memory, as forward_backward).
        check = np.flatnonzero(trusted & maybe_lost)
        if check.size:
            checked = scaled_posterior(*_sequences_of(arrays, check)[1][:2], chain)
            result[check], trusted[check] = checked[2], checked[3]
    redo = np.flatnonzero(~trusted)
    if redo.size:
        with compile_notice(log_space_kernel):
            result[redo] = log_space_kernel(*_sequences_of(arrays, redo)[1])[3]
    return result


def best_paths(
    log_likelihood: Array, lengths: NDArray[np.int64], log_initial: Array, log_transition: Array
) -> tuple[States, Array]:
    """The Viterbi path of every sequence and its log-weight (``markov.viterbi``)."""
    path = np.zeros(log_likelihood.shape[0], dtype=np.intp)
    # Column j of the transitions contiguous: the inner maximisation runs over predecessors i.
    into = np.ascontiguousarray(log_transition.T)
    with compile_notice(_viterbi_kernel):
        log_probability = _viterbi_kernel(log_likelihood, lengths, log_initial, into, path)
    return path, log_probability


def path_of(cumulative_start: Array, cumulative_rows: Array, uniforms: Array) -> States:
    """A sampled state path (``markov.sample_path``), from cumulative probabilities."""
    with compile_notice(_sample_path_kernel):
        path: States = _sample_path_kernel(cumulative_start, cumulative_rows, uniforms)
    return path


def _sequences_of(arrays: Arrays, which: NDArray[np.intp]) -> tuple[NDArray[np.intp], Arrays]:
    """The rows of the sequences ``which`` and the chain's arrays restricted to them."""
    log_likelihood, lengths, log_initial, log_transition = arrays
    starts = np.cumsum(lengths) - lengths
    rows = np.concatenate([np.arange(starts[s], starts[s] + lengths[s]) for s in which])
    return rows, (log_likelihood[rows], lengths[which], log_initial, log_transition)


# Work space up to this size is kept for the next call: fresh memory costs a page fault per 4 KiB
# when first written (about 2 ms per 100,000 rows of 8 states, a sixth of forward–backward's
# time), and an HMM's E-steps ask for the same size every iteration.
_KEPT_WORK_SPACE_BYTES = 32 * 1024**2
_kept_work_space: Array | None = None
_kept_work_space_lock = threading.Lock()


@contextlib.contextmanager
def _work_space(n_values: int) -> Iterator[Array]:
    """A float64 array of ``n_values``: the kept one when it is free and large enough (then, if
    small enough, one kept for next time), else a new one."""
    global _kept_work_space
    if not _kept_work_space_lock.acquire(blocking=False):  # another thread's call holds it
        yield np.empty(n_values)
        return
    try:
        if _kept_work_space is None or _kept_work_space.size < n_values:
            fresh = np.empty(n_values)
            if fresh.nbytes <= _KEPT_WORK_SPACE_BYTES:
                _kept_work_space = fresh
            else:
                yield fresh
                return
        yield _kept_work_space[:n_values]
    finally:
        _kept_work_space_lock.release()


# Fewer rows than this per thread would cost more in hand-over than the thread saves.
_ROWS_PER_THREAD = 10_000
# The work comes in this many parts per thread, taken in turn: a thread slowed by other work on
# the machine takes fewer of them.
_PARTS_PER_THREAD = 4


def _threads_for(n_rows: int) -> int:
    """How many threads to share ``n_rows`` between (the kernels release the GIL)."""
    return max(1, min(thread_count(), n_rows // _ROWS_PER_THREAD))


def _sequence_groups(lengths: NDArray[np.int64], n_groups: int) -> list[tuple[slice, slice]]:
    """At most ``n_groups`` runs of consecutive whole sequences, of about equal rows, as (rows,
    sequences) slices covering everything (one run when there are no sequences)."""
    stops = np.cumsum(lengths)
    n_rows = int(stops[-1]) if stops.size else 0
    # a run ends with the sequence that reaches its share of the rows
    shares = np.linspace(0, n_rows, n_groups + 1)[1:]
    lasts = np.unique(np.searchsorted(stops, shares, side="left")).tolist() if stops.size else [-1]
    groups, first, start = [], 0, 0
    for last in lasts:
        stop = int(stops[last]) if stops.size else 0
        groups.append((slice(start, stop), slice(first, last + 1)))
        first, start = last + 1, stop
    return groups


# ---------------------------------------------------------------------------------------------
# Compiled kernels. Loops are explicit so that numba keeps everything in registers and cache;
# each sequence is processed in one pass forward and one backward with O(K) extra state besides
# the (T, K) output and one (T, K) buffer of scaled likelihoods.
#
# The K × K products dominate: they run over blocks of four columns whose sums stay in scalar
# accumulators (registers: an array of K sums would go through memory at every term).
# ---------------------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def _relative_log_likelihood(log_likelihood: Array, row_maxima: Array, relative: Array) -> None:
    """Fills ``row_maxima`` with each row's maximum and ``relative`` with the row minus it, or −inf
    where that is below the reliable range (its exponential is then an exact 0: subnormal
    arithmetic would cost ~100 cycles per operation, and the backward pass rebuilds what
    matters from the logarithms). A row no state can emit (maximum −inf) is all −inf."""
    n_rows, n_states = log_likelihood.shape
    for t in range(n_rows):
        row_max = -np.inf
        for k in range(n_states):
            row_max = max(row_max, log_likelihood[t, k])
        row_maxima[t] = row_max
        for k in range(n_states):
            difference = log_likelihood[t, k] - row_max  # NaN when row_max is ±inf: −inf below
            relative[t, k] = difference if difference >= _LOG_SMALLEST_RELIABLE else -np.inf


@numba.njit(cache=True, nogil=True)
def _forward_backward_kernel(
    log_likelihood: Array,
    lengths: NDArray[np.int64],
    scaled_likelihood: Array,
    row_maxima: Array,
    shifted_log_initial: Array,
    initial_weights: Array,
    transition_weights: Array,
    transition_weights_into: Array,
    weak_origins: NDArray[np.int64],
    weak_destinations: NDArray[np.int64],
    weak_log_weights: Array,
    normalisers: Array,
    marginals: Array,
    transition_counts: Array,
    log_evidence: Array,
    trusted: NDArray[np.bool_],
) -> None:
    """The scaled recursion over every sequence (parameters of a ``ScaledChain``; the rows'
    maxima and ``exp(log_likelihood − maximum)`` from ``_relative_log_likelihood``; ``normalisers``
    is work space of a value per row): fills ``marginals``, adds to ``transition_counts`` (zeros),
    and fills the log-evidence without the shifts and whether each sequence's result can be
    trusted (the others are garbage: the caller redoes them with ``log_space_kernel``).

    The forward pass leaves ``p(z_t | x_{≤t})`` in ``marginals`` and the step normalisers; the
    backward pass overwrites them, row by row from the end, with the smoothed marginals.
    ``beta_t(k) = p(x_{>t} | z_t = k) / p(x_{>t} | x_{≤t})`` needs only two vectors (the rows of
    ``betas``, by the parity of t). Both passes are written out here rather than called: a call
    per sequence cost a reference count per array argument, about a microsecond (a dozen rows).

    Why the result can be trusted: Σ_k alpha_t(k) beta_t(k) = 1 at every t in exact arithmetic.
    The forward pass may lose mass that underflows (a likelihood far below its row's maximum, a
    tiny parameter, a tiny product); such mass can dominate later only through a large beta. The
    backward pass rebuilds from logarithms every term with an unreliable factor that a large beta
    could make count, so lost forward mass shows up as Σ_k alpha_t(k) beta_t(k) exceeding 1 (or
    as inf/NaN if beta overflows). Mass the backward pass itself loses to underflow is below
    e^−700 of the total (the filtered probabilities it multiplies are at most 1): harmless.
    """
    n_states = log_likelihood.shape[1]
    blocked = n_states - n_states % 4
    # a sequence's transition counts, transposed: the backward pass adds to four origins at once
    counts_transposed = np.empty((n_states, n_states))
    betas = np.empty((2, n_states))
    weighted_future = np.empty(n_states)
    stop = 0
    for sequence in range(lengths.shape[0]):
        first = stop
        stop = first + lengths[sequence]
        log_evidence[sequence] = -np.inf
        trusted[sequence] = False

        # Forward: marginals[t] = p(z_t | x_{≤t}) and the normalisers.
        evidence = 0.0
        possible = True
        for t in range(first, stop):
            if row_maxima[t] == -np.inf:  # no state can emit this row: impossible (log space confirms)
                possible = False
                break
            normaliser = 0.0
            if t == first:
                for k in range(n_states):
                    marginals[t, k] = initial_weights[k] * scaled_likelihood[t, k]
                    normaliser += marginals[t, k]
            else:
                for j in range(0, blocked, 4):
                    predicted0 = predicted1 = predicted2 = predicted3 = 0.0
                    for i in range(n_states):
                        previous = marginals[t - 1, i]
                        predicted0 += previous * transition_weights[i, j]
                        predicted1 += previous * transition_weights[i, j + 1]
                        predicted2 += previous * transition_weights[i, j + 2]
                        predicted3 += previous * transition_weights[i, j + 3]
                    value0 = predicted0 * scaled_likelihood[t, j]
                    value1 = predicted1 * scaled_likelihood[t, j + 1]
                    value2 = predicted2 * scaled_likelihood[t, j + 2]
                    value3 = predicted3 * scaled_likelihood[t, j + 3]
                    marginals[t, j] = value0
                    marginals[t, j + 1] = value1
                    marginals[t, j + 2] = value2
                    marginals[t, j + 3] = value3
                    normaliser += (value0 + value1) + (value2 + value3)
                for j in range(blocked, n_states):
                    predicted = 0.0
                    for i in range(n_states):
                        predicted += marginals[t - 1, i] * transition_weights[i, j]
                    marginals[t, j] = predicted * scaled_likelihood[t, j]
                    normaliser += marginals[t, j]
            if not normaliser >= _SMALLEST_TRUSTED_NORMALISER:
                possible = False
                break
            inverse = 1.0 / normaliser
            for k in range(n_states):
                marginals[t, k] *= inverse
            normalisers[t] = normaliser
            evidence += np.log(normaliser) + row_maxima[t]
        if not possible:
            continue

        # Backward: smoothed marginals, transition counts, and the check of every step.
        for i in range(n_states):
            for j in range(n_states):
                counts_transposed[i, j] = 0.0
        for k in range(n_states):
            betas[(stop - 1) & 1, k] = 1.0
        consistent = True
        for t in range(stop - 1, first - 1, -1):
            now = t & 1  # the row of beta_t; beta_{t−1} goes to the other (no views: refcounts)
            total = 0.0
            for k in range(n_states):
                smoothed = marginals[t, k] * betas[now, k]
                marginals[t, k] = smoothed
                total += smoothed
            if not abs(total - 1.0) <= _CONSISTENCY_TOLERANCE:  # NaN-safe: catches 0 · inf too
                consistent = False
                break
            inverse = 1.0 / total
            for k in range(n_states):
                marginals[t, k] *= inverse
            if t == first:
                break
            inverse_normaliser = 1.0 / normalisers[t]
            rebuild = False
            for j in range(n_states):
                # beta last: the product of the other two waits for nothing
                weighted_future[j] = betas[now, j] * (scaled_likelihood[t, j] * inverse_normaliser)
                amplification = betas[now, j] * inverse_normaliser
                rebuild |= scaled_likelihood[t, j] == 0.0 and amplification > _NEGLIGIBLE_UNLESS_AMPLIFIED_BY
            if rebuild:  # rare: a dropped likelihood that a large beta could make count
                for j in range(n_states):
                    amplification = betas[now, j] * inverse_normaliser
                    if scaled_likelihood[t, j] == 0.0 and amplification > _NEGLIGIBLE_UNLESS_AMPLIFIED_BY:
                        weighted_future[j] = np.exp(
                            log_likelihood[t, j]
                            - row_maxima[t]
                            + np.log(betas[now, j])
                            - np.log(normalisers[t])
                        )
            before = now ^ 1
            # beta_{t−1}(i) = Σ_j A[i, j] weighted_future(j), each term also weighted by the
            # filtered probability of i into the transition counts; four origins i at a time
            for i in range(0, blocked, 4):
                filtered0 = marginals[t - 1, i]  # row t − 1 still holds the filtered distribution
                filtered1 = marginals[t - 1, i + 1]
                filtered2 = marginals[t - 1, i + 2]
                filtered3 = marginals[t - 1, i + 3]
                beta0 = beta1 = beta2 = beta3 = 0.0
                for j in range(n_states):
                    future = weighted_future[j]
                    term0 = transition_weights_into[j, i] * future
                    term1 = transition_weights_into[j, i + 1] * future
                    term2 = transition_weights_into[j, i + 2] * future
                    term3 = transition_weights_into[j, i + 3] * future
                    beta0 += term0
                    beta1 += term1
                    beta2 += term2
                    beta3 += term3
                    counts_transposed[j, i] += filtered0 * term0
                    counts_transposed[j, i + 1] += filtered1 * term1
                    counts_transposed[j, i + 2] += filtered2 * term2
                    counts_transposed[j, i + 3] += filtered3 * term3
                betas[before, i] = beta0
                betas[before, i + 1] = beta1
                betas[before, i + 2] = beta2
                betas[before, i + 3] = beta3
            for i in range(blocked, n_states):
                filtered_before = marginals[t - 1, i]
                accumulated = 0.0
                for j in range(n_states):
                    term = transition_weights_into[j, i] * weighted_future[j]
                    accumulated += term
                    counts_transposed[j, i] += filtered_before * term
                betas[before, i] = accumulated
            for weak in range(weak_log_weights.shape[0]):
                destination = weak_destinations[weak]
                if weighted_future[destination] > _NEGLIGIBLE_UNLESS_AMPLIFIED_BY:
                    origin = weak_origins[weak]
                    term = np.exp(weak_log_weights[weak] + np.log(weighted_future[destination]))
                    betas[before, origin] += term
                    transition_counts[sequence, origin, destination] += marginals[t - 1, origin] * term
        if not consistent:
            continue
        for i in range(n_states):
            for j in range(n_states):
                transition_counts[sequence, i, j] += counts_transposed[j, i]
        # The same sum one step before the start, with the initial weights rebuilt exactly: it
        # exceeds 1 by the first row's lost mass.
        start = first & 1  # the row of betas holding beta at the sequence's first row
        before_start = 0.0
        for k in range(n_states):
            if initial_weights[k] > 0.0 and scaled_likelihood[first, k] > 0.0:
                before_start += initial_weights[k] * (
                    scaled_likelihood[first, k] * betas[start, k] / normalisers[first]
                )
            else:
                before_start += np.exp(
                    shifted_log_initial[k]
                    + log_likelihood[first, k]
                    - row_maxima[first]
                    + np.log(betas[start, k])
                    - np.log(normalisers[first])
                )
        if abs(before_start - 1.0) <= _CONSISTENCY_TOLERANCE:
            log_evidence[sequence] = evidence
            trusted[sequence] = True


@inner_kernel
def _evidence_forward(
    log_likelihood: Array,
    initial_weights: Array,
    transition_weights: Array,
    filtered: Array,
    scaled_likelihood: Array,
) -> tuple[float, bool, bool]:
    """The forward pass of ``_forward_backward_kernel`` for the log-evidence alone, exponentiating
    as it goes into two-row buffers ``(2, K)`` (O(K) memory). Returns the log-evidence (without the
    parameters' shifts), whether every normaliser was large enough to trust, and whether mass may
    have been lost to underflow (some filtered probability of a state able to emit its row fell
    below the reliable range: a structural zero, or a truncated value only the backward pass can
    judge).
    """
    n_steps, n_states = log_likelihood.shape
    log_evidence = 0.0
    maybe_lost = False
    for t in range(n_steps):
        row = t & 1
        previous_row = row ^ 1
        row_max = -np.inf
        for k in range(n_states):
            row_max = max(row_max, log_likelihood[t, k])
        if row_max == -np.inf:  # no state can emit this row: impossible (log space confirms)
            return -np.inf, False, True
        for k in range(n_states):
            relative = log_likelihood[t, k] - row_max  # as _relative_log_likelihood
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
        log_evidence += np.log(normaliser) + row_max
    return log_evidence, True, maybe_lost


@inner_kernel
def _log_sum_exp(values: Array) -> float:
    top = -np.inf
    for value in values:  # a loop: np.max costs numba a compile of its own
        top = max(top, value)
    if top == -np.inf:
        return -np.inf
    total = 0.0
    for value in values:
        total += np.exp(value - top)
    return float(np.log(total) + top)


@inner_kernel
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
    log_beta = np.empty(n_states)
    for k in range(n_states):
        log_beta[k] = 0.0
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
def log_space_kernel(
    log_likelihood: Array, lengths: NDArray[np.int64], log_initial: Array, log_transition: Array
) -> tuple[Array, Array, Array, Array]:
    """``_log_space_forward_backward`` over every sequence: the outputs of ``forward_backward``."""
    n_rows, n_states = log_likelihood.shape
    n_sequences = lengths.shape[0]
    marginals = np.empty((n_rows, n_states))
    log_normalisers = np.empty(n_rows)
    initial_counts = np.empty((n_sequences, n_states))
    transition_counts = np.zeros((n_sequences, n_states, n_states))  # compiled only when needed
    log_evidence = np.empty(n_sequences)
    start = 0
    for sequence in range(n_sequences):
        stop = start + lengths[sequence]
        log_evidence[sequence] = _log_space_forward_backward(
            log_likelihood[start:stop],
            log_initial,
            log_transition,
            marginals[start:stop],
            log_normalisers[start:stop],
            transition_counts[sequence],
        )
        for k in range(n_states):
            initial_counts[sequence, k] = marginals[start, k]
        start = stop
    return marginals, initial_counts, transition_counts, log_evidence


@numba.njit(cache=True)
def _forward_kernel(
    log_likelihood: Array, lengths: NDArray[np.int64], initial_weights: Array, transition_weights: Array
) -> tuple[Array, NDArray[np.bool_], NDArray[np.bool_]]:
    """The log-evidence of every sequence without the shifts (weights of a ``ScaledChain``),
    whether it can be trusted (the caller redoes the others with ``log_space_kernel``) and
    whether mass may have been lost (the caller checks those with the backward pass)."""
    n_states = log_likelihood.shape[1]
    n_sequences = lengths.shape[0]
    latest_filtered = np.empty((2, n_states))
    latest_scaled_likelihood = np.empty((2, n_states))
    log_evidence = np.empty(n_sequences)
    trusted = np.empty(n_sequences, dtype=np.bool_)
    maybe_lost = np.empty(n_sequences, dtype=np.bool_)
    start = 0
    for sequence in range(n_sequences):
        stop = start + lengths[sequence]
        log_evidence[sequence], trusted[sequence], maybe_lost[sequence] = _evidence_forward(
            log_likelihood[start:stop],
            initial_weights,
            transition_weights,
            latest_filtered,
            latest_scaled_likelihood,
        )
        start = stop
    return log_evidence, trusted, maybe_lost


@numba.njit(cache=True)
def _viterbi_kernel(
    log_likelihood: Array, lengths: NDArray[np.int64], log_initial: Array, into: Array, path: States
) -> Array:
    """Fills ``path`` (zeros) with the best paths given the transposed log-transitions ``into``;
    returns their log-weights."""
    n_rows, n_states = log_likelihood.shape
    n_sequences = lengths.shape[0]
    log_probability = np.empty(n_sequences)
    best_predecessor = np.empty((n_rows, n_states), dtype=np.int32)
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
    return log_probability


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
