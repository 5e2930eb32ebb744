"""The library's compiled kernels (numba): how they are declared, and a one-line notice before
numba compiles one that its cache does not hold.

The first call of a compiled kernel on a machine (or after an upgrade) compiles it, which takes
seconds; later processes load it from numba's cache. A user who meets that pause unannounced
thinks the fit hangs, so the first compilation in a process logs one line (a ``WARNING`` of the
``mixtures`` logger: shown on ``sys.stderr`` unless logging is configured otherwise). The
kernels are the Gaussian families' E-step (``families.gaussian_kernels``), the mixture's softmax
(``_softmax``) and the hidden Markov recursions (``latent.markov_kernels``); each
module is imported at first use, so that ``import mixtures`` does not import numba.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import numba
from numba.core import event

__all__ = ["COMPILE_NOTICE", "compile_notice", "inner_kernel"]

COMPILE_NOTICE = (
    "mixtures: compiling its kernels with numba (a few seconds, once: later runs load them from "
    "numba's cache)"
)

#: Compiles a kernel called only from other kernels: without the wrappers to call it from Python.
inner_kernel = numba.njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)  # type: ignore[call-overload]

logger = logging.getLogger("mixtures")


class _Notice(event.Listener):
    """Logs the notice when a compilation starts, once per process."""

    shown = False

    def on_start(self, started: event.Event) -> None:
        if not _Notice.shown:
            _Notice.shown = True
            logger.warning(COMPILE_NOTICE)

    def on_end(self, ended: event.Event) -> None:
        pass


def compile_notice(kernel: Any) -> contextlib.AbstractContextManager[Any]:
    """A block inside which a compilation of ``kernel`` (a numba dispatcher, called with the one
    signature the library uses) logs ``COMPILE_NOTICE`` first, unless the process showed it
    already. A kernel loaded from the cache compiles nothing and shows nothing; a kernel already
    compiled in this process costs one check (the recursions run once per E-step)."""
    if _Notice.shown or kernel.signatures:
        return _NOTHING
    return event.install_listener("numba:compile", _Notice())


_NOTHING = contextlib.nullcontext()
