"""``HMM.decode`` by Viterbi and by posterior marginals (``algorithm="map"``), against the
posterior and against hmmlearn."""

from __future__ import annotations

import numpy as np
import pytest

import mixtures as mx

from helpers import quiet


def fitted() -> tuple[mx.HMM, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    states = np.zeros(600, dtype=int)
    for t in range(1, 600):
        states[t] = states[t - 1] if rng.random() < 0.9 else rng.integers(0, 3)
    x = np.array([[0.0], [1.5], [3.0]])[states] + rng.normal(size=(600, 1))
    lengths = np.array([250, 200, 150])
    model = quiet(mx.HMM(mx.Gaussian(feature_scale=1.0), 3, random_state=0).fit, x, lengths=lengths)
    return model, x, lengths


def test_map_decoding_is_the_argmax_of_the_posterior() -> None:
    model, x, lengths = fitted()
    log_probability, states = model.decode(x, lengths=lengths, algorithm="map")
    posterior = model.predict_proba(x, lengths=lengths)
    np.testing.assert_array_equal(states, posterior.argmax(1))
    assert log_probability == pytest.approx(np.log(posterior.max(1)).sum(), rel=1e-12)
    np.testing.assert_array_equal(model.predict(x, lengths=lengths, algorithm="map"), states)
    # Viterbi is still the default, and on data this noisy the two paths differ somewhere
    viterbi = model.predict(x, lengths=lengths)
    np.testing.assert_array_equal(viterbi, model.decode(x, lengths=lengths)[1])
    assert (viterbi != states).any()


def test_both_decoders_match_hmmlearn() -> None:
    hmm = pytest.importorskip("hmmlearn.hmm")
    model, x, lengths = fitted()
    peer = hmm.GaussianHMM(3, covariance_type="full", init_params="", params="")
    peer.startprob_, peer.transmat_ = model.startprob_, model.transmat_
    peer.means_, peer.covars_ = model.components_.mean, model.components_.covariance
    for algorithm in ("viterbi", "map"):
        ours = model.decode(x, lengths=lengths, algorithm=algorithm)
        theirs = peer.decode(x, lengths=lengths, algorithm=algorithm)
        np.testing.assert_array_equal(ours[1], theirs[1])
    # Viterbi's log-probability is the same quantity in both
    assert model.decode(x, lengths=lengths)[0] == pytest.approx(peer.decode(x, lengths=lengths)[0], rel=1e-9)


def test_an_unknown_decoder_is_refused() -> None:
    model, x, lengths = fitted()
    with pytest.raises(ValueError, match=r"algorithm must be one of \('viterbi', 'map'\); got 'smoothing'"):
        model.decode(x, lengths=lengths, algorithm="smoothing")
