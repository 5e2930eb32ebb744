"""Out-of-core fitting: a data set on disk, streamed through ``partial_fit`` one batch at a time.

The script writes ``--rows`` rows drawn from a known 4-component, 6-dimensional Gaussian mixture to
a ``.npy`` file, piece by piece, so the data never sit in memory whole. It then fits the file
twice, reading it through ``np.load(path, mmap_mode="r")`` one batch of ``--batch-rows`` rows at a
time:

1. by stochastic variational Bayes (``online=mx.StochasticVB(total_samples=N)``): a natural-gradient
   step on the posterior after every batch, for one epoch;
2. by exact passes of EM (``online=mx.ExactPasses()``): each pass sums the statistics of every
   batch under fixed parameters and ``end_pass()`` applies the M-step, so ``--passes`` passes are
   exactly ``--passes`` iterations of ``fit`` on the whole file (from the first batch's k-means++
   start).

It prints the file size against the peak memory (resident set size) of the process, and the true
against recovered weights and means. Memory is bounded by a batch, not by the file: ``--rows`` may
exceed the machine's RAM (e.g. ``--rows 300_000_000`` writes about 14 GB; allow the disk space and
the time). The default, 5,000,000 rows (240 MB), runs in well under a minute.

    python examples/out_of_core.py [--rows N] [--batch-rows B] [--passes P] [--dir DIR] [--keep]

The script exits with an error when either fit fails to recover the mixture, so it doubles as an
end-to-end test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import mixtures as mx

Array = NDArray[np.float64]

TRUE_WEIGHTS = np.array([0.4, 0.3, 0.2, 0.1])
TRUE_MEANS = np.array(
    [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [4.0, 4.0, 0.0, 0.0, -2.0, 1.0],
        [-4.0, 3.0, 3.0, 0.0, 0.0, -1.0],
        [0.0, -4.0, -3.0, 3.0, 2.0, 0.0],
    ]
)
TRUE_SCALES = np.array([1.0, 0.8, 1.2, 0.6])  # each component's standard deviation, every axis
ROWS_PER_PIECE = 200_000  # rows drawn and written at a time
MAX_WEIGHT_ERROR = 0.01
MAX_MEAN_ERROR = 0.05


def write_dataset(path: Path, n_rows: int, seed: int) -> None:
    """Draw ``n_rows`` rows and write them to a ``.npy`` file piece by piece: the header first,
    then each piece's bytes, so that at most ``ROWS_PER_PIECE`` rows are ever in memory."""
    rng = np.random.default_rng(seed)
    n_features = TRUE_MEANS.shape[1]
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f8")), "fortran_order": False,
              "shape": (n_rows, n_features)}
    with open(path, "wb") as file:
        np.lib.format.write_array_header_2_0(file, header)
        for start in range(0, n_rows, ROWS_PER_PIECE):
            size = min(ROWS_PER_PIECE, n_rows - start)
            labels = rng.choice(len(TRUE_WEIGHTS), size=size, p=TRUE_WEIGHTS)
            piece = TRUE_MEANS[labels] + TRUE_SCALES[labels, None] * rng.standard_normal((size, n_features))
            file.write(piece.astype("<f8").tobytes())


def batches(path: Path, batch_rows: int) -> Iterator[Array]:
    """The file's rows, ``batch_rows`` at a time, each read from a memory map of the file.

    The map is opened for each batch and dropped after it: pages of a live map count towards the
    process's resident memory until it is unmapped, so one map kept open for a whole pass would
    make the file look resident (the operating system would reclaim them under pressure, but the
    peak would no longer show what the fit needs)."""
    n_rows = np.load(path, mmap_mode="r").shape[0]
    for start in range(0, n_rows, batch_rows):
        rows = np.load(path, mmap_mode="r")
        batch = np.array(rows[start : start + batch_rows])  # copied out of the map
        del rows
        yield batch


def peak_rss_bytes() -> int:
    """The process's peak resident set size so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def match(means: Array) -> NDArray[np.intp]:
    """For each true component, the index of the fitted component with the nearest mean."""
    distances = np.linalg.norm(means[None, :, :] - TRUE_MEANS[:, None, :], axis=2)
    order = distances.argmin(axis=1)
    if len(set(order.tolist())) != len(order):
        raise AssertionError(f"two true components matched one fitted component: {order}")
    return order


def report(name: str, model: mx.Mixture, seconds: float) -> tuple[float, float]:
    """Print the fit against the truth; return the largest weight and mean errors."""
    order = match(model.components_.mean)
    weights, means = model.weights_[order], model.components_.mean[order]
    weight_error = float(np.abs(weights - TRUE_WEIGHTS).max())
    mean_error = float(np.linalg.norm(means - TRUE_MEANS, axis=1).max())
    print(f"{name}: {model.n_iter_} updates in {seconds:.1f} s")
    print(f"  weights  true {np.round(TRUE_WEIGHTS, 3)}  fitted {np.round(weights, 3)}")
    for k in range(len(TRUE_WEIGHTS)):
        print(f"  mean {k}   true {np.round(TRUE_MEANS[k], 2)}  fitted {np.round(means[k], 2)}")
    print(f"  largest weight error {weight_error:.4f}, largest mean error {mean_error:.4f}")
    return weight_error, mean_error


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000,
                        help="rows to write (6 float64 columns, 48 bytes a row); may exceed RAM")
    parser.add_argument("--batch-rows", type=int, default=100_000, help="rows per partial_fit batch")
    parser.add_argument("--passes", type=int, default=3, help="exact EM passes over the file")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the data file")
    parser.add_argument("--seed", type=int, default=0, help="seed for drawing the data")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, folder: Path) -> int:
    path = folder / "out_of_core.npy"
    baseline = peak_rss_bytes()  # Python, numpy and the library, before any data
    started = time.perf_counter()
    write_dataset(path, args.rows, args.seed)
    file_bytes = path.stat().st_size
    print(f"wrote {args.rows:,} rows ({file_bytes / 2**20:.0f} MiB) to {path.name} in "
          f"{time.perf_counter() - started:.1f} s; peak memory so far {peak_rss_bytes() / 2**20:.0f} MiB")
    print()

    svi = mx.Mixture(mx.Gaussian(), 4, inference="vb", random_state=0,
                     online=mx.StochasticVB(total_samples=args.rows))
    started = time.perf_counter()
    for batch in batches(path, args.batch_rows):
        svi.partial_fit(batch)
    errors = [report("stochastic VB, one epoch", svi, time.perf_counter() - started)]
    print()

    em = mx.Mixture(mx.Gaussian(), 4, random_state=0, online=mx.ExactPasses())
    started = time.perf_counter()
    for _ in range(args.passes):
        for batch in batches(path, args.batch_rows):
            em.partial_fit(batch)
        em.end_pass()
    passes = f"{args.passes} exact pass" + ("" if args.passes == 1 else "es")
    errors.append(report(f"EM, {passes}", em, time.perf_counter() - started))
    per_row = ", ".join(f"{value:.4f}" for value in em.lower_bounds_)
    print(f"  log-likelihood per row of each pass's starting parameters: {per_row}")
    print()

    peak = peak_rss_bytes()
    print(f"data file {file_bytes / 2**20:.0f} MiB; peak resident memory {peak / 2**20:.0f} MiB, of "
          f"which {baseline / 2**20:.0f} MiB before any data (Python, numpy, the library): the "
          f"writing and both fits added {(peak - baseline) / 2**20:.0f} MiB")
    if not args.keep:
        path.unlink()
    worst_weight = max(weight for weight, _ in errors)
    worst_mean = max(mean for _, mean in errors)
    if worst_weight > MAX_WEIGHT_ERROR or worst_mean > MAX_MEAN_ERROR:
        raise AssertionError(
            f"the streamed fits did not recover the mixture: weight error {worst_weight:.3f} (limit "
            f"{MAX_WEIGHT_ERROR}), mean error {worst_mean:.3f} (limit {MAX_MEAN_ERROR})"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        return run(args, args.dir)
    with tempfile.TemporaryDirectory() as folder:
        if args.keep:
            print("--keep needs --dir: a temporary folder is removed at the end", file=sys.stderr)
        return run(args, Path(folder))


if __name__ == "__main__":
    sys.exit(main())
