"""Latent structures: posteriors over hidden assignments given component log-likelihoods."""

from mixtures.latent.mixture import (
    MixturePosterior,
    log_mixture_weights,
    mixture_posterior,
    mixture_weights,
)

__all__ = ["MixturePosterior", "log_mixture_weights", "mixture_posterior", "mixture_weights"]
