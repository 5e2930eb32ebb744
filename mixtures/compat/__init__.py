"""Drop-in classes for code written against scikit-learn's and hmmlearn's estimators.

``mixtures.compat.sklearn`` and ``mixtures.compat.hmmlearn`` keep those libraries' constructor
signatures, defaults, fitted attribute names and method semantics, and fit with this library's
estimators underneath. Neither library is needed to use them.
"""
