"""Latent structures: posteriors over hidden assignments given component log-likelihoods."""

from mixtures.latent.markov import (
    MarkovPosterior,
    forward_backward,
    log_evidence,
    sample_path,
    viterbi,
)
from mixtures.latent.mixture import (
    MixturePosterior,
    log_mixture_weights,
    mixture_posterior,
    mixture_weights,
)

__all__ = [
    "MarkovPosterior",
    "MixturePosterior",
    "forward_backward",
    "log_evidence",
    "log_mixture_weights",
    "mixture_posterior",
    "mixture_weights",
    "sample_path",
    "viterbi",
]
