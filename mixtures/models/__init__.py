"""User-facing estimators: a thin scikit-learn-shaped layer over the inference drivers."""

from mixtures.models._estimator import Estimator
from mixtures.models._latent_model import Inference, resolve_inference
from mixtures.models.hmm import HMM
from mixtures.models.mixture import Mixture
from mixtures.models.selection import Candidate, Selection, select_model

__all__ = [
    "HMM",
    "Candidate",
    "Estimator",
    "Inference",
    "Mixture",
    "Selection",
    "resolve_inference",
    "select_model",
]
