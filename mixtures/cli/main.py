"""The ``mixtures`` command: ``fit``, ``select``, ``predict`` and ``demo``."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs
import numpy as np

from mixtures.cli.columns import label_like_columns
from mixtures.cli.progress import ProgressBar, ProgressLog
from mixtures.cli.table import Table, read_table
from mixtures.families import DiagonalGaussian, ExponentialFamily, Gaussian, SphericalGaussian
from mixtures.inference.loop import observe_iterations
from mixtures.inference.missing import filled
from mixtures.models import HMM, Mixture, resolve_inference
from mixtures.models.families import FAMILY_ALIASES, resolve_family
from mixtures.models.selection import CRITERIA, select_model
from mixtures.models.summary import summary

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

#: Exit statuses (also in ``docs/cli.md``).
EXIT_OK = 0
EXIT_ERROR = 1  # bad data, a file that cannot be read or written, an impossible fit
EXIT_USAGE = 2  # a malformed command line (argparse's own status)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

PROG = "mixtures"
PLOT_HINT = 'plots need matplotlib: pip install "mixtures[plot]"'
DEFAULT_FAMILY = "gaussian"
DEFAULT_SIZES = "1-8"
# The families whose picture is ellipses over two chosen columns (the others get a heatmap).
ELLIPSE_FAMILIES = (Gaussian, DiagonalGaussian, SphericalGaussian)  # TiedGaussian is a Gaussian


class CommandError(Exception):
    """An error to report in one line on stderr, with ``EXIT_ERROR``."""


# ---------------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mixtures`` command and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Fit mixture models and hidden Markov models to CSV files, and use them.",
        epilog="exit status: 0 success, 1 error (bad data, unreadable file, impossible fit), "
        "2 bad command line, 130 interrupted",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{fit,select,predict,demo}")

    fit = commands.add_parser(
        "fit", help="fit a model to a CSV file",
        description="Fit a mixture (or, with --hmm, a hidden Markov model) to the numeric columns "
        "of a CSV file, print a summary and save the model.",
    )
    fit.add_argument("data", help="CSV file: numeric columns, optional header line")
    fit.add_argument(
        "--family", "-f", default=DEFAULT_FAMILY, choices=sorted(FAMILY_ALIASES), metavar="FAMILY",
        help=f"component family: {', '.join(sorted(FAMILY_ALIASES))} (default: {DEFAULT_FAMILY})",
    )
    fit.add_argument("--components", "-k", required=True, type=_integer(1), metavar="K",
                     help="number of components (states for --hmm)")
    fit.add_argument("--inference", choices=("em", "vb"), default="em",
                     help="EM (maximum likelihood) or variational Bayes (default: em)")
    _add_fitting_options(fit)
    fit.add_argument("--out", "-o", metavar="MODEL", help="save the fitted model to this file (.npz)")
    fit.add_argument("--plot", metavar="PNG", help="save a picture of the fit (needs matplotlib)")
    fit.add_argument(
        "--plot-columns", metavar="COLS",
        help="with --plot: the two columns on the axes of a Gaussian mixture's picture (the lines "
        "of an HMM's), by header name or number from 1 among the features (default: the first two)",
    )
    _add_table_options(fit)
    _add_output_options(fit)

    select = commands.add_parser(
        "select", help="choose the family and the number of components by BIC, AIC, ICL or ELBO",
        description="Fit every family and number of components of a grid to the numeric columns of "
        "a CSV file, print the criteria as a table, and keep (save, draw) the best model.",
    )
    select.add_argument("data", help="CSV file: numeric columns, optional header line")
    select.add_argument(
        "--family", "-f", default=[DEFAULT_FAMILY], type=_families, metavar="FAMILIES",
        help=f"comma-separated families to compare: {', '.join(sorted(FAMILY_ALIASES))} "
        f"(default: {DEFAULT_FAMILY})",
    )
    select.add_argument(
        "--components", "-k", default=_sizes(DEFAULT_SIZES), type=_sizes, metavar="SIZES",
        help=f"numbers of components (states for --hmm) to try: a range such as 1-8, a list such "
        f"as 2,3,5, or both (default: {DEFAULT_SIZES})",
    )
    select.add_argument(
        "--criterion", choices=CRITERIA, default="bic",
        help="bic, aic and icl are minimised; elbo (variational Bayes) is maximised (default: bic)",
    )
    select.add_argument(
        "--inference", choices=("em", "vb"), default=None,
        help="EM (maximum likelihood) or variational Bayes (default: em; vb with --criterion elbo)",
    )
    _add_fitting_options(select)
    select.add_argument("--out", "-o", metavar="MODEL", help="save the best model to this file (.npz)")
    select.add_argument("--plot", metavar="PNG",
                        help="save a picture of the criteria against the size (needs matplotlib)")
    _add_table_options(select)
    _add_output_options(select)

    predict = commands.add_parser(
        "predict", help="label the rows of a CSV file with a saved model",
        description="Write the most probable component (for an HMM, the Viterbi state) of every "
        "row as CSV.",
    )
    predict.add_argument("model", help="a model saved by 'mixtures fit --out'")
    predict.add_argument("data", help="CSV file with the columns the model was fitted to")
    predict.add_argument("--proba", action="store_true",
                         help="also write each component's (state's) posterior probability")
    predict.add_argument("--out", "-o", metavar="CSV", help="write here instead of to stdout")
    predict.add_argument("--lengths-column", metavar="COL",
                         help="for an HMM: column marking the sequences (as for fit)")
    _add_table_options(predict)

    demo = commands.add_parser(
        "demo", help="run the seed example by EM and VB and a Bernoulli mixture, and draw them",
        description="Fit the seed example (1000 points from a 2-D mixture of three Gaussians) by "
        "EM and by variational Bayes, and a Bernoulli mixture to noisy binary pictures; print "
        "their summaries and write their pictures.",
    )
    demo.add_argument("--out-dir", default="mixtures-demo", metavar="DIR",
                      help="folder for the pictures (default: ./mixtures-demo)")
    demo.add_argument("--no-plots", action="store_true", help="print the summaries only")
    _add_output_options(demo)
    return parser


def _integer(minimum: int) -> Any:
    """An argparse type: an integer >= ``minimum`` (a usage error naming the option otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}; got {value}")
        return value

    return parse


def _families(text: str) -> list[str]:
    """An argparse type: comma-separated family aliases."""
    names = [name.strip().lower() for name in text.split(",")]
    unknown = [name for name in names if name not in FAMILY_ALIASES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown family {', '.join(repr(name) for name in unknown)}; choose from "
            f"{', '.join(sorted(FAMILY_ALIASES))}"
        )
    return names


def _sizes(text: str) -> list[int]:
    """An argparse type: sizes as ranges and single numbers, ``1-4,6,8`` (each an integer >= 1)."""
    expected = f"must be numbers >= 1 or ranges such as 1-8, separated by commas; got {text!r}"
    sizes: list[int] = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            low, high = int(first), int(last if dash else first)
        except ValueError:
            raise argparse.ArgumentTypeError(expected) from None
        if low < 1 or high < low:
            raise argparse.ArgumentTypeError(expected)
        sizes.extend(size for size in range(low, high + 1) if size not in sizes)
    return sizes


def _tolerance(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0; got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0; got {text!r}")
    return value


def _add_fitting_options(parser: argparse.ArgumentParser) -> None:
    """The options of every fit, shared by ``fit`` and ``select``."""
    parser.add_argument("--n-init", type=_integer(1), default=1,
                        help="restarts of each fit; the best is kept (default: 1)")
    parser.add_argument("--max-iter", type=_integer(0), default=100,
                        help="iterations per run (default: 100)")
    parser.add_argument("--tol", type=_tolerance, default=None,
                        help="convergence tolerance (default: the model's, 1e-3 EM / 1e-6 VB and HMM)")
    parser.add_argument("--seed", type=_integer(0), default=None,
                        help="random seed for initialisation (an integer >= 0)")
    parser.add_argument("--hmm", action="store_true", help="hidden Markov models instead of mixtures")
    parser.add_argument("--n-mix", type=_integer(1), default=1, metavar="M",
                        help="with --hmm: each state emits a mixture of M components (default: 1)")
    parser.add_argument(
        "--lengths-column", metavar="COL",
        help="with --hmm: column whose consecutive equal values mark one sequence (not a feature)",
    )


def _add_table_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--columns", metavar="COLS",
        help="comma-separated feature columns, by header name or number from 1 (default: all but "
        "the lengths column)",
    )
    parser.add_argument(
        "--drop", metavar="COLS",
        help="comma-separated columns to leave out of the features (a label, an id), by header name "
        "or number from 1",
    )
    parser.add_argument("--delimiter", default=",", help="field separator (default: ',')")
    parser.add_argument(
        "--missing", choices=("raise", "marginalize"), default="raise",
        help="empty, NA and NaN cells: an error (raise, the default) or missing values, "
        "marginalised out of the model (marginalize)",
    )
    parser.add_argument(
        "--header", action=argparse.BooleanOptionalAction, default=None,
        help="whether the first line is a header (default: detected: a first line without numbers)",
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress", action="store_true",
        help="show progress on stderr even when it is not a terminal (then as plain lines)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print no progress and no summary")


# ---------------------------------------------------------------------------------------------- helpers
def _read(args: argparse.Namespace) -> Table:
    delimiter = "\t" if args.delimiter in ("\\t", "tab") else args.delimiter
    if len(delimiter) != 1:
        raise CommandError(f"--delimiter must be one character; got {args.delimiter!r}")
    return read_table(
        args.data, columns=_column_list(args.columns), exclude=_column_list(args.drop),
        sequence_column=args.lengths_column, delimiter=delimiter, header=args.header,
        missing=args.missing == "marginalize",
    )


def _column_list(text: str | None) -> list[str] | None:
    return None if text is None else [column.strip() for column in text.split(",")]


def _warn_label_like(table: Table, families: Sequence[ExponentialFamily], path: str, stderr: TextIO) -> None:
    """A warning for each column that looks like a label or a row number, and how to drop it."""
    integer_data = all(family.data_support().integer for family in families)
    for suspect in label_like_columns(table, integer_data=integer_data):
        # without a header the names are "column <number>", and --drop takes the number
        spec = suspect.name if table.has_header else suspect.name.removeprefix("column ")
        print(
            f"{PROG}: warning: {path}: column {suspect.name!r} looks like a label or an identifier, "
            f"not a measurement: {suspect.reason}; if so, leave it out with --drop {spec}",
            file=stderr,
        )


def _observer(args: argparse.Namespace, stderr: TextIO, objective_name: str) -> Any:
    """A context manager showing progress for one fit: a redrawn line on a terminal, plain lines
    elsewhere with ``--progress``, or nothing."""
    if args.quiet:
        return contextlib.nullcontext()
    if getattr(stderr, "isatty", lambda: False)():
        return observe_iterations(ProgressBar(stderr, objective_name))
    if args.progress:
        return observe_iterations(ProgressLog(stderr, objective_name))
    return contextlib.nullcontext()


def _objective_name(inference: str) -> str:
    return "ELBO/row" if resolve_inference(inference).variational else "log-lik/row"


def _check_matplotlib(picture: str | None = None) -> None:
    """matplotlib is there (switched to drawing into files), and can write ``picture``'s format."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise CommandError(PLOT_HINT) from None
    matplotlib.use("Agg")  # files only: never needs a display
    if picture is not None:
        formats = Figure().canvas.get_supported_filetypes()
        suffix = Path(picture).suffix.lstrip(".").lower()
        if suffix not in formats:
            raise CommandError(
                f"{picture}: cannot tell the picture format from its suffix; use one of "
                f"{', '.join('.' + name for name in sorted(formats))}"
            )


def _check_plotted_rows_complete(table: Table, path: str) -> None:
    """Pictures draw rows as they are: a row with missing values is refused, before the fit."""
    incomplete = np.flatnonzero(np.isnan(table.values).any(1))
    if incomplete.size:
        raise CommandError(
            f"{path}, line {table.line_numbers[incomplete[0]]}: --plot does not draw rows with "
            f"missing values yet; leave out --plot (the fit itself handles them)"
        )


def _check_support(family: Any, table: Table, path: str) -> None:
    """Values outside the family's support, reported at their line of the file (missing values
    are checked at the value a fit starts them at, as the fit does)."""
    values = filled(table.values)[0]
    try:
        family.validate(values)
    except ValueError as error:
        # bisect on prefixes for the first bad row: a few checks instead of one per row
        good, bad = 0, table.values.shape[0]
        while bad - good > 1:
            middle = (good + bad) // 2
            try:
                family.validate(values[:middle])
                good = middle
            except ValueError:
                bad = middle
        raise CommandError(f"{path}, line {table.line_numbers[bad - 1]}: {error}") from None


@contextlib.contextmanager
def _about(path: str) -> Iterator[None]:
    """The library's complaints about the data (K > N, a wrong width...) name the data file."""
    try:
        yield
    except ValueError as error:
        raise CommandError(f"{path}: {error}") from None


@contextlib.contextmanager
def _reported_warnings(stderr: TextIO) -> Iterator[None]:
    """Warnings (convergence, empty components) as one ``warning:`` line each on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        print(f"{PROG}: warning: {warning.message}", file=stderr)


def _load_model(path: str) -> Any:
    import mixtures

    if not Path(path).is_file():
        raise CommandError(f"{path}: no such model file")
    try:
        return mixtures.load(path)
    except ValueError as error:  # load names the file and the field it refused
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"{path}: cannot read the model file ({error})") from None


# ---------------------------------------------------------------------------------------------- commands
def _check_hmm_options(args: argparse.Namespace) -> None:
    if args.lengths_column is not None and not args.hmm:
        raise CommandError("--lengths-column marks sequences for an HMM: add --hmm")
    if args.n_mix > 1 and not args.hmm:
        raise CommandError("--n-mix gives each HMM state a mixture: add --hmm")


def _model_settings(args: argparse.Namespace, inference: str) -> dict[str, Any]:
    """The estimator settings the fitting options give (shared by ``fit`` and ``select``)."""
    settings: dict[str, Any] = {
        "inference": inference, "n_init": args.n_init, "max_iter": args.max_iter,
        "tol": args.tol, "random_state": args.seed, "missing": args.missing,
    }
    if args.hmm:
        settings["n_mix"] = args.n_mix
    return settings


def _fit(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    _check_hmm_options(args)
    if args.plot_columns is not None and not args.plot:
        raise CommandError("--plot-columns chooses what --plot draws: add --plot PNG")
    if args.plot:
        _check_matplotlib(args.plot)  # before the fit, not after it
    table = _read(args)
    if args.plot:
        _check_plotted_rows_complete(table, args.data)
    family = resolve_family(args.family)
    _check_support(family, table, args.data)
    _warn_label_like(table, [family], args.data, stderr)
    plotted = _plotted_features(args, family, table)
    lengths = table.lengths
    settings = _model_settings(args, args.inference)
    model: Any = (
        HMM(args.family, args.components, **settings) if args.hmm
        else Mixture(args.family, args.components, **settings)
    )
    started = time.perf_counter()
    with (
        _about(args.data),
        _reported_warnings(stderr),
        _observer(args, stderr, _objective_name(args.inference)),
    ):
        if args.hmm:
            model.fit(table.values, lengths=lengths)
        else:
            model.fit(table.values)
    seconds = time.perf_counter() - started
    if table.has_header:  # predict then finds the columns by name
        model.feature_names_in_ = np.asarray(table.names, dtype=object)

    if not args.quiet:
        print(f"{args.data}: {summary(model, table.values, lengths, seconds)}", file=stdout)
    if args.out:
        try:
            model.save(args.out)
        except OSError as error:
            raise CommandError(f"{args.out}: cannot write the model ({error.strerror})") from None
        if not args.quiet:
            print(f"model saved to {args.out}", file=stdout)
    if args.plot:
        from mixtures.plotting import plot_fit

        figure = plot_fit(model, table.values, lengths=lengths, features=plotted, feature_names=table.names)
        _save_figure(figure, args.plot)
        if not args.quiet:
            print(f"picture saved to {args.plot}", file=stdout)
    return EXIT_OK


def _plotted_features(args: argparse.Namespace, family: ExponentialFamily, table: Table) -> list[int] | None:
    """The feature indices ``--plot-columns`` names (a pair for ellipses, any for an HMM's lines)."""
    if args.plot_columns is None:
        return None
    if not args.hmm and not isinstance(family, ELLIPSE_FAMILIES):
        raise CommandError(
            f"--plot-columns chooses the axes of a Gaussian mixture's picture or the lines of an "
            f"HMM's; the picture of a {family.name} mixture shows every column"
        )
    chosen = []
    for spec in _column_list(args.plot_columns) or []:
        if spec in table.names:
            chosen.append(table.names.index(spec))
        elif spec.isdigit() and 1 <= int(spec) <= len(table.names):
            chosen.append(int(spec) - 1)
        else:
            raise CommandError(
                f"--plot-columns: no feature {spec!r}; name one of {', '.join(table.names)} or give "
                f"its number from 1 to {len(table.names)}"
            )
    if len(set(chosen)) != len(chosen) or (not args.hmm and len(chosen) != 2):
        wanted = "different columns" if args.hmm else "two different columns"
        raise CommandError(f"--plot-columns must name {wanted}; got {args.plot_columns!r}")
    return chosen


def _save_figure(figure: Any, path: str) -> None:
    import matplotlib.pyplot as plt

    try:
        figure.savefig(path, dpi=110)
    except OSError as error:
        raise CommandError(f"{path}: cannot write the picture ({error.strerror})") from None
    except ValueError as error:  # e.g. an unknown file extension
        raise CommandError(f"{path}: {error}") from None
    finally:
        plt.close(figure)


def _predict(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    model = _load_model(args.model)
    is_hmm = hasattr(model, "transmat_")
    if args.lengths_column is not None and not is_hmm:
        raise CommandError("--lengths-column marks sequences for an HMM, but the model is a Mixture")
    names = getattr(model, "feature_names_in_", None)
    table = _read(args)
    if args.missing == "marginalize":  # the model's marginals of what is observed
        model.set_params(missing="marginalize")
    x = table.values
    if names is not None and table.has_header:
        x = _columns_by_name(table, [str(n) for n in names], args.data, chosen=args.columns is not None)
    if x.shape[1] == getattr(model, "n_features_in_", None):  # other widths: predict says so
        _check_support(model.family_, attrs.evolve(table, values=x), args.data)
    by_sequence = {"lengths": table.lengths} if is_hmm else {}
    with _about(args.data):
        labels = model.predict(x, **by_sequence)
        probabilities = model.predict_proba(x, **by_sequence) if args.proba else None

    unit = "state" if is_hmm else "component"
    header = [unit]
    if probabilities is not None:
        header += [f"p_{unit}_{k}" for k in range(probabilities.shape[1])]
    if table.sequence_ids is not None:
        header = [args.lengths_column, *header]
    try:
        handle = open(args.out, "w", newline="") if args.out else None
    except OSError as error:
        raise CommandError(f"{args.out}: cannot write the labels ({error.strerror})") from None
    with handle if handle is not None else contextlib.nullcontext(stdout) as target:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(header)
        for n, label in enumerate(labels):
            row: list[Any] = [int(label)]
            if probabilities is not None:
                row += [f"{p:.6g}" for p in probabilities[n]]
            if table.sequence_ids is not None:
                row = [table.sequence_ids[n], *row]
            writer.writerow(row)
    if args.out:
        print(f"{len(labels)} labels written to {args.out}", file=stderr)
    return EXIT_OK


def _columns_by_name(table: Table, names: list[str], path: str, *, chosen: bool) -> Any:
    """The columns of ``table`` the model was fitted on, found by their header names, in the
    model's order. Columns chosen with ``--columns`` must be exactly those (in any order)."""
    missing = [name for name in names if name not in table.names]
    if missing:
        raise CommandError(
            f"{path}: the model was fitted on columns {', '.join(names)}; missing here: "
            f"{', '.join(missing)}"
        )
    unknown = [name for name in table.names if name not in names]
    if chosen and unknown:
        raise CommandError(
            f"{path}: --columns chose {', '.join(unknown)}, but the model was fitted on columns "
            f"{', '.join(names)} (found by name; --columns may be left out)"
        )
    return table.values[:, [table.names.index(name) for name in names]]


def _demo(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from mixtures.cli.demo import run_demo

    out_dir = None if args.no_plots else Path(args.out_dir)
    if out_dir is not None:
        try:
            _check_matplotlib()
        except CommandError as error:
            print(f"{PROG}: warning: {error}; printing the summaries only", file=stderr)
            out_dir = None
    written = run_demo(
        out_dir,
        io.StringIO() if args.quiet else stdout,
        lambda model: _observer(args, stderr, _objective_name(model.inference)),
    )
    for path in written:
        print(f"picture saved to {path}", file=stdout)
    return EXIT_OK


def _select(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    _check_hmm_options(args)
    if args.plot:
        _check_matplotlib(args.plot)  # before the fits, not after them
    inference = args.inference or ("vb" if args.criterion == "elbo" else "em")
    table = _read(args)
    families = [resolve_family(name) for name in args.family]
    for family in families:
        _check_support(family, table, args.data)
    _warn_label_like(table, families, args.data, stderr)
    started = time.perf_counter()
    with _about(args.data), _reported_warnings(stderr), _observer(args, stderr, _objective_name(inference)):
        selection = select_model(
            table.values, args.components, families, estimator=HMM if args.hmm else Mixture,
            criterion=args.criterion, lengths=table.lengths, **_model_settings(args, inference),
        )
    seconds = time.perf_counter() - started
    best = selection.best
    if table.has_header:  # predict then finds the columns by name
        best.model.feature_names_in_ = np.asarray(table.names, dtype=object)
    unsettled = [f"{c.family} {c.size}" for c in selection.candidates if not c.converged]
    if unsettled:
        print(
            f"{PROG}: warning: not converged within --max-iter {args.max_iter}: {', '.join(unsettled)} "
            f"(their scores are those reached)",
            file=stderr,
        )
    if not args.quiet:
        n_rows, n_features = table.values.shape
        unit = "states" if args.hmm else "components"
        print(
            f"{args.data}: {len(selection.candidates)} {'HMMs' if args.hmm else 'mixtures'} fitted by "
            f"{inference.upper()} to {n_rows} rows × {n_features} features in {seconds:.2f} s "
            f"(totals over all rows; * marks the best)",
            file=stdout,
        )
        print(selection.table(), file=stdout)
        print(f"best by {args.criterion.upper()}: {best.family} with {best.size} {unit}", file=stdout)
    if args.out:
        try:
            best.model.save(args.out)
        except OSError as error:
            raise CommandError(f"{args.out}: cannot write the model ({error.strerror})") from None
        if not args.quiet:
            print(f"best model saved to {args.out}", file=stdout)
    if args.plot:
        from mixtures.plotting import plot_model_selection

        _save_figure(plot_model_selection(selection).figure, args.plot)
        if not args.quiet:
            print(f"picture saved to {args.plot}", file=stdout)
    return EXIT_OK


COMMANDS = {"fit": _fit, "select": _select, "predict": _predict, "demo": _demo}


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the ``mixtures`` command line; returns the exit status.

    Parameters
    ----------
    argv : the arguments after the program name; default ``sys.argv[1:]``
    stdout, stderr : streams for results and for messages; default the process's own
    """
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error (2), already printed
        return int(exit_.code or 0)
    try:
        return COMMANDS[args.command](args, stdout, stderr)
    except (CommandError, ValueError) as error:  # ValueError: bad data (DataFileError), K > N...
        print(f"{PROG}: error: {error}", file=stderr)
    except MemoryError:  # a traceback would say no more than this
        print(
            f"{PROG}: error: out of memory (the data or the model is too large for this machine; "
            f"try fewer rows, features, components or categories)",
            file=stderr,
        )
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, as Unix tools do
        if stdout is sys.stdout:  # stop the interpreter's own flush at exit from failing again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return EXIT_ERROR
