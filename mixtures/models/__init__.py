"""User-facing estimators: a thin scikit-learn-shaped layer over the inference drivers."""

from mixtures.models.hmm import HMM
from mixtures.models.mixture import Mixture
from mixtures.models.selection import Candidate, Selection, select_model

__all__ = ["HMM", "Candidate", "Mixture", "Selection", "select_model"]
