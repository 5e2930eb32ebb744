"""The benchmark suite: this library against its peers on the same data, in one run.

    python benchmarks/run.py                     # everything (about 12–20 minutes on 2 cores)
    python benchmarks/run.py --quick             # tiny sizes, one repeat: a smoke run
    python benchmarks/run.py --only 'gmm-*,fb-*' # some workloads (names or glob patterns)
    python benchmarks/run.py --list              # the workloads and their peers
    python benchmarks/run.py --json results.json # also write the figures as JSON

Peers: scikit-learn ``GaussianMixture``/``BayesianGaussianMixture``, hmmlearn
``GaussianHMM``/``PoissonHMM``/``CategoricalHMM`` and its forward–backward kernels, pomegranate 1.x
``GeneralMixtureModel`` (Bernoulli, Poisson). A peer that is not installed gets the row "peer not
installed"; the rest still runs.

What is measured, per workload and contender:

* **time per iteration**: a fit of n iterations (``tol`` unreachable), of which only the n
  iterations (E-step + M-step each) are timed: ours through the fit loop's progress records, the
  peers by clock readings as their fit enters its E-step and leaves its M-step (set-up and
  initialisation excluded on both sides). Both start from the same parameters where the peer
  accepts them, in float64. Ours and the peer alternate within each repeat; the median over
  repeats is reported, and the ratio ours / peer (below 1: ours faster) with the issue's target
  where it sets one.
* **peak memory**: each contender fits once more in a fresh child process; the figure is the
  growth of its resident set during that whole fit (the high-water mark, reset after a warm-up
  fit on tiny data, minus the resident set before), printed next to the size of the data.
* **DGEMM speed** of this machine (a 4000×4000 float64 product, best of 3) and the GFLOP/s that
  each full-covariance EM iteration achieves, as a fraction of it: of the speed measured at the
  start of the run, and of the best measured just before and just after that workload's timing
  (the machine's speed drifts by 10–20% over minutes, as the peers' own times show).
* **memory bandwidth** (a 256 MiB numpy copy, best of 3) and, for the memory-bound diagonal and
  spherical workloads, the time the bytes an iteration must move take at it, as a fraction of
  our time per iteration.
* a **memory-bound fit**: a full-covariance GMM on 5,000,000 × 20 (beyond the statistics cache),
  its peak resident set against the data's own size.

BLAS, OpenMP, numba and torch threads are pinned to ``--threads`` (default: all cores) for every
library alike, before any of them loads.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 iterations, 1 repeat")
    parser.add_argument("--only", default="*", help="comma-separated workload names or glob patterns")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("--iterations", type=int, help="iterations per timed fit (default per workload)")
    parser.add_argument("--repeats", type=int, help="repeats per contender (default per workload)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="BLAS/OpenMP threads")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child processes")
    parser.add_argument("--no-dgemm", action="store_true",
                        help="skip the DGEMM speed and memory bandwidth measurements")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--memory-child", nargs=2, metavar=("WORKLOAD", "CONTENDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("iterations", "repeats", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1; got {value}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.memory_child is None:  # a child inherits its parent's pinned environment
        pin_threads(args.threads)
    sys.path.insert(0, str(SCRIPT.parent))
    import harness
    import workloads

    if args.memory_child is None:
        limit_loaded_pools(args.threads)

    if args.memory_child is not None:  # inside a child process started by memory_in_child
        workload = workloads.find(args.memory_child[0])
        contender = workload.contender(args.memory_child[1])
        warm_up = contender.prepare(workload.make_problem(workload.quick_sizes))
        problem = workload.make_problem(workload.sizes_for(args.quick))
        figures = harness.measure_peak(contender.prepare(problem), workload.memory_iterations, warm_up)
        figures["data_bytes"] = float(problem.x.nbytes)
        print(json.dumps(figures))
        return 0

    patterns = [pattern.strip() for pattern in args.only.split(",") if pattern.strip()]
    chosen = [w for w in workloads.WORKLOADS if any(fnmatch.fnmatch(w.name, p) for p in patterns)]
    memory_chosen = [w for w in workloads.MEMORY_WORKLOADS
                     if any(fnmatch.fnmatch(w.name, p) for p in patterns)]
    if args.list:
        for workload in (*workloads.WORKLOADS, *workloads.MEMORY_WORKLOADS):
            peers = ", ".join(f"{p.library} {p.label}" for p in workload.peers)
            print(f"{workload.name:<16}{workload.title:<24}{workload.sizes.describe():<26}vs {peers}")
        return 0
    if not chosen and not memory_chosen:
        print(f"no workload matches {args.only!r}; see --list", file=sys.stderr)
        return 2

    report: dict[str, Any] = {"machine": machine_description(harness), "rows": [], "flops": [],
                              "bandwidth": [], "memory": []}
    if not args.no_dgemm:
        progress("measuring DGEMM speed and memory bandwidth")
        report["machine"]["dgemm_gflops"] = harness.dgemm_gflops(1000 if args.quick else 4000)
        report["machine"]["copy_gbps"] = harness.copy_bandwidth(2**24 if args.quick else 2**28)
    for workload in chosen:
        report["rows"] += run_workload(harness, workload, args)
    report["flops"] = flop_rows(report["rows"], report["machine"].get("dgemm_gflops"))
    report["bandwidth"] = bandwidth_rows(report["rows"], report["machine"].get("copy_gbps"))
    if not args.no_memory:
        for workload in memory_chosen:
            report["memory"] += memory_rows(harness, workload, args)
    print(render(harness, report, args))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS",
)


def pin_threads(threads: int) -> None:
    """Limit every BLAS/OpenMP/numba pool of this process and its children to ``threads``.

    Environment variables act only before a library loads, so this runs before anything imports
    numpy (this module imports only the standard library at the top); torch is set explicitly
    when a contender loads it."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)


def limit_loaded_pools(threads: int) -> None:
    """Also limit BLAS pools loaded before ``pin_threads`` ran (when ``main`` is called from a
    process that had imported numpy already)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(threads)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine_description(harness: Any) -> dict[str, Any]:
    versions = {}
    packages = ("mixtures", "numpy", "scipy", "numba", "scikit-learn", "hmmlearn", "torch", "pomegranate")
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    blas = "unknown"
    try:
        from threadpoolctl import threadpool_info

        blas = "; ".join(f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)"
                         for i in threadpool_info() if i["user_api"] == "blas")
    except ImportError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": harness.pinned_threads(), "blas": blas,
            "python": platform.python_version(), "versions": versions}


def run_workload(harness: Any, workload: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    sizes = workload.sizes_for(args.quick)
    iterations = args.iterations or (2 if args.quick else workload.iterations)
    repeats = args.repeats or (1 if args.quick else workload.repeats)
    progress(f"{workload.name}: {sizes.describe()}, {iterations} iterations × {repeats} repeats")
    problem = workload.make_problem(sizes)
    ours_run = workload.ours.prepare(problem)
    memory = {} if args.no_memory else {"ours": child_memory(harness, workload, workload.ours, args)}
    rows = []
    counted = workload.ours.flops is not None or any(peer.flops for peer in workload.peers)
    nearby = nearby_dgemm(harness, args) if counted else None
    for peer in workload.peers:
        row: dict[str, Any] = {
            "workload": workload.name, "title": workload.title, "sizes": sizes.describe(),
            "ours": workload.ours.label, "peer_library": peer.library, "peer": peer.label,
            "iterations": iterations, "repeats": repeats, "target": workload.target,
            "data_bytes": float(problem.x.nbytes), "ours_peak_bytes": memory.get("ours"),
            "ours_flops": workload.ours.flops(problem) if workload.ours.flops else None,
            "peer_flops": peer.flops(problem) if peer.flops else None,
            "least_bytes": workload.ours.least_bytes(problem) if workload.ours.least_bytes else None,
        }
        if not peer.available():
            progress(f"  {peer.library} {peer.label}: peer not installed")
            mine, _ = harness.per_iteration_pair(ours_run, None, iterations, repeats)
            row.update(status=harness.PEER_MISSING, ours_seconds=mine, peer_seconds=None, ratio=None,
                       met=None, peer_peak_bytes=None)
            rows.append(row)
            continue
        try:
            mine, other = harness.per_iteration_pair(ours_run, peer.prepare(problem), iterations, repeats)
        except Exception as error:  # a peer's API change must not sink the whole suite
            progress(f"  {peer.library} {peer.label} failed: {error!r}")
            row.update(status=f"failed: {type(error).__name__}", ours_seconds=None, peer_seconds=None,
                       ratio=None, met=None, peer_peak_bytes=None)
            rows.append(row)
            continue
        assert other is not None
        ratio = mine / other
        progress(f"  vs {peer.library} {peer.label}: {1e3 * mine:.1f} / {1e3 * other:.1f} ms = {ratio:.3f}")
        row.update(status="ok", ours_seconds=mine, peer_seconds=other, ratio=ratio,
                   met=None if workload.target is None or args.quick else bool(ratio <= workload.target),
                   peer_peak_bytes=None if args.no_memory else child_memory(harness, workload, peer, args))
        rows.append(row)
    if nearby is not None:
        nearby = max(nearby, nearby_dgemm(harness, args) or 0.0)
    for row in rows:
        row["nearby_dgemm_gflops"] = nearby
    return rows


def nearby_dgemm(harness: Any, args: argparse.Namespace) -> float | None:
    """DGEMM speed measured now (best of 3), or None when the run skips DGEMM."""
    return None if args.no_dgemm else harness.dgemm_gflops(1000 if args.quick else 4000)


def child_memory(harness: Any, workload: Any, contender: Any, args: argparse.Namespace) -> float | None:
    """Growth of the resident set during one fit in a child process (bytes), or None."""
    figures = harness.memory_in_child(SCRIPT, workload.name, harness.contender_key(contender), args.quick)
    if isinstance(figures, str):
        progress(f"  memory of {contender.library} {contender.label}: {figures}")
        return None
    return figures["peak_bytes"] - figures["baseline_bytes"]


def flop_rows(rows: list[dict[str, Any]], dgemm: float | None) -> list[dict[str, Any]]:
    """Achieved GFLOP/s of every contender whose iteration has a flop count."""
    out = []
    seen = set()
    for row in rows:
        for side, library, label in (("ours", "mixtures", row["ours"]),
                                     ("peer", row["peer_library"], row["peer"])):
            flops, seconds = row[f"{side}_flops"], row[f"{side}_seconds"]
            key = (row["workload"], library, label)
            if flops is None or seconds is None or key in seen or seconds <= 0:
                continue
            seen.add(key)
            gflops = flops / seconds / 1e9
            nearby = row.get("nearby_dgemm_gflops")
            out.append({"workload": row["workload"], "sizes": row["sizes"], "library": library,
                        "contender": label, "gflop_per_iteration": flops / 1e9, "seconds": seconds,
                        "gflops": gflops, "fraction_of_dgemm": None if dgemm is None else gflops / dgemm,
                        "nearby_dgemm_gflops": nearby,
                        "fraction_of_nearby_dgemm": None if nearby is None else gflops / nearby})
    return out


def bandwidth_rows(rows: list[dict[str, Any]], copy_gbps: float | None) -> list[dict[str, Any]]:
    """For each memory-bound workload: the bytes an iteration must move, the time they take at the
    copy bandwidth, and that time as a fraction of ours (1: at the memory-bound limit)."""
    out = []
    seen = set()
    for row in rows:
        least, seconds = row.get("least_bytes"), row["ours_seconds"]
        if least is None or seconds is None or row["workload"] in seen or seconds <= 0:
            continue
        seen.add(row["workload"])
        limit = None if copy_gbps is None else least / (copy_gbps * 1e9)
        out.append({"workload": row["workload"], "sizes": row["sizes"], "least_bytes": least,
                    "limit_seconds": limit, "seconds": seconds,
                    "fraction_of_limit": None if limit is None else limit / seconds})
    return out


def memory_rows(harness: Any, workload: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    sizes = workload.sizes_for(args.quick)
    rows = []
    for contender in (workload.ours, *workload.peers):
        if not contender.available():
            rows.append({"workload": workload.name, "sizes": sizes.describe(), "library": contender.library,
                         "contender": contender.label, "status": harness.PEER_MISSING})
            continue
        progress(f"{workload.name}: peak memory of {contender.library} {contender.label}, {sizes.describe()}")
        figures = harness.memory_in_child(SCRIPT, workload.name, harness.contender_key(contender), args.quick)
        row = {"workload": workload.name, "sizes": sizes.describe(), "library": contender.library,
               "contender": contender.label, "iterations": workload.memory_iterations}
        if isinstance(figures, str):
            row["status"] = figures
        else:
            row.update(status="ok", **figures)
        rows.append(row)
    return rows


def render(harness: Any, report: dict[str, Any], args: argparse.Namespace) -> str:
    machine = report["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v is not None)
    missing = ", ".join(k for k, v in machine["versions"].items() if v is None)
    lines = [
        "# Benchmarks: mixtures against its peers" + (" (quick smoke run)" if args.quick else ""),
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores; Python {machine['python']}.",
        f"- Threads: {machine['threads']} for BLAS, OpenMP, numba and torch, for every library alike"
        f" (BLAS: {machine['blas']}).",
        f"- Versions: {versions}." + (f" Not installed: {missing}." if missing else ""),
    ]
    if "dgemm_gflops" in machine:
        lines.append(f"- DGEMM (float64 matrix product): {machine['dgemm_gflops']:.1f} GFLOP/s.")
    if "copy_gbps" in machine:
        lines.append(f"- Memory bandwidth (a 256 MiB numpy copy, read + write, one thread):"
                     f" {machine['copy_gbps']:.1f} GB/s.")
    lines += ["- Time per iteration: the n iterations of a fit (E-step + M-step each; set-up and"
              " initialisation not timed), median over repeats; same data, same start, float64."
              " Ratio = ours / peer: below 1 is faster.",
              "- Peak memory: growth of the resident set during one whole fit, in a child process.", ""]
    if report["rows"]:
        header = ["workload", "size", "peer", "ours ms/it", "peer ms/it", "ratio", "target", "met",
                  "data MB", "ours +MB", "peer +MB"]
        table = []
        for row in report["rows"]:
            peer = f"{row['peer_library']} {row['peer']}"
            if row["status"] != "ok":
                peer_time, ratio = row["status"], "—"
            else:
                peer_time, ratio = harness.milliseconds(row["peer_seconds"]), f"{row['ratio']:.3f}"
            target = "—" if row["target"] is None else f"≤ {row['target']:g}"
            met = {None: "—", True: "yes", False: "**no**"}[row["met"]]
            table.append([f"{row['workload']} ({row['title']})", row["sizes"], peer,
                          harness.milliseconds(row["ours_seconds"]), peer_time, ratio, target, met,
                          harness.megabytes(row["data_bytes"]), harness.megabytes(row["ours_peak_bytes"]),
                          harness.megabytes(row["peer_peak_bytes"])])
        lines += ["## Time per iteration and peak memory", "", harness.markdown_table(header, table), ""]
        judged = [row for row in report["rows"] if row["met"] is not None]
        if judged:
            met = sum(row["met"] for row in judged)
            lines += [f"Targets met: {met} of {len(judged)}.", ""]
    if report["flops"]:
        def share(fraction: float | None) -> str:
            return "—" if fraction is None else f"{100 * fraction:.1f}%"

        header = ["workload", "size", "library", "GFLOP/it", "ms/it", "GFLOP/s", "of DGEMM",
                  "DGEMM nearby", "of DGEMM nearby"]
        table = [[row["workload"], row["sizes"], f"{row['library']} {row['contender']}",
                  f"{row['gflop_per_iteration']:.2f}", harness.milliseconds(row["seconds"]),
                  f"{row['gflops']:.1f}", share(row["fraction_of_dgemm"]),
                  "—" if row.get("nearby_dgemm_gflops") is None else f"{row['nearby_dgemm_gflops']:.1f}",
                  share(row.get("fraction_of_nearby_dgemm"))]
                 for row in report["flops"]]
        lines += ["## Full-covariance EM iteration: achieved GFLOP/s", "",
                  "Each library's own dense products per iteration: ours 2·N·(S+1)·K for the "
                  "log-densities (T, 1)·(ηᵀ; c) and again for the sums rᵀ(T, 1) (S = D + D(D+1)/2; "
                  "T formed once in the cache, block by block); scikit-learn 2·N·D²·K for X·chol(Λ_k) and "
                  "again for the covariances, plus 6·N·D·K. 'of DGEMM': of the DGEMM speed above, "
                  "measured at the start of the run; 'DGEMM nearby': the best of that measurement "
                  "repeated just before and just after the workload's timing, and 'of DGEMM "
                  "nearby' the share of it (the machine's speed drifts over minutes).", "",
                  harness.markdown_table(header, table), ""]
    if report["bandwidth"]:
        header = ["workload", "size", "MB/it that must move", "limit ms/it", "ours ms/it", "of limit"]
        table = [[row["workload"], row["sizes"], harness.megabytes(row["least_bytes"]),
                  "—" if row["limit_seconds"] is None else harness.milliseconds(row["limit_seconds"]),
                  harness.milliseconds(row["seconds"]),
                  "—" if row["fraction_of_limit"] is None else f"{100 * row['fraction_of_limit']:.1f}%"]
                 for row in report["bandwidth"]]
        lines += ["## Diagonal and spherical EM iteration: the memory-bound limit", "",
                  "An iteration must read X at least once: 8·N·D bytes (ours does, once: each block's "
                  "log-densities, responsibilities and sums are taken while it is in the cache). At "
                  "the copy bandwidth above that takes the limit's time; 'of limit' "
                  "is that time over ours (100%: as fast as memory allows).", "",
                  harness.markdown_table(header, table), ""]
    if report["memory"]:
        header = ["workload", "size", "contender", "data MB", "RSS before MB", "peak RSS MB",
                  "peak − before MB", "× data", "fit s"]
        table = []
        for row in report["memory"]:
            if row["status"] != "ok":
                table.append([row["workload"], row["sizes"], f"{row['library']} {row['contender']}",
                              row["status"], "", "", "", "", ""])
                continue
            growth = row["peak_bytes"] - row["baseline_bytes"]
            table.append([row["workload"], row["sizes"], f"{row['library']} {row['contender']}",
                          harness.megabytes(row["data_bytes"]), harness.megabytes(row["baseline_bytes"]),
                          harness.megabytes(row["peak_bytes"]), harness.megabytes(growth),
                          f"{growth / row['data_bytes']:.2f}", f"{row['seconds']:.1f}"])
        lines += ["## Memory-bound fit", "",
                  f"One fit of {workloads_iterations(report)} iterations in a fresh process; the "
                  "data are resident before it starts (in 'RSS before').", "",
                  harness.markdown_table(header, table), ""]
    return "\n".join(lines)


def workloads_iterations(report: dict[str, Any]) -> str:
    counts = sorted({row.get("iterations") for row in report["memory"] if row.get("iterations")})
    return "/".join(str(count) for count in counts) or "?"


if __name__ == "__main__":
    sys.exit(main())
