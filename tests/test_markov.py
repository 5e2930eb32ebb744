"""The hidden Markov chain's recursions: brute force over every path, compiled against reference,
extreme values, the i.i.d. special case, and hmmlearn on the same log-likelihoods."""

from __future__ import annotations

import concurrent.futures
import itertools

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mixtures.latent.markov import (
    MarkovPosterior,
    checked_chain_arrays,
    forward_backward,
    log_evidence,
    viterbi,
)
from mixtures.latent.markov_kernels import ScaledChain, log_space_kernel, scaled_posterior
from mixtures.latent.mixture import mixture_posterior
from mixtures.testing.markov_reference import forward_backward_reference, viterbi_reference

NEG_INF = -np.inf
FORWARD_BACKWARDS = pytest.mark.parametrize(
    "recursion", [forward_backward, forward_backward_reference], ids=["compiled", "reference"]
)
VITERBIS = pytest.mark.parametrize("decoder", [viterbi, viterbi_reference], ids=["compiled", "reference"])


# --------------------------------------------------------------------------- helpers


def log_sum_exp(values: np.ndarray) -> float:
    top = values.max()
    return float(top) if top == NEG_INF else float(np.log(np.exp(values - top).sum()) + top)


def sequence_slices(lengths) -> list[slice]:
    stops = np.cumsum(lengths)
    return [slice(stop - length, stop) for stop, length in zip(stops, lengths, strict=True)]


def enumerate_paths(log_likelihood, log_initial, log_transition):
    """Every path of one sequence and its log-weight under the (unnormalised) parameters."""
    n_steps, n_states = log_likelihood.shape
    paths = np.array(list(itertools.product(range(n_states), repeat=n_steps)))
    weights = log_initial[paths[:, 0]] + log_likelihood[np.arange(n_steps), paths].sum(axis=1)
    weights = weights + log_transition[paths[:, :-1], paths[:, 1:]].sum(axis=1)
    return paths, weights


def brute_force(log_likelihood, lengths, log_initial, log_transition) -> MarkovPosterior:
    n_states = log_likelihood.shape[1]
    marginals = np.zeros_like(log_likelihood)
    initial_counts = np.zeros((len(lengths), n_states))
    transition_counts = np.zeros((len(lengths), n_states, n_states))
    log_evidence = np.empty(len(lengths))
    for s, rows in enumerate(sequence_slices(lengths)):
        paths, weights = enumerate_paths(log_likelihood[rows], log_initial, log_transition)
        log_evidence[s] = log_sum_exp(weights)
        if log_evidence[s] == NEG_INF:
            continue
        probability = np.exp(weights - log_evidence[s])
        for t in range(paths.shape[1]):
            np.add.at(marginals[rows][t], paths[:, t], probability)  # marginals[rows] is a view
            if t > 0:
                np.add.at(transition_counts[s], (paths[:, t - 1], paths[:, t]), probability)
        initial_counts[s] = marginals[rows][0]
    return MarkovPosterior(marginals, initial_counts, transition_counts, log_evidence)


def assert_posteriors_close(ours: MarkovPosterior, expected: MarkovPosterior, tolerance: float) -> None:
    for name in ("marginals", "initial_counts", "transition_counts"):
        value = getattr(ours, name)
        assert np.isfinite(value).all(), name
        np.testing.assert_allclose(value, getattr(expected, name), rtol=tolerance, atol=tolerance,
                                   err_msg=name)
    assert not np.isnan(ours.log_evidence).any()
    np.testing.assert_allclose(ours.log_evidence, expected.log_evidence, rtol=tolerance, atol=tolerance)


def scaled_pass_is_trusted(log_likelihood, log_initial, log_transition) -> bool:
    """Whether the compiled scaled recursion accepts a single sequence (else it used log space)."""
    log_likelihood, lengths, log_initial, log_transition = checked_chain_arrays(
        log_likelihood, [len(log_likelihood)], log_initial, log_transition
    )
    trusted = scaled_posterior(log_likelihood, lengths, ScaledChain.of(log_initial, log_transition))[3]
    return bool(trusted[0])


def log_space_only(log_likelihood, lengths, log_initial, log_transition) -> MarkovPosterior:
    """The compiled log-space fallback run on every sequence (normally used only when needed)."""
    return MarkovPosterior(*log_space_kernel(*checked_chain_arrays(log_likelihood, lengths, log_initial,
                                                                     log_transition)))


# --------------------------------------------------------------------------- strategies


@st.composite
def tiny_chains(draw, zeros: bool = True):
    """Up to 3 states, up to 3 sequences of 1–6 rows; unnormalised parameters, optional −inf."""
    n_states = draw(st.integers(1, 3))
    lengths = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    likelihood = st.floats(-30.0, 5.0)
    parameter = st.floats(-6.0, 2.0)  # exp > 1 allowed: nothing assumes normalisation
    if zeros:
        likelihood = st.one_of(likelihood, likelihood, likelihood, st.just(NEG_INF))
        parameter = st.one_of(parameter, parameter, st.just(NEG_INF))
    log_likelihood = draw(arrays(np.float64, (sum(lengths), n_states), elements=likelihood))
    log_initial = draw(arrays(np.float64, n_states, elements=parameter))
    log_transition = draw(arrays(np.float64, (n_states, n_states), elements=parameter))
    return log_likelihood, np.array(lengths), log_initial, log_transition


@st.composite
def moderate_chains(draw, spread: float = 10.0):
    """Up to 6 states and 500 rows per sequence (length-1 sequences included), random draws."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_states = draw(st.integers(1, 6))
    lengths = np.array(draw(st.lists(st.sampled_from([1, 1, 2, 7, 60, 500]), min_size=1, max_size=5)))
    log_likelihood = -spread * rng.random((lengths.sum(), n_states)) ** 2 + rng.normal(size=(1, n_states))
    log_initial = rng.normal(size=n_states) - 1.0
    log_transition = rng.normal(size=(n_states, n_states)) - 1.0
    if draw(st.booleans()):  # a left-to-right chain: structural zeros below the diagonal
        log_transition[np.tril_indices(n_states, -1)] = NEG_INF
        log_initial[1:] = NEG_INF
        last = log_likelihood.shape[0]
        log_likelihood[:last, 0] = np.maximum(log_likelihood[:last, 0], -1.0)  # keep most possible
    return log_likelihood, lengths, log_initial, log_transition


# --------------------------------------------------------------------------- brute force


@FORWARD_BACKWARDS
@given(tiny_chains())
def test_forward_backward_equals_enumeration(recursion, chain) -> None:
    assert_posteriors_close(recursion(*chain), brute_force(*chain), 1e-9)


@VITERBIS
@given(tiny_chains())
def test_viterbi_equals_enumeration(decoder, chain) -> None:
    log_likelihood, lengths, log_initial, log_transition = chain
    path, log_probability = decoder(*chain)
    assert path.shape == (log_likelihood.shape[0],) and path.dtype == np.intp
    for s, rows in enumerate(sequence_slices(lengths)):
        paths, weights = enumerate_paths(log_likelihood[rows], log_initial, log_transition)
        best = weights.max()
        if best == NEG_INF:
            assert log_probability[s] == NEG_INF
            assert (path[rows] == 0).all()
            continue
        np.testing.assert_allclose(log_probability[s], best, rtol=1e-12, atol=1e-12)
        # itertools.product lists paths in C order: a path's index is its multi-index in (K,) * n.
        n_steps, n_states = paths.shape[1], log_likelihood.shape[1]
        own_weight = weights[np.ravel_multi_index(tuple(path[rows]), (n_states,) * n_steps)]
        np.testing.assert_allclose(own_weight, best, rtol=1e-12, atol=1e-12)
        near_best = np.flatnonzero(weights >= best - 1e-9 * max(1.0, abs(best)))
        if near_best.size == 1:
            np.testing.assert_array_equal(path[rows], paths[near_best[0]])


def test_impossible_sequences_give_minus_infinity_and_zeros() -> None:
    log_likelihood = np.array([[0.0, NEG_INF], [NEG_INF, 0.0], [-1.0, -2.0], [-3.0, NEG_INF]])
    stay = np.array([[0.0, NEG_INF], [NEG_INF, 0.0]])  # no switching: the first sequence is impossible
    for recursion in (forward_backward, forward_backward_reference):
        posterior = recursion(log_likelihood, [2, 2], np.zeros(2), stay)
        assert posterior.log_evidence[0] == NEG_INF
        np.testing.assert_allclose(posterior.log_evidence[1], -4.0)
        assert (posterior.marginals[:2] == 0).all() and (posterior.transition_counts[0] == 0).all()
        assert (posterior.initial_counts[0] == 0).all()
        np.testing.assert_allclose(posterior.marginals[2:], [[1.0, 0.0], [1.0, 0.0]])
    for decoder in (viterbi, viterbi_reference):
        path, log_probability = decoder(log_likelihood, [2, 2], np.zeros(2), stay)
        np.testing.assert_array_equal(path, [0, 0, 0, 0])
        np.testing.assert_array_equal(log_probability, [NEG_INF, -4.0])


@VITERBIS
def test_viterbi_ties_go_to_the_lowest_state(decoder) -> None:
    path, log_probability = decoder(np.zeros((4, 3)), np.array([4]), np.zeros(3), np.zeros((3, 3)))
    np.testing.assert_array_equal(path, np.zeros(4))
    np.testing.assert_array_equal(log_probability, [0.0])


def test_inputs_untouched_and_shapes_asserted() -> None:
    rng = np.random.default_rng(0)
    chain = (rng.normal(size=(7, 3)), np.array([3, 4]), rng.normal(size=3), rng.normal(size=(3, 3)))
    copies = [np.copy(part) for part in chain]
    posterior = forward_backward(*chain)
    viterbi(*chain)
    for part, copy in zip(chain, copies, strict=True):
        np.testing.assert_array_equal(part, copy)
    assert posterior.marginals.shape == (7, 3) and posterior.initial_counts.shape == (2, 3)
    assert posterior.transition_counts.shape == (2, 3, 3) and posterior.log_evidence.shape == (2,)
    with pytest.raises(AssertionError, match="sum to T"):
        forward_backward(chain[0], [3, 3], *chain[2:])
    with pytest.raises(AssertionError, match="K, K"):
        viterbi(chain[0], chain[1], chain[2], np.zeros((2, 2)))
    empty = forward_backward(np.zeros((0, 3)), np.zeros(0, dtype=int), *chain[2:])
    assert empty.marginals.shape == (0, 3) and empty.transition_counts.shape == (0, 3, 3)


# --------------------------------------------------------------------------- compiled vs reference


@given(moderate_chains())
def test_compiled_equals_reference(chain) -> None:
    reference = forward_backward_reference(*chain)
    assert_posteriors_close(forward_backward(*chain), reference, 1e-10)
    assert_posteriors_close(log_space_only(*chain), reference, 1e-10)
    np.testing.assert_allclose(log_evidence(*chain), reference.log_evidence, rtol=1e-10, atol=1e-10)
    path, log_probability = viterbi(*chain)
    reference_path, reference_log_probability = viterbi_reference(*chain)
    np.testing.assert_array_equal(path, reference_path)
    np.testing.assert_allclose(log_probability, reference_log_probability, rtol=1e-12, atol=1e-12)


@given(moderate_chains(spread=1e4))
def test_extreme_log_likelihoods_match_log_space(chain) -> None:
    """Rows spanning −1e4 … 0: most likelihoods underflow relative to their row's maximum."""
    log_likelihood, lengths, log_initial, log_transition = chain
    rng = np.random.default_rng(int(lengths.sum()))
    log_likelihood = np.where(rng.random(log_likelihood.shape) < 0.3, -rng.random(log_likelihood.shape) * 1e4,
                              log_likelihood)
    chain = (log_likelihood, lengths, log_initial, log_transition)
    expected = forward_backward_reference(*chain)
    assert_posteriors_close(forward_backward(*chain), expected, 1e-10)
    np.testing.assert_allclose(log_evidence(*chain), expected.log_evidence, rtol=1e-10)


# Hand-made sequences where the scaled recursion loses mass to underflow that decides the answer;
# each must be caught (scaled pass not trusted) and redone in log space.
STAY = np.array([[0.0, NEG_INF], [NEG_INF, 0.0]])
STAY3 = np.full((3, 3), NEG_INF)
np.fill_diagonal(STAY3, 0.0)
UNDERFLOW_CASES = {
    "normaliser is zero": (np.array([[0.0, 0.0], [-800.0, 0.0], [0.0, 0.0]]), np.array([0.0, NEG_INF]), STAY),
    "beta overflows": (
        np.array([[0.0, 0.0], [-760.0, 0.0]] + [[0.0, -100.0]] * 10), np.log([0.5, 0.5]), STAY
    ),
    "lost mass recovers": (
        np.array([[0.0, 0.0, 0.0], [-760.0, -560.0, 0.0]] + [[0.0, -30.0, NEG_INF]] * 10),
        np.array([np.log(0.5), np.log(0.5), NEG_INF]),
        STAY3,
    ),
    # Below, the lost mass wins while beta stays finite: only the rebuilt terms reveal it.
    "lost likelihood wins": (
        np.array([[0.0, 0.0, 0.0], [-650.0, -560.0, 0.0]] + [[0.0, -35.0, NEG_INF]] * 4),
        np.array([np.log(0.5), np.log(0.5), NEG_INF]),
        STAY3,
    ),
    "tiny transition wins": (
        np.array([[0.0, -5.0]] + [[-5.0, 0.0]] * 140), np.array([0.0, NEG_INF]),
        np.array([[0.0, -695.0], [NEG_INF, 0.0]]),
    ),
    "tiny initial weight wins": (np.array([[0.0, 0.0]] + [[-50.0, 0.0]] * 13), np.array([0.0, -645.0]), STAY),
    "impossible": (np.array([[0.0, NEG_INF], [NEG_INF, 0.0]]), np.zeros(2), STAY),
}


@pytest.mark.parametrize("case", list(UNDERFLOW_CASES))
def test_underflow_is_caught_and_redone_in_log_space(case) -> None:
    log_likelihood, log_initial, log_transition = UNDERFLOW_CASES[case]
    chain = (log_likelihood, np.array([len(log_likelihood)]), log_initial, log_transition)
    assert not scaled_pass_is_trusted(log_likelihood, log_initial, log_transition)
    expected = forward_backward_reference(*chain)
    assert_posteriors_close(forward_backward(*chain), expected, 1e-10)
    np.testing.assert_allclose(log_evidence(*chain), expected.log_evidence, rtol=1e-10)
    if len(log_likelihood) <= 12:
        assert_posteriors_close(expected, brute_force(*chain), 1e-10)


def test_harmless_underflow_keeps_the_fast_path() -> None:
    """Likelihoods far below their row's maximum are common and need no fallback with a full chain."""
    rng = np.random.default_rng(1)
    log_likelihood = -rng.random((300, 4)) * 3000.0
    log_transition = np.log(rng.dirichlet(np.ones(4), size=4))
    log_initial = np.log(rng.dirichlet(np.ones(4)))
    assert scaled_pass_is_trusted(log_likelihood, log_initial, log_transition)
    chain = (log_likelihood, np.array([300]), log_initial, log_transition)
    assert_posteriors_close(forward_backward(*chain), forward_backward_reference(*chain), 1e-10)


@pytest.mark.parametrize("n_states", [3, 8])
def test_large_inputs_shared_between_threads_give_each_sequence_its_own_result(n_states: int) -> None:
    """Tens of thousands of rows are shared between threads (runs of whole sequences): every
    sequence's result is exactly the one it gets alone, with one long sequence among short ones,
    likelihoods dropped below the reliable range, and an impossible sequence (redone in log
    space)."""
    rng = np.random.default_rng(2)
    lengths = np.concatenate([rng.integers(1, 300, size=150), [25_000], rng.integers(1, 50, size=200)])
    log_likelihood = -30.0 * rng.random((lengths.sum(), n_states)) ** 2
    log_transition = np.log(rng.dirichlet(np.ones(n_states), size=n_states))
    log_initial = np.log(rng.dirichlet(np.ones(n_states)))
    starts = np.cumsum(lengths) - lengths
    log_likelihood[starts[3] + 1] = -800.0  # a row far below the others: still fine
    log_likelihood[starts[5] : starts[5] + 2] = [[0.0] + [-800.0] * (n_states - 1)] * 2  # dropped
    log_likelihood[starts[7] + 1] = NEG_INF  # no state can emit this row
    chain = (log_likelihood, lengths, log_initial, log_transition)
    together = forward_backward(*chain)
    evidence = log_evidence(*chain)
    for s, rows in enumerate(sequence_slices(lengths)):
        alone = forward_backward(log_likelihood[rows], [lengths[s]], log_initial, log_transition)
        np.testing.assert_array_equal(together.marginals[rows], alone.marginals)
        np.testing.assert_array_equal(together.transition_counts[s], alone.transition_counts[0])
        np.testing.assert_array_equal(together.log_evidence[s], alone.log_evidence[0])
    assert together.log_evidence[7] == NEG_INF and np.isfinite(np.delete(together.log_evidence, 7)).all()
    np.testing.assert_allclose(evidence, together.log_evidence, rtol=1e-12)


def test_calls_from_several_threads_at_once_keep_apart() -> None:
    """The work space kept between calls goes to one call at a time; the others get their own."""
    rng = np.random.default_rng(3)
    chains = [
        (-20.0 * rng.random((n_rows, 4)) ** 2, [n_rows // 100] * 100, np.log(np.full(4, 0.25)),
         np.log(rng.dirichlet(np.ones(4), size=4)))
        for n_rows in (30_000, 20_000, 40_000, 5_000)
    ]
    expected = [forward_backward(*chain) for chain in chains]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            results = list(pool.map(lambda chain: forward_backward(*chain), chains))
            for result, wanted in zip(results, expected, strict=True):
                np.testing.assert_array_equal(result.marginals, wanted.marginals)
                np.testing.assert_array_equal(result.transition_counts, wanted.transition_counts)
                np.testing.assert_array_equal(result.log_evidence, wanted.log_evidence)


# --------------------------------------------------------------------------- i.i.d. special case


@FORWARD_BACKWARDS
@given(st.data())
def test_identical_transition_rows_reduce_to_the_mixture(recursion, data) -> None:
    n_states = data.draw(st.integers(1, 5))
    lengths = np.array(data.draw(st.lists(st.integers(1, 30), min_size=1, max_size=4)))
    shape = (int(lengths.sum()), n_states)
    log_likelihood = data.draw(arrays(np.float64, shape, elements=st.floats(-500, 10)))
    log_weights = np.log(data.draw(arrays(np.float64, n_states, elements=st.floats(0.01, 2.0))))
    posterior = recursion(log_likelihood, lengths, log_weights, np.tile(log_weights, (n_states, 1)))
    mixture = mixture_posterior(log_likelihood, log_weights)
    np.testing.assert_allclose(posterior.marginals, mixture.responsibilities, atol=1e-10)
    starts = np.cumsum(lengths) - lengths
    np.testing.assert_allclose(
        posterior.log_evidence, np.add.reduceat(mixture.log_evidence, starts), rtol=1e-12, atol=1e-9
    )
    for s, rows in enumerate(sequence_slices(lengths)):
        r = mixture.responsibilities[rows]
        np.testing.assert_allclose(posterior.transition_counts[s], r[:-1].T @ r[1:], atol=1e-10)


# --------------------------------------------------------------------------- hmmlearn


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_hmmlearn_gaussian_hmm(seed: int) -> None:
    hmm = pytest.importorskip("hmmlearn.hmm")
    rng = np.random.default_rng(seed)
    n_states, n_features, lengths = 3, 2, np.array([120, 1, 45, 80])
    startprob = rng.dirichlet(np.ones(n_states))
    transmat = rng.dirichlet(np.ones(n_states), size=n_states) + 2.0 * np.eye(n_states)
    transmat /= transmat.sum(axis=1, keepdims=True)
    means = rng.normal(scale=2.0, size=(n_states, n_features))
    factors = rng.normal(size=(n_states, n_features, n_features))
    covariances = factors @ factors.transpose(0, 2, 1) + np.eye(n_features)
    x = rng.normal(scale=2.0, size=(lengths.sum(), n_features))

    def fixed_model(**kwargs):
        model = hmm.GaussianHMM(n_states, covariance_type="full", init_params="", **kwargs)
        model.startprob_, model.transmat_, model.means_, model.covars_ = (
            startprob, transmat, means, covariances
        )
        return model

    theirs = fixed_model()
    log_likelihood = np.column_stack(
        [scipy.stats.multivariate_normal(means[k], covariances[k]).logpdf(x) for k in range(n_states)]
    )
    chain = (log_likelihood, lengths, np.log(startprob), np.log(transmat))
    posterior = forward_backward(*chain)
    np.testing.assert_allclose(posterior.log_evidence.sum(), theirs.score(x, lengths), rtol=1e-10)
    np.testing.assert_allclose(posterior.marginals, theirs.predict_proba(x, lengths), atol=1e-8)
    their_log_probability, their_path = theirs.decode(x, lengths, algorithm="viterbi")
    path, log_probability = viterbi(*chain)
    np.testing.assert_allclose(log_probability.sum(), their_log_probability, rtol=1e-10)
    np.testing.assert_array_equal(path, their_path)
    # One EM step updating only start and transitions turns hmmlearn's expected counts into
    # public attributes: the normalised sums of ours.
    stepped = fixed_model(n_iter=1, params="st", transmat_prior=1.0, startprob_prior=1.0)
    stepped.fit(x, lengths)
    initial = posterior.initial_counts.sum(axis=0)
    transitions = posterior.transition_counts.sum(axis=0)
    np.testing.assert_allclose(stepped.startprob_, initial / initial.sum(), atol=1e-8)
    np.testing.assert_allclose(stepped.transmat_, transitions / transitions.sum(axis=1, keepdims=True),
                               atol=1e-8)


def test_sample_path_follows_the_chain() -> None:
    """Empirical transition frequencies match transmat (zeros never taken); first states follow
    startprob."""
    from mixtures.latent import sample_path

    transmat = np.array([[0.9, 0.1, 0.0], [0.05, 0.9, 0.05], [0.0, 0.2, 0.8]])
    startprob = np.array([0.2, 0.3, 0.5])
    rng = np.random.default_rng(0)
    path = sample_path(startprob, transmat, rng.random(200_000))
    counts = np.zeros((3, 3))
    np.add.at(counts, (path[:-1], path[1:]), 1.0)
    frequencies = counts / counts.sum(1, keepdims=True)
    np.testing.assert_allclose(frequencies, transmat, atol=0.01)
    assert counts[0, 2] == 0 and counts[2, 0] == 0
    firsts = np.array([sample_path(startprob, transmat, rng.random(1))[0] for _ in range(20_000)])
    np.testing.assert_allclose(np.bincount(firsts, minlength=3) / firsts.size, startprob, atol=0.015)
