"""Peak memory of ``Mixture.fit`` on data far larger than one chunk: the data plus a bounded
working set.

    python benchmarks/memory_bound.py [--rows 5000000] [--features 20] [--components 8]
                                      [--iterations 3] [--sources array memmap]

Each measurement runs in a fresh process. The process draws an ``(N, D)`` float64 sample of a
``K``-component Gaussian mixture block by block (as an array in memory, or written to a temporary
file and opened as a read-only ``np.memmap``), then fits ``Mixture(Gaussian(), K)`` for a few EM
iterations (``tol=0``) while a thread samples ``/proc/self/status`` every 10 ms. Reported:

* working set: the peak of anonymous memory (``RssAnon``) during ``fit`` minus its value just
  before (for the in-memory array, the data are in that baseline);
* the peak of file-backed resident memory (``RssFile``): the pages of a memory map that the
  passes touched, which the kernel can drop at any time;
* the fitting time and the chunk size.

With ``N·(S+1)·8`` bytes of statistics beyond the 2 GiB cache budget (``S = 230`` for ``D = 20``),
every pass recomputes each chunk's ``T(x)``, so the working set is set by the chunk size, not by N.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import numpy as np

BLOCK_ROWS = 100_000


def _status(field: str) -> int:
    """A ``/proc/self/status`` field in bytes."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _draw(out: np.ndarray, n_components: int, seed: int) -> None:
    """A Gaussian mixture sample written into ``out`` block by block (no full-size temporary)."""
    rng = np.random.default_rng(seed)
    n_features = out.shape[1]
    means = rng.normal(0.0, 4.0, size=(n_components, n_features))
    for start in range(0, out.shape[0], BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, out.shape[0])
        labels = rng.integers(n_components, size=stop - start)
        out[start:stop] = means[labels] + rng.standard_normal((stop - start, n_features))


def child(rows: int, features: int, components: int, iterations: int, source: str) -> dict:
    import mixtures as mx
    from mixtures.inference.data import default_chunk_size

    directory = tempfile.mkdtemp()
    if source == "memmap":
        path = os.path.join(directory, "x.f64")
        writer = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(rows, features))
        _draw(writer, components, 0)
        writer.flush()
        del writer
        x = np.load(path, mmap_mode="r")
    else:
        x = np.empty((rows, features))
        _draw(x, components, 0)

    baseline_anon = _status("RssAnon")
    peaks = {"RssAnon": baseline_anon, "RssFile": _status("RssFile")}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for field in peaks:
                peaks[field] = max(peaks[field], _status(field))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    model = mx.Mixture(mx.Gaussian(), components, max_iter=iterations, tol=0.0, random_state=0)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model.fit(x)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    n_statistics = features + features * (features + 1) // 2
    return {
        "source": source,
        "rows": rows,
        "features": features,
        "data_MiB": rows * features * 8 / 2**20,
        "working_set_MiB": (peaks["RssAnon"] - baseline_anon) / 2**20,
        "peak_file_backed_MiB": peaks["RssFile"] / 2**20,
        "fit_seconds": seconds,
        "passes": iterations + 3,  # the k-means++ sample, the initial statistics, iterations + 1 E-steps
        "chunk_rows": default_chunk_size(n_statistics),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--sources", nargs="+", default=["array", "memmap"], choices=["array", "memmap"])
    parser.add_argument("--child", choices=["array", "memmap"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.rows, args.features, args.components, args.iterations, args.child)))
        return
    for source in args.sources:
        command = [
            sys.executable, __file__, "--child", source, "--rows", str(args.rows),
            "--features", str(args.features), "--components", str(args.components),
            "--iterations", str(args.iterations),
        ]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        print(
            f"{result['source']:>7}: N={result['rows']:,} D={result['features']} "
            f"data {result['data_MiB']:.0f} MiB | working set during fit "
            f"{result['working_set_MiB']:.0f} MiB | peak file-backed "
            f"{result['peak_file_backed_MiB']:.0f} MiB | chunk {result['chunk_rows']} rows | fit "
            f"{result['fit_seconds']:.0f} s for {result['passes']} passes"
        )


if __name__ == "__main__":
    main()
