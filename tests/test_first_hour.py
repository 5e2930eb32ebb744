"""What a new user meets in the first hour: a notice before a long compile, a light ``import
mixtures``, readable results and helpful errors for other libraries' attribute names."""

from __future__ import annotations

import logging
import subprocess
import sys

import numba
import numpy as np
import pytest

from mixtures.latent import compilation
from mixtures.latent.compilation import COMPILE_NOTICE, compile_notice
from mixtures.plotting import plot_gaussian_components
from mixtures.testing import check_family


# ---------------------------------------------------------------------------------------------- compile
def fresh_kernel() -> numba.core.registry.CPUDispatcher:
    """A compiled function no cache holds (defined anew, not cached to disk)."""

    @numba.njit(cache=False)
    def add_one(values):
        return values + 1.0

    return add_one


def test_a_compilation_is_announced_once_per_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(compilation._Notice, "shown", False)
    kernel = fresh_kernel()
    with caplog.at_level(logging.WARNING, logger="mixtures"):
        with compile_notice(kernel):
            kernel(np.zeros(2))
        assert [r.getMessage() for r in caplog.records] == [COMPILE_NOTICE]
        other = fresh_kernel()
        with compile_notice(other):  # another compilation: the process was told already
            other(np.zeros(2))
    assert len(caplog.records) == 1


def test_a_compiled_or_cached_kernel_is_not_announced(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    kernel = fresh_kernel()
    kernel(np.zeros(2))  # compiled already, as a kernel loaded from the cache
    monkeypatch.setattr(compilation._Notice, "shown", False)
    with caplog.at_level(logging.WARNING, logger="mixtures"), compile_notice(kernel):
        kernel(np.zeros(2))
    assert caplog.records == [] and not compilation._Notice.shown


# ---------------------------------------------------------------------------------------------- import
HEAVY_MODULES = (
    "hypothesis",
    "matplotlib",
    "dask",
    "numba",
    "scipy.special",
    "mixtures.cli",
    "mixtures.testing",
)


def test_import_mixtures_leaves_the_heavy_modules_for_later() -> None:
    """``import mixtures`` must stay light: each of these loads only when its feature is used."""
    code = f"import sys, mixtures; print([m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_lazy_submodules_are_attributes_listed_in_dir_and_all() -> None:
    import mixtures as mx

    assert mx.testing.check_family is check_family
    assert mx.plotting.plot_gaussian_components is plot_gaussian_components
    assert {"testing", "plotting", "compat"} <= set(dir(mx)) & set(mx.__all__)
    for name in mx.__all__:  # every advertised name resolves
        getattr(mx, name)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        mx.nonexistent  # noqa: B018
