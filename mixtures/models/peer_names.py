"""Where our estimators keep what scikit-learn's and hmmlearn's estimators call by other names:
the hint of the ``AttributeError`` such a name raises (``LatentModel.__getattr__``), for code and
habits carried over from those libraries. Only names our estimators lack are listed, each with
the drop-in class of ``mixtures.compat`` that keeps it."""

from __future__ import annotations

__all__ = ["HMM_NAMES", "MIXTURE_NAMES", "missing_attribute"]

_SKLEARN = "mixtures.compat.sklearn.GaussianMixture"
_SKLEARN_VB = "mixtures.compat.sklearn.BayesianGaussianMixture"
_HMMLEARN = "mixtures.compat.hmmlearn.GaussianHMM"
_COVARIANCE = (
    "the covariances are components_.covariance (components_.variance for the diagonal and "
    "spherical families)"
)
_FAMILY = (
    "the covariance type is the family: Gaussian(), DiagonalGaussian(), SphericalGaussian() or "
    "TiedGaussian() (or the aliases 'full', 'diag', 'spherical', 'tied'); family_ after a fit"
)
_POSTERIOR = "after inference='vb' the posterior is posterior_"

#: scikit-learn's ``GaussianMixture`` and ``BayesianGaussianMixture`` names on a ``Mixture``:
#: where the value lives, and the drop-in that keeps the name.
MIXTURE_NAMES = {
    "means_": ("the means are components_.mean", _SKLEARN),
    "covariances_": (_COVARIANCE, _SKLEARN),
    "precisions_": ("the precision matrices are components_.precision", _SKLEARN),
    "precisions_cholesky_": (
        "the precision matrices are components_.precision (np.linalg.cholesky gives their factors)",
        _SKLEARN,
    ),
    "covariance_type": (_FAMILY, _SKLEARN),
    "weight_concentration_": (f"{_POSTERIOR}: posterior_.weights.concentration", _SKLEARN_VB),
    "mean_precision_": (f"{_POSTERIOR}: posterior_.components.mean_precision", _SKLEARN_VB),
    "degrees_of_freedom_": (f"{_POSTERIOR}: posterior_.components.dof", _SKLEARN_VB),
}

#: hmmlearn's names on an ``HMM``.
HMM_NAMES = {
    "means_": ("the means are components_.mean", _HMMLEARN),
    "covars_": (_COVARIANCE, _HMMLEARN),
    "covariance_type": (_FAMILY, _HMMLEARN),
    "emissionprob_": (
        "the emission probabilities are components_.probs (a Categorical family)",
        "mixtures.compat.hmmlearn.CategoricalHMM",
    ),
    "lambdas_": ("the rates are components_.rate (a Poisson family)", "mixtures.compat.hmmlearn.PoissonHMM"),
    "weights_": (
        "an HMM's state distributions are startprob_ and transmat_; with n_mix > 1 each state's "
        "mixture weights are mix_weights_",
        "mixtures.compat.hmmlearn.GMMHMM",
    ),
    "monitor_": (
        "the fit's record is converged_, n_iter_ and lower_bounds_ (the objective per iteration)",
        _HMMLEARN,
    ),
    "n_components": ("the number of states is n_states", _HMMLEARN),
    "n_iter": ("the limit on iterations is max_iter (n_iter_ counts those run)", _HMMLEARN),
    "n_features": ("the number of features is n_features_in_", _HMMLEARN),
}


def missing_attribute(owner: str, name: str, names: dict[str, tuple[str, str]]) -> AttributeError:
    """The error for ``name``, an attribute ``owner`` (a class name) lacks: with a hint from
    ``names`` if another library calls something ``name``."""
    if name not in names:
        return AttributeError(f"{owner!r} object has no attribute {name!r}")
    hint, drop_in = names[name]
    return AttributeError(
        f"{owner} has no attribute {name!r}; {hint} (or use {drop_in}, which keeps that name)"
    )
