"""Model files written by an earlier version of the library still load, compute the same
numbers, and (for online fits) continue."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import mixtures as mx

FOLDER = Path(__file__).parent / "data" / "model_files_v1"
sys.path.insert(0, str(FOLDER))
from make import data, outputs  # noqa: E402

NAMES = sorted(
    path.name.removesuffix(".npz") for path in FOLDER.glob("*.npz") if ".expected" not in path.name
)
ONLINE = [name for name in NAMES if name.split("_")[1] in ("exact", "stepwise", "svi")]


def test_every_kind_of_fit_is_there() -> None:
    assert len(NAMES) == 13


@pytest.mark.parametrize("name", NAMES)
def test_an_old_model_file_loads_and_computes_the_same(name: str) -> None:
    model = mx.load(FOLDER / f"{name}.npz")
    expected = np.load(FOLDER / f"{name}.expected.npz")
    for key, values in outputs(model).items():
        np.testing.assert_allclose(values, expected[key], rtol=1e-12, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name", ONLINE)
def test_an_old_online_fit_continues(name: str) -> None:
    model = mx.load(FOLDER / f"{name}.npz")
    x, lengths = data()
    before = model.lower_bound_ if hasattr(model, "lower_bound_") else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name.endswith("exact"):
            model.end_pass()
            assert len(model.lower_bounds_) == 1
        elif name.startswith("hmm"):
            model.partial_fit(x, lengths=lengths)
        else:
            model.partial_fit(x)
    assert np.all(np.isfinite(model.components_.natural))
    assert before is None or np.isfinite(model.lower_bound_)
