"""Single-precision E-step products (``product_dtype="float32"``) against float64 on the Gaussian
workloads of the benchmark suite: time per EM iteration and the largest parameter difference.

    python benchmarks/single_precision.py              # the eight gmm-* workloads (~4 minutes)
    python benchmarks/single_precision.py --quick      # tiny sizes: a smoke run
    python benchmarks/single_precision.py --only gmm-full,gmm-full-big --threads 1

Each workload's data and common start are those of ``run.py`` (``workloads.py``). Both precisions
run the same number of EM iterations from that start; they alternate within every repeat and the
median time per iteration is reported (only the iterations are timed, as in ``run.py``). The
parameters after the last iteration are then compared:

* weights: the largest absolute difference;
* means: the largest absolute difference in units of each feature's standard deviation;
* covariances (variances for diagonal and spherical): the largest absolute difference of an
  entry over the largest entry of that component's covariance.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import run  # the suite's entry point; imports only the standard library at its top

if TYPE_CHECKING:
    import numpy as np

GAUSSIAN_WORKLOADS = (
    "gmm-full", "gmm-diag", "gmm-spherical", "gmm-tied",
    "gmm-full-big", "gmm-diag-big", "gmm-spherical-big", "gmm-tied-big",
)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(GAUSSIAN_WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--threads", type=int, default=None, help="BLAS/numba threads (default: all cores)")
    return parser.parse_args(argv)


def spread(components: Any) -> np.ndarray:
    """Each component's covariance (or variances) as ``(K, ·)`` rows, in the data's units."""
    import numpy as np

    values = getattr(components, "covariance", None)
    if values is None:
        values = components.variance
    values = np.asarray(values, dtype=np.float64)
    n_components = components.mean.shape[0]
    if values.ndim == 2 and values.shape[0] != n_components:  # tied: one shared matrix
        values = np.repeat(values[None], n_components, axis=0)
    return values.reshape(n_components, -1)


def differences(double: Any, single: Any, x: np.ndarray) -> dict[str, float]:
    import numpy as np

    scale = x.std(0)
    covariance_double, covariance_single = spread(double.components_), spread(single.components_)
    largest = np.abs(covariance_double).max(1, keepdims=True)
    return {
        "weights": float(np.abs(double.weights_ - single.weights_).max()),
        "means": float((np.abs(double.components_.mean - single.components_.mean) / scale).max()),
        "covariances": float((np.abs(covariance_double - covariance_single) / largest).max()),
    }


def measure(name: str, quick: bool) -> dict[str, Any]:
    import harness
    import workloads

    workload = workloads.find(name)
    sizes = workload.sizes_for(quick)
    problem = workload.make_problem(sizes)
    starts = {"full": workloads.full_start, "diag": workloads.diag_start,
              "spherical": workloads.spherical_start, "tied": workloads.tied_start}
    start = starts[name.split("-")[1]]  # gmm-<covariance type>[-big]
    models: dict[str, Any] = {}
    runs = {
        dtype: workloads.ours_em(start, product_dtype=dtype,
                                 fitted=lambda model, dtype=dtype: models.__setitem__(dtype, model))
        .prepare(problem)
        for dtype in ("float64", "float32")
    }
    iterations = 2 if quick else workload.iterations
    repeats = 1 if quick else workload.repeats
    double, single = harness.per_iteration_pair(runs["float64"], runs["float32"], iterations, repeats)
    assert single is not None
    gaps = differences(models["float64"], models["float32"], problem.x)
    return {"workload": name, "sizes": sizes.describe(), "iterations": iterations,
            "double": double, "single": single, **gaps}


def render(rows: list[dict[str, Any]]) -> str:
    header = ("| workload | size | float64 ms/it | float32 ms/it | float32 / float64 | weights Δ "
              "| means Δ (σ) | covariances Δ (rel.) |")
    lines = [header, "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(
            f"| {row['workload']} | {row['sizes']} | {1e3 * row['double']:.1f} | {1e3 * row['single']:.1f} "
            f"| {row['single'] / row['double']:.2f} | {row['weights']:.1e} | {row['means']:.1e} "
            f"| {row['covariances']:.1e} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    run.pin_threads(args.threads or os.cpu_count() or 1)  # before numpy, numba and BLAS load
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    rows = []
    for name in names:
        print(f"[{time.strftime('%H:%M:%S')}] {name}", file=sys.stderr, flush=True)
        rows.append(measure(name, args.quick))
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
