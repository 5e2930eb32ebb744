"""What a new user meets in the first hour: a notice before a long compile, a light ``import
mixtures``, readable results and helpful errors for other libraries' attribute names."""

from __future__ import annotations

import logging

import numba
import numpy as np
import pytest

from mixtures.latent import compilation
from mixtures.latent.compilation import COMPILE_NOTICE, compile_notice


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
