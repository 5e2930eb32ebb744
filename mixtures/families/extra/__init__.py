"""Further families, each written as a user would write their own (see docs/custom-families.md).

* ``Exponential`` with its conjugate ``GammaRate`` prior (EM, MAP-EM and VB);
* ``NegativeBinomial`` counts with a known ``r`` (``r = 1``: geometric);
* ``GammaKnownShape``: positive values, known shape, unknown rate;
* ``VonMises``: angles; it has no closed-form ``mean_to_natural`` and relies on the base class's
  numerical inversion.
"""

from mixtures.families.extra.exponential import Exponential, GammaRate
from mixtures.families.extra.gamma import GammaKnownShape, GammaKnownShapeComponents
from mixtures.families.extra.negative_binomial import NegativeBinomial, NegativeBinomialComponents
from mixtures.families.extra.von_mises import VonMises, VonMisesComponents

__all__ = [
    "Exponential",
    "GammaKnownShape",
    "GammaKnownShapeComponents",
    "GammaRate",
    "NegativeBinomial",
    "NegativeBinomialComponents",
    "VonMises",
    "VonMisesComponents",
]
