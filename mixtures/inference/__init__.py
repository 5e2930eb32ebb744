"""Inference drivers: they know the loop and the statistics, never the family or the data."""

from mixtures.inference.data import ChunkedData
from mixtures.inference.em import EStep, MixtureParameters, e_step, fit_em, m_step
from mixtures.inference.loop import Trajectory, iterate

__all__ = [
    "ChunkedData",
    "EStep",
    "MixtureParameters",
    "Trajectory",
    "e_step",
    "fit_em",
    "iterate",
    "m_step",
]
