"""The machinery of the benchmark suite: what a workload and a contender are, how a time per
iteration is measured, how peak memory is measured (in a child process), DGEMM speed, and the
Markdown table.

Nothing here knows a particular library; ``workloads.py`` describes those.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: A run of a contender: ``run(n)`` fits with ``n`` iterations and returns the seconds those
#: ``n`` iterations took, set-up, initialisation and any final E-step excluded.
Run = Callable[[int], float]

PEER_MISSING = "peer not installed"


@dataclass(frozen=True)
class Sizes:
    """The size of one workload's data: rows, features, components or states, and sequences."""

    n_samples: int
    n_features: int
    n_components: int
    n_sequences: int = 1

    def describe(self) -> str:
        rows = (
            f"N={self.n_samples:,}" if self.n_sequences == 1
            else f"{self.n_sequences:,}×{self.n_samples // self.n_sequences:,}"
        )
        return f"{rows} D={self.n_features} K={self.n_components}"


@dataclass(frozen=True)
class Problem:
    """The data every contender of a workload sees, and the parameters they all start from."""

    sizes: Sizes
    x: np.ndarray
    start: dict[str, np.ndarray]
    lengths: np.ndarray | None = None


@dataclass(frozen=True)
class Contender:
    """One library's way of running a workload.

    ``prepare(problem)`` returns ``run(n)``; it may do one-off conversions (e.g. to a torch
    tensor) that are not timed. ``requires`` names the modules that must import for it to run.
    ``flops(problem)``, if given, counts the floating-point operations of one of its iterations
    (its own algorithm's dense products); ``least_bytes(problem)``, the bytes any iteration must
    move through memory (for a memory-bound workload).
    """

    library: str
    label: str
    prepare: Callable[[Problem], Run]
    requires: tuple[str, ...] = ()
    flops: Callable[[Problem], float] | None = None
    least_bytes: Callable[[Problem], float] | None = None

    def available(self) -> bool:
        return all(importlib.util.find_spec(module) is not None for module in self.requires)


@dataclass(frozen=True)
class Workload:
    """A problem, this library's contender, the peers it is compared with, and the target ratio
    (ours / peer, met when at most ``target``) if the issue sets one."""

    name: str
    title: str
    sizes: Sizes
    quick_sizes: Sizes
    make_problem: Callable[[Sizes], Problem]
    ours: Contender
    peers: tuple[Contender, ...]
    target: float | None = None
    iterations: int = 10
    repeats: int = 5
    memory_iterations: int = 2

    def sizes_for(self, quick: bool) -> Sizes:
        return self.quick_sizes if quick else self.sizes

    def contender(self, library_label: str) -> Contender:
        for contender in (self.ours, *self.peers):
            if contender_key(contender) == library_label:
                return contender
        raise ValueError(f"workload {self.name} has no contender {library_label!r}")


def contender_key(contender: Contender) -> str:
    return f"{contender.library}:{contender.label}"


# --------------------------------------------------------------------------------- threads
def pinned_threads() -> int:
    """The thread count ``run.py`` pinned (through the environment) for every library."""
    return int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))


# --------------------------------------------------------------------------------- timing
class Stamps:
    """Clock readings taken as a library calls its own per-iteration methods.

    Wrapping a fitted object's E- and M-step methods lets the suite time exactly ``n``
    iterations of a peer that has no progress hook, excluding its set-up and initialisation.
    """

    def __init__(self) -> None:
        self.entries: list[float] = []
        self.exits: list[float] = []

    def on_entry(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def stamped(*args: Any, **kwargs: Any) -> Any:
            self.entries.append(time.perf_counter())
            return method(*args, **kwargs)

        return stamped

    def on_exit(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def stamped(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            finally:
                self.exits.append(time.perf_counter())

        return stamped

    def between_entries(self, expected: int) -> float:
        """From the first entry to the last, checking the method ran ``expected`` times."""
        self._check(self.entries, expected, "entries")
        return self.entries[-1] - self.entries[0]

    def first_entry_to_last_exit(self, expected: int) -> float:
        self._check(self.entries, expected, "entries")
        self._check(self.exits, expected, "exits")
        return self.exits[-1] - self.entries[0]

    @staticmethod
    def _check(stamps: list[float], expected: int, what: str) -> None:
        if len(stamps) != expected:
            raise RuntimeError(
                f"expected {expected} {what} of the timed method, saw {len(stamps)}: the library's "
                f"internals changed or it stopped early"
            )


def per_iteration_pair(
    ours: Run, theirs: Run | None, iterations: int, repeats: int, warm_up: bool = True
) -> tuple[float, float | None]:
    """Median seconds per iteration of ``ours`` and ``theirs`` over ``repeats`` fits each.

    Ours and theirs alternate within every repeat, so a change in the machine's load hits both
    alike; a warm-up fit of each comes first (compilation, caches, BLAS threads) unless
    ``warm_up`` is False: for fits so long that the warm-up would dominate, in a process that
    earlier, smaller fits of the same contenders have warmed.
    """
    samples: dict[str, list[float]] = {"ours": [], "theirs": []}
    runs = {"ours": ours} if theirs is None else {"ours": ours, "theirs": theirs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of fixed-iteration fits
        for run in runs.values() if warm_up else ():
            run(1)
        for _ in range(repeats):
            for side, run in runs.items():
                samples[side].append(run(iterations) / iterations)
    mine = float(np.median(samples["ours"]))
    other = float(np.median(samples["theirs"])) if theirs is not None else None
    return mine, other


def dgemm_gflops(size: int = 4000, repeats: int = 3) -> float:
    """This machine's float64 matrix-product speed (best of ``repeats``), GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    out = np.empty((size, size))
    np.matmul(a, b, out=out)  # warm-up
    best = min(_timed_matmul(a, b, out) for _ in range(repeats))
    return 2.0 * size**3 / best / 1e9


def _timed_matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> float:
    start = time.perf_counter()
    np.matmul(a, b, out=out)
    return time.perf_counter() - start


def copy_bandwidth(size: int = 256 * 1024**2, repeats: int = 3) -> float:
    """This machine's memory bandwidth as one numpy copy sees it (best of ``repeats``), GB/s:
    ``size`` bytes read and as many written, between arrays touched beforehand (no page faults),
    far larger than the caches."""
    source = np.ones(size // 8)
    target = np.zeros_like(source)
    np.copyto(target, source)  # warm-up
    best = min(_timed_copy(source, target) for _ in range(repeats))
    return 2.0 * size / best / 1e9


def _timed_copy(source: np.ndarray, target: np.ndarray) -> float:
    start = time.perf_counter()
    np.copyto(target, source)
    return time.perf_counter() - start


# --------------------------------------------------------------------------------- memory
def _status_kib(key: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def reset_peak_rss() -> bool:
    """Reset this process's resident-set high-water mark (Linux); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def current_rss_bytes() -> int:
    kib = _status_kib("VmRSS")
    return 1024 * kib if kib is not None else peak_rss_bytes()


def peak_rss_bytes() -> int:
    kib = _status_kib("VmHWM")
    if kib is not None:
        return 1024 * kib
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage if sys.platform == "darwin" else 1024 * usage


def measure_peak(run: Run, iterations: int, warm_up: Run | None = None) -> dict[str, float]:
    """Resident memory of the process before ``run(iterations)`` and at its peak, in bytes.

    ``warm_up(1)`` runs first (the same contender on small data: numba's compiled code, lazy
    imports), then the high-water mark is reset so that the peak is that of the measured call
    alone.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if warm_up is not None:
            warm_up(1)
        exact = reset_peak_rss()
        baseline = current_rss_bytes()
        start = time.perf_counter()
        run(iterations)
        seconds = time.perf_counter() - start
    return {
        "baseline_bytes": float(baseline),
        "peak_bytes": float(peak_rss_bytes()),
        "seconds": seconds,
        "exact": float(exact),
    }


def memory_in_child(
    script: Path, workload: str, contender: str, quick: bool, timeout: float = 900.0
) -> dict[str, float] | str:
    """Run ``script --memory-child workload contender`` in a fresh interpreter; its JSON answer,
    or a short reason why there is none."""
    command = [sys.executable, str(script), "--memory-child", workload, contender]
    if quick:
        command.append("--quick")
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=dict(os.environ), check=False
        )
    except subprocess.TimeoutExpired:
        return "timed out"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return f"failed: {last[:80]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------- output
def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def megabytes(value: float | None) -> str:
    return "—" if value is None else f"{value / 2**20:,.0f}"


def milliseconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{1e3 * value:,.1f}" if value < 10 else f"{1e3 * value:,.0f}"
