"""User-facing estimators: a thin scikit-learn-shaped layer over the inference drivers."""

from mixtures.models.hmm import HMM
from mixtures.models.mixture import Mixture

__all__ = ["HMM", "Mixture"]
