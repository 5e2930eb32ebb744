"""Writes the model files in this folder, with what each fitted model computed.

They were written by the library before the fitting interface was unified (one problem for every
latent structure and inference), and `tests/test_model_files_v1.py` checks that they still load
and still compute the same numbers. Do not regenerate them with a newer library: their point is
to be old.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

import mixtures as mx

HERE = Path(__file__).parent


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 1, (60, 2)), rng.normal(3, 0.5, (60, 2))])
    return x, np.array([40, 50, 30])


def models() -> dict[str, object]:
    x, lengths = data()
    counts = np.random.default_rng(1).poisson(3.0, (120, 2)).astype(float)
    built: dict[str, object] = {
        "mixture_em": mx.Mixture(mx.Gaussian(), 2, random_state=0).fit(x),
        "mixture_map": mx.Mixture("diag", 2, prior=mx.NormalGamma(), random_state=0).fit(x),
        "mixture_vb": mx.Mixture(mx.Gaussian(), 3, inference="vb", random_state=0).fit(x),
        "mixture_vb_stick": mx.Mixture(
            "poisson", 3, inference="vb", weight_prior=mx.StickBreaking(), random_state=0
        ).fit(counts),
        "hmm_em": mx.HMM(mx.Gaussian(), 2, random_state=0).fit(x, lengths=lengths),
        "hmm_vb": mx.HMM("diag", 2, inference="vb", random_state=0).fit(x, lengths=lengths),
        "hmm_fixed": mx.HMM(
            mx.Gaussian(), 2, random_state=0, fixed=("startprob",),
        ).fit(x, lengths=lengths),
    }
    online = {
        "mixture_exact": mx.Mixture(mx.Gaussian(), 2, random_state=0, online=mx.ExactPasses()),
        "mixture_stepwise": mx.Mixture(mx.Gaussian(), 2, random_state=0, online=mx.StepwiseEM()),
        "mixture_svi": mx.Mixture(
            mx.Gaussian(), 2, inference="vb", random_state=0, online=mx.StochasticVB(total_samples=120)
        ),
        "hmm_exact": mx.HMM(mx.Gaussian(), 2, random_state=0, online=mx.ExactPasses()),
        "hmm_stepwise": mx.HMM(mx.Gaussian(), 2, random_state=0, online=mx.StepwiseEM()),
        "hmm_svi": mx.HMM(
            mx.Gaussian(), 2, inference="vb", random_state=0, online=mx.StochasticVB(total_samples=120)
        ),
    }
    for name, model in online.items():
        if name.startswith("hmm"):
            model.partial_fit(x[:40], lengths=[40])
            model.partial_fit(x[40:], lengths=[50, 30])
        else:
            model.partial_fit(x[:60])
            model.partial_fit(x[60:])
        built[name] = model
    return built


def outputs(model: object) -> dict[str, np.ndarray]:
    x, lengths = data()
    if isinstance(model, mx.HMM):
        return {
            "predict_proba": model.predict_proba(x, lengths=lengths),
            "score": np.array(model.score(x, lengths=lengths)),
        }
    counts = np.random.default_rng(1).poisson(3.0, (120, 2)).astype(float)
    rows = counts if model.family_.name.startswith("Poisson") else x
    return {"predict_proba": model.predict_proba(rows), "score_samples": model.score_samples(rows)}


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, model in models().items():
            model.save(HERE / f"{name}.npz")
            np.savez(HERE / f"{name}.expected.npz", **outputs(model))
