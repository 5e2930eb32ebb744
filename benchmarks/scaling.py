"""How the cost of one EM iteration of a full-covariance Gaussian mixture grows with the number of
rows N, of features D and of components K: ``mixtures.Mixture(Gaussian(), K)`` against
scikit-learn's ``GaussianMixture(covariance_type="full")``.

    python benchmarks/scaling.py                  # the three sweeps (6–8 minutes on 2 shared cores)
    python benchmarks/scaling.py --quick          # tiny sizes: a smoke run (seconds)
    python benchmarks/scaling.py --sweeps D K     # some sweeps only
    python benchmarks/scaling.py --output-dir /tmp/scaling --threads 1

Sweeps (one parameter varies, the others stay at N=100,000, D=10, K=8):

* N = 10⁴, 10⁵, 10⁶, 10⁷ rows. At 10⁷ the data (800 MB) are written once to a temporary file
  and both libraries read them through a read-only ``np.memmap``. Our fit holds no ``T(x)`` at any
  size (the Gaussians form it block by block in the cache), so its memory is the data's plus a
  chunk's. scikit-learn runs there only if the memory it would need (several ``(N, D)`` and
  ``(N, K)`` arrays) is available, else its cell says why not.
* D = 2, 5, 10, 20, 50, 100 features.
* K = 2, 8, 32, 128 components.

Each point is timed by the benchmark suite's own harness (``harness.per_iteration_pair`` with the
contenders of ``workloads.py``): both sides start from the same parameters, only the EM
iterations are timed (ours through the fit loop's progress records, scikit-learn's between calls
of its ``_e_step``), ours and scikit-learn alternate within every repeat, and the median over the
repeats is reported. GFLOP/s counts our own dense products per iteration as ``run.py`` does.

Writes ``scaling.md`` (the tables, also printed) and ``scaling.png`` (one log-log panel per sweep,
both libraries) into ``--output-dir`` (default: this folder).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import run  # the suite's entry point; imports only the standard library at its top

if TYPE_CHECKING:
    import numpy as np
    from harness import Contender, Problem, Run, Sizes

HERE = Path(__file__).resolve().parent
#: The size every sweep keeps for the parameters it does not vary.
BASE_ROWS, BASE_FEATURES, BASE_COMPONENTS = 100_000, 10, 8
#: What scikit-learn's full-covariance EM holds at once besides the data, in float64 columns per
#: row: a few (N, D) products and differences per component, and the (N, K) log-probabilities,
#: their log-sum-exp temporaries and the responsibilities. A deliberate overestimate.
SKLEARN_COLUMNS_PER_FEATURE, SKLEARN_COLUMNS_PER_COMPONENT = 4, 6
#: Memory left free for everything else on the machine when deciding whether scikit-learn runs.
HEADROOM_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Point:
    """One size to time: the sizes, how many iterations per fit and repeats, whether a warm-up fit
    comes first, and whether its data are written to a file and memory-mapped rather than held in
    memory."""

    n_samples: int
    n_features: int
    n_components: int
    iterations: int = 3
    repeats: int = 3  # a median of three shrugs off one fit slowed by other work
    on_disk: bool = False
    warm_up: bool = True

    def sizes(self) -> Sizes:
        from harness import Sizes

        return Sizes(self.n_samples, self.n_features, self.n_components)

    @property
    def key(self) -> tuple[int, int, int]:
        return self.n_samples, self.n_features, self.n_components


@dataclass(frozen=True)
class Sweep:
    """A series of points along one parameter (``"N"``, ``"D"`` or ``"K"``)."""

    parameter: str
    title: str
    points: tuple[Point, ...]

    def value(self, point: Point) -> int:
        return {"N": point.n_samples, "D": point.n_features, "K": point.n_components}[self.parameter]


def sweeps(quick: bool) -> tuple[Sweep, ...]:
    """The three sweeps: full sizes, or tiny ones (2 iterations, 1 repeat) for a smoke run."""
    if quick:
        n, d, k = 2_000, 4, 3
        return (
            Sweep("N", f"rows N (D={d}, K={k})", (
                Point(1_000, d, k, 2, 1), Point(n, d, k, 2, 1),
                Point(6_000, d, k, 2, 1, on_disk=True, warm_up=False))),
            Sweep("D", f"features D (N={n:,}, K={k})", tuple(Point(n, f, k, 2, 1) for f in (2, d, 8))),
            Sweep("K", f"components K (N={n:,}, D={d})", tuple(Point(n, d, c, 2, 1) for c in (2, k, 6))),
        )
    n, d, k = BASE_ROWS, BASE_FEATURES, BASE_COMPONENTS
    return (
        Sweep("N", f"rows N (D={d}, K={k})", (
            Point(10_000, d, k), Point(n, d, k), Point(1_000_000, d, k),
            # minutes per fit for scikit-learn: one timed fit of each, after the smaller sizes
            # have warmed everything up
            Point(10_000_000, d, k, iterations=2, repeats=1, on_disk=True, warm_up=False))),
        Sweep("D", f"features D (N={n:,}, K={k})", (
            *(Point(n, f, k) for f in (2, 5, 10, 20, 50)), Point(n, 100, k, iterations=2, repeats=2))),
        Sweep("K", f"components K (N={n:,}, D={d})", (
            *(Point(n, d, c) for c in (2, 8, 32)), Point(n, d, 128, iterations=2))),
    )


# ----------------------------------------------------------------------------- memory
def available_bytes() -> int | None:
    """The kernel's estimate of memory available to a new allocation (Linux), or None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return 1024 * int(line.split()[1])
    except OSError:
        pass
    return None


def sklearn_needs_bytes(point: Point) -> int:
    """A generous estimate of scikit-learn's working memory for one fit (data excluded)."""
    columns = (SKLEARN_COLUMNS_PER_FEATURE * point.n_features
               + SKLEARN_COLUMNS_PER_COMPONENT * point.n_components)
    return 8 * point.n_samples * columns


def sklearn_skip_reason(point: Point) -> str | None:
    """Why scikit-learn cannot run at ``point`` on this machine now, or None if it can."""
    available, needed = available_bytes(), sklearn_needs_bytes(point)
    if available is None or needed + HEADROOM_BYTES <= available:
        return None
    return f"skipped: needs ~{needed / 2**30:.1f} GiB, {available / 2**30:.1f} GiB available"


def recording_peak(run_fit: Run, growths: list[float]) -> Run:
    """``run_fit`` that also appends the growth of the resident set during each call: the
    high-water mark is reset before the fit (outside its timed iterations), read after it."""
    import harness

    def run_and_record(iterations: int) -> float:
        harness.reset_peak_rss()
        before = harness.current_rss_bytes()
        seconds = run_fit(iterations)
        growths.append(harness.peak_rss_bytes() - before)
        return seconds

    return run_and_record


class OtherProcesses:
    """How busy the rest of the machine keeps its cores while this run goes on: the CPU time of
    all processes (``/proc/stat``) less this process's own, over the wall-clock time."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.machine_start, self.own_start = self.machine_seconds(), self.own_seconds()

    @staticmethod
    def machine_seconds() -> float | None:
        """CPU seconds run by every process since boot (user, nice, system, interrupts), or None."""
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        except OSError:
            return None
        user, nice, system, _idle, _iowait, irq, softirq = (int(value) for value in fields[1:8])
        return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def own_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def cores(self) -> float | None:
        """Cores the other processes used on average since this object was made, or None."""
        machine = self.machine_seconds()
        if machine is None or self.machine_start is None:
            return None
        others = (machine - self.machine_start) - (self.own_seconds() - self.own_start)
        return max(0.0, others / (time.perf_counter() - self.started))


# ----------------------------------------------------------------------------- measuring
@dataclass
class Result:
    """The figures of one point."""

    point: Point
    ours_seconds: float
    sklearn_seconds: float | None
    sklearn_status: str
    ours_gflops: float | None
    ours_growth_bytes: float | None = None
    sklearn_growth_bytes: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return None if self.sklearn_seconds is None else self.ours_seconds / self.sklearn_seconds


def memory_mapped_problem(point: Point, directory: Path) -> Problem:
    """The workloads' Gaussian-cluster problem with its rows generated block by block into a file
    and opened read-only as a memory map (nothing of the data's size is held in memory)."""
    import numpy as np
    import workloads

    def data_on_disk(sizes: Sizes) -> np.ndarray:
        path = directory / f"x-{sizes.n_samples}x{sizes.n_features}.npy"
        writer = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                           shape=(sizes.n_samples, sizes.n_features))
        workloads.gaussian_clusters(sizes, out=writer)
        writer.flush()
        del writer
        return np.load(path, mmap_mode="r")

    return workloads.gaussian_problem(data_on_disk)(point.sizes())


def measure(point: Point, ours: Contender, theirs: Contender, directory: Path) -> Result:
    """Time ``point``: ours and scikit-learn alternately, by the suite's ``per_iteration_pair``."""
    import harness
    import workloads

    if point.on_disk:
        run.progress(f"  writing {point.n_samples:,} × {point.n_features} rows to a memory-mapped file")
        problem = memory_mapped_problem(point, directory)
    else:
        problem = workloads.gaussian_problem(workloads.gaussian_clusters)(point.sizes())
    growths: dict[str, list[float]] = {"ours": [], "theirs": []}
    ours_run = recording_peak(ours.prepare(problem), growths["ours"])
    status = sklearn_skip_reason(point) or ("peer not installed" if not theirs.available() else "ok")
    theirs_run = recording_peak(theirs.prepare(problem), growths["theirs"]) if status == "ok" else None
    mine, other = harness.per_iteration_pair(ours_run, theirs_run, point.iterations, point.repeats,
                                             warm_up=point.warm_up)
    flops = ours.flops(problem) if ours.flops is not None else None
    result = Result(
        point, mine, other, status, None if flops is None else flops / mine / 1e9,
        # the last fit of each side: after the warm-up, when a memory map's pages are resident
        ours_growth_bytes=growths["ours"][-1] if growths["ours"] else None,
        sklearn_growth_bytes=growths["theirs"][-1] if growths["theirs"] else None,
    )
    summary = f"ours {1e3 * mine:,.1f} ms/it"
    summary += f", scikit-learn {1e3 * other:,.1f} ms/it" if other is not None else f", scikit-learn {status}"
    run.progress(f"  {summary}")
    return result


# ----------------------------------------------------------------------------- output
def gflop_rate(gflops: float) -> str:
    """One decimal, or two significant digits below 1 GFLOP/s (the tiny sizes of ``--quick``)."""
    return f"{gflops:.1f}" if gflops >= 1 else f"{gflops:.2g}"


def table(sweep: Sweep, results: dict[tuple[int, int, int], Result]) -> str:
    """The Markdown table of one sweep: a row per point."""
    import harness

    header = [sweep.parameter, "ours ms/it", "scikit-learn ms/it", "ratio", "ours GFLOP/s"]
    rows = []
    for point in sweep.points:
        result = results[point.key]
        size = f"{sweep.value(point):,}"
        sklearn = (harness.milliseconds(result.sklearn_seconds) if result.sklearn_seconds is not None
                   else result.sklearn_status)
        ratio = "—" if result.ratio is None else f"{result.ratio:.2f}"
        gflops = "—" if result.ours_gflops is None else gflop_rate(result.ours_gflops)
        rows.append([size, harness.milliseconds(result.ours_seconds), sklearn, ratio, gflops])
    return harness.markdown_table(header, rows)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("s" if count != 1 else "")


def schedule(sweep: Sweep) -> str:
    """How many iterations and repeats each point of ``sweep`` had, the exceptions named."""
    def describe(point: Point) -> str:
        return (f"{plural(point.iterations, 'iteration')} × {plural(point.repeats, 'repeat')}"
                + ("" if point.warm_up else ", no warm-up fit"))

    usual = describe(sweep.points[0])
    exceptions = [f"{sweep.parameter} = {sweep.value(point):,}: {describe(point)}"
                  for point in sweep.points if describe(point) != usual]
    return f"Per point: {usual}" + (f" ({'; '.join(exceptions)})" if exceptions else "") + "."


def report(chosen: tuple[Sweep, ...], results: dict[tuple[int, int, int], Result],
           context: dict[str, Any], quick: bool) -> str:
    """The whole Markdown report: how it was measured, then a table per sweep."""
    machine = context["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in machine["versions"].items()
                         if version is not None and name in ("mixtures", "numpy", "scipy", "numba",
                                                             "scikit-learn"))
    others = context["others_cores"]
    loaded = others is not None and others > 0.25
    load = ("unknown" if others is None else f"{others:.1f} of {machine['cores']} cores on average"
            + (" — **a loaded machine: absolute times are noisy; the ratios, taken alternately, less so**"
               if loaded else ""))
    lines = [
        "# Cost of a full-covariance EM iteration against N, D and K"
        + (" (quick smoke run)" if quick else ""),
        "",
        "`mixtures.Mixture(Gaussian(), K)` against scikit-learn's"
        " `GaussianMixture(covariance_type=\"full\")`, both from the same starting parameters, in"
        " float64. Time per iteration: only the EM iterations of a fit are timed (set-up and"
        " initialisation excluded), ours and scikit-learn alternating within every repeat, median over"
        " the repeats (`benchmarks/README.md`, \"What is measured\"). Ratio = ours / scikit-learn:"
        " below 1, ours is faster. GFLOP/s: our dense products per iteration (4·N·(S+1)·K with"
        " S = D + D(D+1)/2, on blocks of T(x) formed once in the cache) over our time.",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores; {plural(machine['threads'], 'thread')}"
        f" for BLAS, OpenMP and numba, for both libraries (BLAS: {machine['blas']}).",
        f"- Versions: Python {machine['python']}, {versions}.",
    ]
    if context.get("dgemm_gflops") is not None:
        lines.append(f"- DGEMM (float64 matrix product) on this machine: {context['dgemm_gflops']:.1f}"
                     " GFLOP/s.")
    lines += [
        f"- CPU used by other processes during the run: {load}.",
        f"- Whole run: {context['seconds'] / 60:.1f} minutes.",
        "",
    ]
    shared = {point.key for sweep in chosen for point in sweep.points}
    for sweep in chosen:
        lines += [f"## {sweep.title}", "", table(sweep, results), "", schedule(sweep), ""]
    notes = [note for key in sorted(shared) for note in results[key].notes]
    if notes:
        lines += ["## Notes", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(lines)


def plot(chosen: tuple[Sweep, ...], results: dict[tuple[int, int, int], Result], path: Path,
         threads: int) -> None:
    """One log-log panel per sweep: ms per iteration of both libraries; a dotted guide of the cost
    growing in proportion (∝ N, ∝ D², ∝ K)."""
    import matplotlib

    matplotlib.use("Agg")  # a file only: never needs a display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    guide_power = {"N": 1, "D": 2, "K": 1}
    figure, axes = plt.subplots(1, len(chosen), figsize=(4.2 * len(chosen), 3.8), squeeze=False)
    for axis, sweep in zip(axes[0], chosen, strict=True):
        sizes = [sweep.value(point) for point in sweep.points]
        ours = [1e3 * results[point.key].ours_seconds for point in sweep.points]
        axis.plot(sizes, ours, "o-", color="C0", label="mixtures")
        theirs = []
        for size, point in zip(sizes, sweep.points, strict=True):
            seconds = results[point.key].sklearn_seconds
            if seconds is not None:  # not where scikit-learn was skipped
                theirs.append((size, 1e3 * seconds))
        if theirs:
            axis.plot(*zip(*theirs, strict=True), "s--", color="C1", label="scikit-learn")
        power = guide_power[sweep.parameter]
        guide = [ours[0] * (size / sizes[0]) ** power for size in sizes]
        axis.plot(sizes, guide, ":", color="grey", label=f"∝ {sweep.parameter}" + ("²" if power == 2 else ""))
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel(sweep.title)
        if sweep.parameter != "N":  # few values: label each one
            axis.set_xticks(sizes, [str(size) for size in sizes])
            axis.xaxis.set_minor_locator(NullLocator())
        axis.set_ylabel("ms per EM iteration")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize="small")
    figure.suptitle("Full-covariance GMM, one EM iteration: mixtures vs scikit-learn"
                    f" ({plural(threads, 'thread')} each)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# ----------------------------------------------------------------------------- main
def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 iterations, 1 repeat")
    parser.add_argument("--sweeps", nargs="+", choices=["N", "D", "K"], default=["N", "D", "K"],
                        help="which sweeps to run (default: all three)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="BLAS/OpenMP/numba threads")
    parser.add_argument("--output-dir", type=Path, default=HERE, help="where scaling.md and scaling.png go")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1; got {args.threads}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    run.pin_threads(args.threads)  # before mixtures loads numba, and scikit-learn its OpenMP
    run.limit_loaded_pools(args.threads)
    import harness
    import workloads

    started = time.perf_counter()
    others = OtherProcesses()
    chosen = tuple(sweep for sweep in sweeps(args.quick) if sweep.parameter in args.sweeps)
    context: dict[str, Any] = {"machine": run.machine_description(harness)}
    run.progress("measuring DGEMM speed")
    context["dgemm_gflops"] = harness.dgemm_gflops(1000 if args.quick else 4000)
    ours, theirs = workloads.ours_em(workloads.full_start), workloads.sklearn_em("full")
    results: dict[tuple[int, int, int], Result] = {}
    with tempfile.TemporaryDirectory(prefix="mixtures-scaling-") as directory:
        for sweep in chosen:
            for point in sweep.points:
                if point.key in results:  # the base point is shared by the sweeps: measured once
                    continue
                run.progress(f"N={point.n_samples:,} D={point.n_features} K={point.n_components}: "
                             f"{point.iterations} iterations × {point.repeats} repeats")
                results[point.key] = measure(point, ours, theirs, Path(directory))
                annotate(results[point.key])
    context["seconds"] = time.perf_counter() - started
    context["others_cores"] = others.cores()
    text = report(chosen, results, context, args.quick)
    print(text)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "scaling.md").write_text(text + "\n")
    plot(chosen, results, args.output_dir / "scaling.png", args.threads)
    minutes = context["seconds"] / 60
    run.progress(f"wrote scaling.md and scaling.png to {args.output_dir} in {minutes:.1f} min")
    return 0


def annotate(result: Result) -> None:
    """Notes on the memory-mapped point: where the data were and what each fit's working set was."""
    point = result.point
    if not point.on_disk:
        return
    data_mb = 8 * point.n_samples * point.n_features / 2**20
    note = (f"N={point.n_samples:,}: the data ({data_mb:,.0f} MiB) were read by both libraries from a"
            f" read-only `np.memmap` of a temporary file")
    if result.ours_growth_bytes is not None:
        note += f"; resident set growth during one of our fits: {result.ours_growth_bytes / 2**20:,.0f} MiB"
    if result.sklearn_growth_bytes is not None:
        note += f", during one of scikit-learn's: {result.sklearn_growth_bytes / 2**20:,.0f} MiB"
    elif result.sklearn_status != "ok":
        note += f"; scikit-learn {result.sklearn_status}"
    result.notes.append(note + ".")


if __name__ == "__main__":
    sys.exit(main())

