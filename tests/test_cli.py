"""The command line end to end on CSV files: fit, select, predict and demo, their errors, the
warnings about label-like columns, and the progress display fed by the fit loop's observer."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import mixtures as mx
from mixtures.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, main
from mixtures.cli.columns import label_like_columns
from mixtures.cli.progress import ProgressBar, ProgressLog
from mixtures.cli.table import DataFileError, read_table, sequence_lengths
from mixtures.inference.loop import IterationRecord, observe_iterations
from mixtures.models.summary import compact, format_parameters

from helpers import family_data, seed_data


def run(*argv: str) -> tuple[int, str, str]:
    """``main(argv)``: exit status, stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=stdout, stderr=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def write_csv(path: Path, rows, header=None) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path_or_text) -> list[dict[str, str]]:
    text = path_or_text.read_text() if isinstance(path_or_text, Path) else path_or_text
    return list(csv.DictReader(io.StringIO(text)))


def agreement(labels: np.ndarray, truth: np.ndarray) -> float:
    """Share of rows whose label matches the truth after the best relabelling (greedy by count)."""
    hits = 0
    for label in np.unique(labels):
        hits += np.bincount(truth[labels == label]).max()
    return hits / len(labels)


@pytest.fixture(scope="module")
def seed_csv(tmp_path_factory) -> tuple[Path, np.ndarray]:
    x, labels = seed_data(300)
    path = tmp_path_factory.mktemp("data") / "seed.csv"
    write_csv(path, [[f"{v:.6f}" for v in row] for row in x], header=["x", "y"])
    return path, labels


# ---------------------------------------------------------------------------------------------- reading
def test_read_table_with_and_without_header(tmp_path: Path) -> None:
    with_header = write_csv(tmp_path / "a.csv", [[1, 2.5], [3, -4e-3]], header=["a", "b"])
    table = read_table(with_header)
    assert table.has_header and table.names == ("a", "b")
    np.testing.assert_array_equal(table.values, [[1, 2.5], [3, -4e-3]])
    without = write_csv(tmp_path / "b.csv", [[1, 2.5], [3, 4]])
    table = read_table(without)
    assert not table.has_header and table.names == ("column 1", "column 2")
    assert table.values.shape == (2, 2)
    forced = read_table(without, header=True)  # a numeric header line, when told so
    assert forced.names == ("1", "2.5") and forced.values.shape == (1, 2)


def test_blank_lines_spaces_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id, a ,b,c\n\ns1, 1, 2, 3\ns1,4,5,6\n\ns2,7,8,9\n")
    table = read_table(path, sequence_column="id")
    assert table.names == ("a", "b", "c")
    np.testing.assert_array_equal(table.values, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert table.sequence_ids == ("s1", "s1", "s2")
    np.testing.assert_array_equal(table.lengths, [2, 1])
    picked = read_table(path, columns=["c", "2"])  # by name and by number from 1
    np.testing.assert_array_equal(picked.values, [[3, 1], [6, 4], [9, 7]])
    semicolons = tmp_path / "d.csv"
    semicolons.write_text("1;2\n3;4\n")
    np.testing.assert_array_equal(read_table(semicolons, delimiter=";").values, [[1, 2], [3, 4]])


def test_sequences_are_runs_of_equal_ids() -> None:
    np.testing.assert_array_equal(sequence_lengths(["a", "a", "b", "b", "b", "a"]), [2, 3, 1])
    np.testing.assert_array_equal(sequence_lengths(["x"]), [1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n3\n", r"bad\.csv, line 3: 1 fields, but the header has 2"),
        ("a,b\n1,2\n\n3,4,5\n", r"bad\.csv, line 4: 3 fields, but the header has 2"),
        ("1,2\n3,4,5\n", r"line 2: 3 fields, but line 1 has 2"),
        ("a,b\n1,2\n3,oops\n", r"line 3, column 2 \('b'\): 'oops' is not a number"),
        ("a,b\n1,2\n3, \n", r"line 3, column 2 \('b'\): empty cell; .*--missing marginalize"),
        ("a,b\n1,2\n3,NA\n", r"line 3, column 2 \('b'\): 'NA' is a missing value; .*--missing marginalize"),
        ("a,b\n1,2\nnan,4\n", r"line 3, column 1 \('a'\): NaN; .*--missing marginalize"),
        ("1,2\n3,-inf\n", r"line 2, column 2: -inf is infinite"),
        ("a,b\n", r"no data rows after the header on line 1"),
        ("\n\n", r"the file is empty"),
    ],
)
def test_bad_files_name_the_line_and_column(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataFileError, match=message):
        read_table(path)


def test_empty_and_na_cells_are_missing_values_under_the_option(tmp_path: Path) -> None:
    path = tmp_path / "holes.csv"
    path.write_text("a,b,c\n1,,3\n NA ,5,n/a\n\n,,\n7,NaN,9\n10,11,12\n")
    table = read_table(path, missing=True)
    nan = np.nan
    expected = np.array([[1, nan, 3], [nan, 5, nan], [nan, nan, nan], [7, nan, 9], [10, 11, 12]])
    np.testing.assert_array_equal(table.values, expected)
    assert table.line_numbers == (2, 3, 5, 6, 7)  # a blank line is no row; a line of commas is one
    path.write_text("a,b\n1,2\n3,inf\n")
    with pytest.raises(DataFileError, match=r"line 3, column 2 \('b'\): inf is infinite"):
        read_table(path, missing=True)  # infinities stay errors
    path.write_text("a,b\n1,2\n3,none\n")
    with pytest.raises(DataFileError, match=r"line 3, column 2 \('b'\): 'none' is not a number"):
        read_table(path, missing=True)


def holed_csv(path: Path, share: float = 0.15) -> tuple[Path, np.ndarray]:
    """The seed data with ``share`` of the cells left empty (one row wholly), and its labels."""
    x, labels = seed_data(300)
    rng = np.random.default_rng(4)
    cells = [[f"{value:.6f}" for value in row] for row in x]
    for n, row in enumerate(cells):
        for d in range(len(row)):
            if rng.random() < share or n == 5:
                row[d] = "" if rng.random() < 0.8 else "NA"
    return write_csv(path, cells, header=["x", "y"]), labels


def test_fit_select_and_predict_with_missing_cells(tmp_path: Path) -> None:
    path, labels = holed_csv(tmp_path / "holes.csv")
    first = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if ",," in f",{line},")
    status, _, err = run("fit", str(path), "-k", "3", "--seed", "0", "-q")
    assert status == EXIT_ERROR
    assert f"line {first}, column" in err and "empty cell" in err and "--missing marginalize" in err
    model_path = tmp_path / "m.npz"
    status, out, err = run("fit", str(path), "-k", "3", "--seed", "0", "--n-init", "3",
                           "--missing", "marginalize", "--out", str(model_path))
    assert status == EXIT_OK, err
    assert "BIC" in out
    values = read_table(path, missing=True).values
    expected = mx.Mixture(mx.Gaussian(), 3, random_state=0, n_init=3, missing="marginalize").fit(values)
    saved = mx.load(model_path)
    np.testing.assert_allclose(saved.weights_, expected.weights_, rtol=1e-10)
    status, out, err = run("predict", str(model_path), str(path), "--missing", "marginalize", "--proba")
    assert status == EXIT_OK, err
    rows = read_csv(out)
    assert len(rows) == 300
    predicted = np.array([int(row["component"]) for row in rows])
    np.testing.assert_array_equal(predicted, expected.predict(values))
    assert agreement(predicted, labels) > 0.85  # rows with one coordinate left are ambiguous
    status, _, err = run("predict", str(model_path), str(path))
    assert status == EXIT_ERROR and "--missing marginalize" in err
    status, out, err = run("select", str(path), "--components", "2,3", "--seed", "0",
                           "--missing", "marginalize")
    assert status == EXIT_OK, err
    assert "best by BIC" in out
    status, _, err = run("fit", str(path), "-k", "3", "--missing", "marginalize", "--plot",
                         str(tmp_path / "p.png"))
    assert status == EXIT_ERROR and "--plot does not draw rows with missing values" in err


def test_an_hmm_with_missing_cells(tmp_path: Path) -> None:
    path, _ = holed_csv(tmp_path / "holes.csv")
    status, out, err = run("fit", str(path), "-k", "2", "--hmm", "--seed", "0", "--missing", "marginalize")
    assert status == EXIT_OK, err
    assert "log-likelihood" in out


def test_bad_columns_and_files(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [[1, 2]], header=["a", "b"])
    with pytest.raises(DataFileError, match=r"no column 'z'.*the header has a, b"):
        read_table(path, columns=["z"])
    with pytest.raises(DataFileError, match="holds the sequence ids and cannot also be a feature"):
        read_table(path, columns=["a"], sequence_column="a")
    with pytest.raises(DataFileError, match="no feature columns left"):
        read_table(write_csv(tmp_path / "f.csv", [[1]], header=["id"]), sequence_column="id")
    with pytest.raises(DataFileError, match=r"missing\.csv: no such file"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(DataFileError, match="empty sequence id"):
        read_table(write_csv(tmp_path / "g.csv", [["", 1]], header=["id", "a"]), sequence_column="id")


# ---------------------------------------------------------------------------------------------- fit + predict
@pytest.mark.parametrize("inference", ["em", "vb"])
def test_gaussian_fit_then_predict(inference: str, seed_csv, tmp_path: Path) -> None:
    data, truth = seed_csv
    model_path = tmp_path / "model.npz"
    status, out, err = run(
        "fit", str(data), "--family", "gaussian", "--components", "3", "--inference", inference,
        "--seed", "0", "--max-iter", "300", "--out", str(model_path),
    )
    assert status == EXIT_OK, err
    assert "Mixture of 3 Gaussian components" in out and "converged: yes" in out
    assert ("BIC:" in out) == (inference == "em")
    assert ("effective components: 3 of 3" in out) == (inference == "vb")
    assert model_path.is_file()

    labels_path = tmp_path / "labels.csv"
    status, _, err = run("predict", str(model_path), str(data), "--out", str(labels_path), "--proba")
    assert status == EXIT_OK, err
    rows = read_csv(labels_path)
    assert len(rows) == len(truth) and list(rows[0]) == ["component", *(f"p_component_{k}" for k in range(3))]
    labels = np.array([int(row["component"]) for row in rows])
    probabilities = np.array([[float(row[f"p_component_{k}"]) for k in range(3)] for row in rows])
    np.testing.assert_allclose(probabilities.sum(1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(labels, probabilities.argmax(1))
    assert agreement(labels, truth) > 0.9
    loaded = mx.load(model_path)
    np.testing.assert_array_equal(labels, loaded.predict(read_table(data).values))


@pytest.mark.parametrize(("family", "n_components"), [("bernoulli", 2), ("poisson", 2), ("categorical", 2)])
def test_discrete_families(family: str, n_components: int, tmp_path: Path) -> None:
    x = family_data(family, n_samples=200)
    data = write_csv(tmp_path / f"{family}.csv", x.astype(int).tolist())  # no header
    model_path = tmp_path / "model.npz"
    status, out, err = run(
        "fit", str(data), "-f", family, "-k", str(n_components), "--seed", "0", "-o", str(model_path)
    )
    assert status == EXIT_OK, err
    assert f"{n_components} {family.capitalize()} components" in out
    parameter = {"bernoulli": "probs", "poisson": "rate", "categorical": "probs"}[family]
    assert out.count(f"{parameter} [") == n_components  # one line per component
    status, labels, err = run("predict", str(model_path), str(data))  # to stdout
    assert status == EXIT_OK, err
    predicted = np.array([int(row["component"]) for row in read_csv(labels)])
    reference = mx.Mixture(family, n_components, random_state=0).fit(x)
    np.testing.assert_array_equal(predicted, reference.predict(x))  # the CLI fits what the API fits


def test_hmm_with_a_lengths_column(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    states = np.tile(np.repeat([0, 1], 20), 3)  # three sequences of 40
    x = rng.normal(np.array([0.0, 6.0])[states], 1.0)
    ids = np.repeat(["walk-a", "walk-b", "walk-c"], 40)
    data = write_csv(tmp_path / "walks.csv", zip(ids, np.round(x, 5), strict=True), header=["id", "value"])
    model_path = tmp_path / "hmm.npz"
    status, out, err = run(
        "fit", str(data), "-f", "gaussian", "-k", "2", "--hmm", "--lengths-column", "id", "--seed", "0",
        "--out", str(model_path),
    )
    assert status == EXIT_OK, err
    assert "HMM of 2 Gaussian states" in out and "in 3 sequence(s)" in out
    assert "transition matrix" in out and "× 1 features" in out  # the id column is not a feature
    status, labels, err = run("predict", str(model_path), str(data), "--lengths-column", "id")
    assert status == EXIT_OK, err
    rows = read_csv(labels)
    assert [row["id"] for row in rows] == ids.tolist()
    decoded = np.array([int(row["state"]) for row in rows])
    assert agreement(decoded, states) > 0.95
    reference = mx.HMM("gaussian", 2, random_state=0).fit(x[:, None], lengths=[40, 40, 40])
    np.testing.assert_array_equal(decoded, reference.predict(x[:, None], lengths=[40, 40, 40]))


def test_hmm_states_emitting_mixtures(tmp_path: Path) -> None:
    """``--n-mix M``: each state a mixture of M components, in the summary, the model file and
    ``select``; refused without ``--hmm``."""
    rng = np.random.default_rng(0)
    states = np.repeat([0, 1, 0, 1], 150)
    centres = np.array([[[-4.0, 0.0], [-2.0, 3.0]], [[4.0, 0.0], [2.0, -3.0]]])
    x = centres[states, rng.integers(0, 2, states.size)] + 0.5 * rng.normal(size=(states.size, 2))
    data = write_csv(tmp_path / "regimes.csv", np.round(x, 6).tolist(), header=["a", "b"])
    model_path = tmp_path / "gmmhmm.npz"
    status, out, err = run(
        "fit", str(data), "-k", "2", "--hmm", "--n-mix", "2", "--seed", "0", "-o", str(model_path)
    )
    assert status == EXIT_OK, err
    assert "component   weight" in out and "free parameters: 25" in out
    model = mx.load(model_path)
    assert model.n_mix == 2 and model.mix_weights_.shape == (2, 2)
    reference = mx.HMM(mx.Gaussian(), 2, n_mix=2, random_state=0).fit(read_table(data).values)
    np.testing.assert_allclose(model.mix_weights_, reference.mix_weights_, rtol=1e-12)
    status, labels, err = run("predict", str(model_path), str(data))
    assert status == EXIT_OK, err
    assert agreement(np.array([int(row["state"]) for row in read_csv(labels)]), states) > 0.99
    status, out, err = run("select", str(data), "-k", "1-3", "--hmm", "--n-mix", "2", "--seed", "0")
    assert status == EXIT_OK, err
    assert "best by BIC: Gaussian with 2 states" in out
    status, _, err = run("fit", str(data), "-k", "2", "--n-mix", "2")
    assert status != EXIT_OK and "--n-mix gives each HMM state a mixture: add --hmm" in err


def test_predict_finds_columns_by_name(seed_csv, tmp_path: Path) -> None:
    data, _ = seed_csv
    model_path = tmp_path / "model.npz"
    assert run("fit", str(data), "-f", "diag", "-k", "3", "--seed", "0", "-o", str(model_path), "-q")[0] == 0
    values = read_table(data).values
    shuffled = write_csv(tmp_path / "swapped.csv", values[:, ::-1].tolist(), header=["y", "x"])
    status, by_name, _ = run("predict", str(model_path), str(shuffled))
    _, original, _ = run("predict", str(model_path), str(data))
    assert status == EXIT_OK and by_name == original
    status, _, err = run("predict", str(model_path), str(write_csv(tmp_path / "z.csv", [[1]], header=["z"])))
    assert status == EXIT_ERROR and "missing here: x, y" in err


def test_plot_option_writes_a_png(seed_csv, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    data, _ = seed_csv
    picture = tmp_path / "fit.png"
    status, out, err = run("fit", str(data), "-f", "full", "-k", "3", "--seed", "0", "--plot", str(picture))
    assert status == EXIT_OK, err
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000
    assert f"picture saved to {picture}" in out


def test_demo_writes_its_pictures(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    status, out, err = run("demo", "--out-dir", str(tmp_path / "demo"))
    assert status == EXIT_OK, err
    assert "fitted by EM" in out and "fitted by variational Bayes" in out and "Bernoulli" in out
    assert "effective components: 3 of 8" in out
    pictures = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert pictures == ["bernoulli.png", "seed_em.png", "seed_vb.png", "selection.png"]
    assert all((tmp_path / "demo" / name).stat().st_size > 10_000 for name in pictures)


# ---------------------------------------------------------------------------------------------- errors
def test_bad_row_names_the_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("x,y\n1,2\n3,4\n5,abc\n7,8\n")
    status, out, err = run("fit", str(data), "-f", "gaussian", "-k", "1")
    assert status == EXIT_ERROR and out == ""
    assert err.strip() == "mixtures: error: " + f"{data}, line 4, column 2 ('y'): 'abc' is not a number"


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        (["fit", "{missing}", "-f", "gaussian", "-k", "2"], EXIT_ERROR, "missing.csv: no such file"),
        (["fit", "{data}", "-f", "lognormal", "-k", "2"], EXIT_USAGE, "invalid choice: 'lognormal'"),
        (["fit", "{data}", "-f", "gaussian", "-k", "9"], EXIT_ERROR, "tiny.csv: n_components=9 must be <="),
        (["fit", "{data}", "-f", "gaussian"], EXIT_USAGE, "arguments are required: --components"),
        (["fit", "{data}", "-f", "bernoulli", "-k", "1"], EXIT_ERROR, "tiny.csv, line 2: Bernoulli data"),
        (["fit", "{data}", "-f", "poisson", "-k", "1"], EXIT_ERROR, "tiny.csv, line 2: Poisson"),
        (["fit", "{data}", "-f", "full", "-k", "1", "--plot", "a.pnx"], EXIT_ERROR, "a.pnx: cannot tell"),
        (["fit", "{data}", "-f", "gaussian", "-k", "1", "--lengths-column", "x"], EXIT_ERROR, "add --hmm"),
        (["fit", "{data}", "-f", "gaussian", "-k", "1", "--columns", "q"], EXIT_ERROR, "no column 'q'"),
        (["predict", "{missing}", "{data}"], EXIT_ERROR, "missing.csv: no such model file"),
        (["predict", "{data}", "{data}"], EXIT_ERROR, "tiny.csv"),
        ([], EXIT_USAGE, "usage: mixtures"),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, arguments, status: int, message: str) -> None:
    data = write_csv(tmp_path / "tiny.csv", [[0.5, 1.5], [2.0, 3.0], [4.0, 1.0]], header=["x", "y"])
    argv = [a.format(data=data, missing=tmp_path / "missing.csv") for a in arguments]
    code, out, err = run(*argv)
    assert code == status
    assert message in err
    assert "Traceback" not in err and out == ""


def test_predict_checks_the_new_file(tmp_path: Path) -> None:
    x = family_data("bernoulli", n_samples=60)
    data = write_csv(tmp_path / "train.csv", x.astype(int).tolist())
    model_path = tmp_path / "m.npz"
    assert run("fit", str(data), "-f", "bernoulli", "-k", "2", "-o", str(model_path), "-q")[0] == EXIT_OK
    bad = write_csv(tmp_path / "new.csv", [[0, 1, 0, 1, 0], [1, 1, 3, 0, 0]])
    status, out, err = run("predict", str(model_path), str(bad))
    assert status == EXIT_ERROR and out == ""
    assert err.startswith("mixtures: error: " + f"{bad}, line 2: Bernoulli data must be 0 or 1")
    narrow = write_csv(tmp_path / "narrow.csv", [[0, 1], [1, 1]])
    status, _, err = run("predict", str(model_path), str(narrow))
    assert status == EXIT_ERROR and err.startswith(f"mixtures: error: {narrow}: X has 2 features")


def test_plot_without_matplotlib_fails_before_fitting(seed_csv, tmp_path: Path, monkeypatch) -> None:
    data, _ = seed_csv
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now fails
    status, out, err = run(
        "fit", str(data), "-f", "full", "-k", "2", "--plot", str(tmp_path / "a.png"),
        "-o", str(tmp_path / "m"),
    )
    assert status == EXIT_ERROR and out == "" and not (tmp_path / "m").exists()
    assert 'pip install "mixtures[plot]"' in err


def test_convergence_warning_is_one_line(seed_csv) -> None:
    data, _ = seed_csv
    status, out, err = run("fit", str(data), "-f", "gaussian", "-k", "3", "--max-iter", "1", "--seed", "0")
    assert status == EXIT_OK and "converged: no after 1 iteration " in out
    assert err.startswith("mixtures: warning: Mixture did not converge")


# ---------------------------------------------------------------------------------------------- as a process
def test_python_dash_m_end_to_end(seed_csv, tmp_path: Path) -> None:
    data, truth = seed_csv
    model_path = tmp_path / "m.npz"
    environment = {**os.environ, "PYTHONWARNINGS": "ignore"}

    def process(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mixtures", *argv], capture_output=True, text=True, cwd=tmp_path,
            env=environment, timeout=120,
        )

    fitted = process("fit", str(data), "-f", "gaussian", "-k", "3", "--seed", "0", "-o", str(model_path))
    assert fitted.returncode == 0, fitted.stderr
    assert "Mixture of 3 Gaussian components" in fitted.stdout
    predicted = process("predict", str(model_path), str(data))
    assert predicted.returncode == 0, predicted.stderr
    labels = np.array([int(row["component"]) for row in read_csv(predicted.stdout)])
    assert agreement(labels, truth) > 0.9

    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,\n")
    failed = process("fit", str(bad), "-f", "gaussian", "-k", "1")
    assert failed.returncode == EXIT_ERROR
    assert failed.stderr.strip() == (
        f"mixtures: error: {bad}, line 3, column 2 ('y'): empty cell; to read empty and NA cells "
        f"as missing values, pass --missing marginalize"
    )


def test_predict_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(20000, 2))
    data = write_csv(tmp_path / "many.csv", [[f"{v:.4f}" for v in row] for row in x])
    model = tmp_path / "m.npz"
    assert main(["fit", str(data), "-f", "gaussian", "-k", "2", "-o", str(model), "-q"],
                stdout=io.StringIO(), stderr=io.StringIO()) == EXIT_OK
    reader = subprocess.Popen(  # like `mixtures predict ... | head -1`
        [sys.executable, "-m", "mixtures", "predict", str(model), str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.readline().strip() == b"component"
    reader.stdout.close()
    assert reader.wait(timeout=120) == EXIT_OK
    assert b"Traceback" not in reader.stderr.read()


def test_installed_script_is_main() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="mixtures")
    assert script.value == "mixtures.cli:main" and script.load() is main


# ---------------------------------------------------------------------------------------------- progress
def test_observer_sees_every_iteration_of_every_run() -> None:
    x, _ = seed_data(200)
    records: list[IterationRecord] = []
    with observe_iterations(records.append), warnings.catch_warnings():
        warnings.simplefilter("ignore", mx.ConvergenceWarning)
        model = mx.Mixture("full", 3, n_init=3, random_state=0, max_iter=30).fit(x)
    assert sorted({r.run for r in records}) == [0, 1, 2]
    for run_index in range(3):
        mine = [r for r in records if r.run == run_index]
        assert [r.iteration for r in mine] == list(range(len(mine)))
        assert [r.finished for r in mine] == [False] * (len(mine) - 1) + [True]
        assert all(r.max_iter == 30 and not r.converged for r in mine[:-1])
    finals = [r for r in records if r.finished]
    assert model.lower_bound_ == max(r.objective for r in finals)  # the best run is kept
    best = max(finals, key=lambda r: r.objective)
    kept = [r.objective for r in records if r.run == best.run]
    np.testing.assert_array_equal(kept, model.lower_bounds_)
    assert best.converged == model.converged_
    elapsed = [r.elapsed for r in records]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0
    # outside the block nothing is observed; a fit there matches one without any observer
    after = len(records)
    mx.Mixture("full", 3, random_state=0).fit(x)
    assert len(records) == after


def test_observed_and_unobserved_fits_agree() -> None:
    x, _ = seed_data(200)
    plain = mx.Mixture("full", 3, random_state=0, inference="vb").fit(x)
    with observe_iterations(lambda record: None):
        observed = mx.Mixture("full", 3, random_state=0, inference="vb").fit(x)
    assert observed.lower_bounds_ == plain.lower_bounds_


def test_progress_bar_redraws_one_line() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "log-lik/row", min_interval=0.0)
    bar(IterationRecord(0, 0, 10, -3.5, 0.01, False, False))
    bar(IterationRecord(0, 5, 10, -2.25, 0.2, False, False))
    bar(IterationRecord(0, 7, 10, -2.125, 0.3, True, True))
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("converged\n") and text.count("\n") == 1
    assert "run 1 [##########..........] iteration  5/10  log-lik/row -2.25  0.2 s" in text
    throttled = ProgressBar(io.StringIO(), "ELBO/row", min_interval=60.0)
    for iteration in range(5):
        throttled(IterationRecord(1, iteration, 10, -1.0, 0.0, False, False))
    throttled(IterationRecord(1, 5, 10, -1.0, 0.0, True, False))
    assert throttled.stream.getvalue().count("\r") == 2  # the first draw, then the finished run
    assert "stopped at max_iter" in throttled.stream.getvalue()


def test_progress_log_writes_plain_lines() -> None:
    stream = io.StringIO()
    log = ProgressLog(stream, "ELBO/row", min_interval=0.0)
    log(IterationRecord(0, 0, 10, -3.5, 0.01, False, False))
    log(IterationRecord(0, 7, 10, -2.125, 0.3, True, True))
    assert stream.getvalue().splitlines() == [
        "run 1: iteration  0/10  ELBO/row -3.5  0.0 s",
        "run 1: iteration  7/10  ELBO/row -2.125  0.3 s  converged",
    ]
    quiet = ProgressLog(io.StringIO(), "ELBO/row", min_interval=60.0)
    for iteration in range(5):
        quiet(IterationRecord(0, iteration, 10, -1.0, 0.0, False, False))
    quiet(IterationRecord(0, 5, 10, -1.0, 0.0, True, False))
    assert quiet.stream.getvalue() == "run 1: iteration  5/10  ELBO/row -1  0.0 s  stopped at max_iter\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_flag_and_quiet(seed_csv) -> None:
    data, _ = seed_csv
    status, out, err = run("fit", str(data), "-f", "gaussian", "-k", "3", "--seed", "0", "--progress")
    assert status == EXIT_OK and out
    # not a terminal: clean lines, no carriage returns and no bar
    assert "\r" not in err and "[#" not in err and err.endswith("converged\n")
    assert all(line.startswith("run 1: iteration ") for line in err.splitlines())
    terminal = Terminal()
    argv = ["fit", str(data), "-k", "3", "--seed", "0"]
    assert main(argv, stdout=io.StringIO(), stderr=terminal) == EXIT_OK
    assert "\rrun 1 [" in terminal.getvalue() and terminal.getvalue().endswith("converged\n")
    status, out, err = run("fit", str(data), "-f", "gaussian", "-k", "3", "--seed", "0")
    assert status == EXIT_OK and err == ""  # not a terminal: no progress unless asked
    status, out, err = run("fit", str(data), "-f", "gaussian", "-k", "3", "--quiet", "--progress")
    assert status == EXIT_OK and out == "" and err == ""


# ---------------------------------------------------------------------------------------------- summary
def test_summary_parameters_of_every_gaussian_kind() -> None:
    x, _ = seed_data(200)
    tied = mx.Mixture("tied", 2, random_state=0).fit(x)
    lines, shared = format_parameters(tied.components_)
    assert len(lines) == 2 and all(line.startswith("mean [") for line in lines)
    assert shared == [f"covariance (shared) {compact(tied.components_.covariance)}"]
    spherical = mx.Mixture("spherical", 2, random_state=0).fit(x)
    lines, shared = format_parameters(spherical.components_)
    assert shared == [] and lines[1].endswith(f"variance {compact(spherical.components_.variance[1])}")
    assert compact(np.arange(100.0)) == "[ 0., 1., ..., 98., 99.]"


# ---------------------------------------------------------------------------------------------- hostile input
def test_a_header_that_repeats_a_name_is_refused_at_fit_and_predict(seed_csv, tmp_path: Path) -> None:
    data, _ = seed_csv
    values = read_table(data).values
    twice = write_csv(tmp_path / "twice.csv", np.c_[values, values[:, 0]].tolist(), header=["x", "y", "x"])
    status, out, err = run("fit", str(twice), "-f", "full", "-k", "2")
    assert status == EXIT_ERROR and out == "" and "Traceback" not in err
    assert f"{twice}, line 1: the header repeats column names: 'x' (columns 1, 3)" in err
    model_path = tmp_path / "m.npz"
    assert run("fit", str(data), "-f", "full", "-k", "3", "--seed", "0", "-o", str(model_path), "-q")[0] == 0
    status, out, err = run("predict", str(model_path), str(twice))
    assert status == EXIT_ERROR and out == "" and "the header repeats column names: 'x'" in err


def test_predict_columns_are_matched_by_name(seed_csv, tmp_path: Path) -> None:
    data, _ = seed_csv
    model_path = tmp_path / "m.npz"
    assert run("fit", str(data), "-f", "full", "-k", "3", "--seed", "0", "-o", str(model_path), "-q")[0] == 0
    _, expected, _ = run("predict", str(model_path), str(data))
    status, reordered, err = run("predict", str(model_path), str(data), "--columns", "y,x")
    assert status == EXIT_OK and reordered == expected, err
    values = read_table(data).values
    wider = write_csv(tmp_path / "wide.csv", np.c_[values, values[:, 0]].tolist(), header=["x", "y", "z"])
    status, _, err = run("predict", str(model_path), str(wider), "--columns", "z,x,y")
    assert status == EXIT_ERROR and "--columns chose z, but the model was fitted on columns x, y" in err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--seed", "-1", "argument --seed: must be an integer >= 0; got -1"),
        ("--seed", "abc", "argument --seed: must be an integer >= 0; got 'abc'"),
        ("--components", "0", "argument --components/-k: must be an integer >= 1; got 0"),
        ("--n-init", "0", "argument --n-init: must be an integer >= 1; got 0"),
        ("--max-iter", "-3", "argument --max-iter: must be an integer >= 0; got -3"),
        ("--tol", "nan", "argument --tol: must be a finite number >= 0; got 'nan'"),
        ("--tol", "-1", "argument --tol: must be a finite number >= 0; got '-1'"),
    ],
)
def test_bad_numbers_are_usage_errors_naming_the_option(
    seed_csv, option: str, value: str, message: str
) -> None:
    data, _ = seed_csv
    arguments = ["fit", str(data), "-f", "full", "-k", "2", option, value]
    if option == "--components":
        arguments = ["fit", str(data), "-f", "full", "-k", value]
    status, out, err = run(*arguments)
    assert status == EXIT_USAGE and out == "" and message in err


def test_a_huge_categorical_symbol_is_one_clear_line(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "symbols.csv", [[0], [1], [2**40]], header=["s"])
    status, out, err = run("fit", str(data), "-f", "categorical", "-k", "2")
    assert status == EXIT_ERROR and out == "" and "Traceback" not in err
    assert "inferred counts are capped at 1000" in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------- select
def test_select_prints_the_table_and_keeps_the_best(seed_csv, tmp_path: Path) -> None:
    data, _ = seed_csv
    model_path = tmp_path / "best.npz"
    status, out, err = run(
        "select", str(data), "-f", "gaussian,diag", "-k", "1-4", "--seed", "0", "-o", str(model_path)
    )
    assert status == EXIT_OK and err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"{data}: 8 mixtures fitted by EM to 300 rows × 2 features")
    assert lines[1].split() == ["family", "size", "log-lik", "params", "BIC", "AIC", "ICL", "ELBO"]
    rows = lines[2:10]
    assert [row.split()[:2] for row in rows] == [
        [family, str(k)] for family in ("Gaussian", "DiagonalGaussian") for k in range(1, 5)
    ]
    assert sum(row.endswith(" *") for row in rows) == 1
    reference = mx.select_model(read_table(data).values, range(1, 5), ["gaussian", "diag"], random_state=0)
    best = reference.best
    assert f"best by BIC: {best.family} with {best.size} components" in out
    assert next(row for row in rows if row.endswith(" *")).split()[:2] == [best.family, str(best.size)]
    saved = mx.load(model_path)
    assert len(saved.components_) == best.size and list(saved.feature_names_in_) == ["x", "y"]
    np.testing.assert_allclose(saved.weights_, best.model.weights_)


def test_select_defaults_criteria_and_hmm(seed_csv, tmp_path: Path) -> None:
    data, _ = seed_csv
    status, out, _ = run(
        "select", str(data), "-k", "2,3", "--criterion", "elbo", "--seed", "0", "--max-iter", "300"
    )
    assert status == EXIT_OK and "fitted by VB" in out and "best by ELBO: Gaussian with 3 components" in out
    status, _, err = run("select", str(data), "-k", "2", "--criterion", "elbo", "--inference", "em")
    assert status == EXIT_ERROR and "criterion='elbo' needs inference='vb'" in err
    status, out, _ = run("select", str(data), "-k", "1-3", "--criterion", "icl", "--max-iter", "1")
    assert status == EXIT_OK and "best by ICL" in out
    rng = np.random.default_rng(1)
    states = np.tile(np.repeat([0, 1], 25), 4)
    x = rng.normal(np.array([0.0, 5.0])[states], 1.0)
    rows = zip(np.repeat(["a", "b"], 100), np.round(x, 5), strict=True)
    walks = write_csv(tmp_path / "walks.csv", rows, header=["id", "v"])
    status, out, err = run(
        "select", str(walks), "--hmm", "--lengths-column", "id", "-k", "1-3", "--seed", "0"
    )
    assert status == EXIT_OK, err
    assert "3 HMMs fitted by EM to 200 rows × 1 features" in out
    assert "best by BIC: Gaussian with 2 states" in out


def test_select_draws_the_criteria(seed_csv, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    data, _ = seed_csv
    picture = tmp_path / "selection.png"
    status, out, err = run("select", str(data), "-k", "1-3", "--seed", "0", "--plot", str(picture))
    assert status == EXIT_OK, err
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"picture saved to {picture}" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-k", "0-3"], "argument --components/-k: must be numbers >= 1 or ranges"),
        (["-k", "4-2"], "argument --components/-k: must be numbers >= 1 or ranges"),
        (["-k", "two"], "argument --components/-k: must be numbers >= 1 or ranges"),
        (["-f", "gaussian,lognormal"], "argument --family/-f: unknown family 'lognormal'"),
        (["--criterion", "waic"], "argument --criterion: invalid choice: 'waic'"),
    ],
)
def test_select_usage_errors(seed_csv, arguments: list[str], message: str) -> None:
    data, _ = seed_csv
    status, out, err = run("select", str(data), *arguments)
    assert status == EXIT_USAGE and out == "" and message in err


# ---------------------------------------------------------------------------------------------- plots
@pytest.fixture
def drawn_figures(monkeypatch) -> list:
    """The figures ``fit --plot`` draws, with their axis labels read before they are closed."""
    pytest.importorskip("matplotlib")
    import mixtures.plotting

    labels: list = []
    original = mixtures.plotting.plot_fit

    def spy(*args, **kwargs):
        figure = original(*args, **kwargs)
        labels.append([(ax.get_xlabel(), ax.get_ylabel(), ax.get_legend_handles_labels()[1])
                       for ax in figure.axes])
        return figure

    monkeypatch.setattr(mixtures.plotting, "plot_fit", spy)
    return labels


def test_plot_axes_are_named_from_the_header(tmp_path: Path, drawn_figures) -> None:
    x, _ = seed_data(300)
    values = np.c_[x, x[:, 0] - x[:, 1]]
    data = write_csv(tmp_path / "three.csv", np.round(values, 5).tolist(), header=["height", "width", "gap"])
    picture = str(tmp_path / "fit.png")
    assert run("fit", str(data), "-k", "3", "--seed", "0", "--plot", picture, "-q")[0] == EXIT_OK
    assert drawn_figures[-1][0][:2] == ("height", "width")  # the first two by default
    status, _, err = run(
        "fit", str(data), "-k", "3", "--seed", "0", "--plot", picture, "--plot-columns", "gap,1"
    )
    assert status == EXIT_OK, err
    assert drawn_figures[-1][0][:2] == ("gap", "height")  # by name and by number from 1
    headerless = write_csv(tmp_path / "bare.csv", np.round(values, 5).tolist())
    assert run("fit", str(headerless), "-k", "3", "--plot", picture, "--plot-columns", "3,2", "-q")[0] == 0
    assert drawn_figures[-1][0][:2] == ("column 3", "column 2")


def test_plot_columns_of_an_hmm_name_its_lines(tmp_path: Path, drawn_figures) -> None:
    rng = np.random.default_rng(3)
    states = np.repeat([0, 1, 0, 1], 30)
    x = rng.normal(np.array([0.0, 4.0])[states][:, None], 1.0, size=(120, 2))
    data = write_csv(tmp_path / "series.csv", np.round(x, 4).tolist(), header=["speed", "heart_rate"])
    picture = str(tmp_path / "hmm.png")
    status, _, err = run(
        "fit", str(data), "-k", "2", "--hmm", "--plot", picture, "--plot-columns", "heart_rate"
    )
    assert status == EXIT_OK, err
    assert drawn_figures[-1][0][1] == "heart_rate"  # one line: its name on the y-axis
    assert run("fit", str(data), "-k", "2", "--hmm", "--plot", picture, "-q")[0] == EXIT_OK
    assert {"speed", "heart_rate"} <= set(drawn_figures[-1][0][2])  # both lines in the legend


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--plot-columns", "x"], "--plot-columns must name two different columns; got 'x'"),
        (["--plot-columns", "x,x"], "--plot-columns must name two different columns"),
        (["--plot-columns", "x,q"], "--plot-columns: no feature 'q'; name one of x, y or give its number"),
        (["--plot-columns", "1,2", "-f", "bernoulli"], "the picture of a Bernoulli mixture shows every"),
    ],
)
def test_plot_columns_errors(tmp_path: Path, arguments: list[str], message: str) -> None:
    pytest.importorskip("matplotlib")
    data = write_csv(tmp_path / "binary.csv", [[0, 1], [1, 0], [1, 1], [0, 0]], header=["x", "y"])
    status, out, err = run("fit", str(data), "-k", "2", "--plot", str(tmp_path / "a.png"), *arguments)
    assert status == EXIT_ERROR and out == "" and message in err
    status, _, err = run("fit", str(data), "-k", "2", "--plot-columns", "x,y")
    assert status == EXIT_ERROR and "add --plot PNG" in err


# ---------------------------------------------------------------------------------------------- columns
def test_family_defaults_to_gaussian(seed_csv) -> None:
    data, _ = seed_csv
    status, out, err = run("fit", str(data), "-k", "3", "--seed", "0")
    assert status == EXIT_OK and "Mixture of 3 Gaussian components" in out, err


def test_a_label_column_is_named_with_how_to_drop_it(seed_csv, tmp_path: Path) -> None:
    data, truth = seed_csv
    values = read_table(data).values
    labelled = write_csv(tmp_path / "labelled.csv", np.c_[values, truth].tolist(), header=["x", "y", "class"])
    status, out, err = run("fit", str(labelled), "-k", "3", "--seed", "0")
    assert status == EXIT_OK and "× 3 features" in out
    assert err == (
        f"mixtures: warning: {labelled}: column 'class' looks like a label or an identifier, not a "
        f"measurement: 3 distinct integer values (0, 1, 2) in 300 rows; if so, leave it out with "
        f"--drop class\n"
    )
    status, out, err = run("fit", str(labelled), "-k", "3", "--seed", "0", "--drop", "class")
    assert status == EXIT_OK and err == "" and "× 2 features" in out
    _, reference, _ = run("fit", str(data), "-k", "3", "--seed", "0")
    assert out.splitlines()[1:] == reference.splitlines()[1:]  # the same fit as without the column
    status, out, err = run("select", str(labelled), "-k", "1-2", "--columns", "x,y")
    assert status == EXIT_OK and err == ""


def test_a_row_number_column_is_named_for_every_family(tmp_path: Path) -> None:
    counts = family_data("poisson", n_samples=60).astype(int)
    numbered = write_csv(tmp_path / "counts.csv", np.c_[np.arange(1, 61), counts].tolist())  # no header
    status, _, err = run("fit", str(numbered), "-f", "poisson", "-k", "2", "-q")
    assert status == EXIT_OK
    assert "column 'column 1' looks like a label or an identifier" in err
    assert "it counts the rows (1, 2, ..., 60); if so, leave it out with --drop 1" in err
    assert err.count("warning") == 1  # count columns with few values are what a Poisson expects
    status, _, err = run("fit", str(numbered), "-f", "poisson", "-k", "2", "-q", "--drop", "1")
    assert status == EXIT_OK and err == ""


def test_label_like_columns_rules(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 100
    columns = {
        "index": np.arange(n),
        "one_based": np.arange(1, n + 1),
        "label": rng.integers(0, 4, n),
        "reading": rng.normal(size=n),
        "integer_reading": rng.integers(0, 1000, n),  # integers, but many distinct values
        "shuffled_ids": rng.permutation(n),  # not in row order
    }
    values = np.column_stack(list(columns.values())).tolist()
    path = write_csv(tmp_path / "t.csv", values, header=list(columns))
    table = read_table(path)
    assert [s.name for s in label_like_columns(table, integer_data=False)] == ["index", "one_based", "label"]
    assert [s.name for s in label_like_columns(table, integer_data=True)] == ["index", "one_based"]
    few = read_table(write_csv(tmp_path / "few.csv", [[k] for k in range(5)]))
    assert label_like_columns(few, integer_data=False) == []  # too few rows to tell


def test_drop_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [[1, 2, 3, 4], [5, 6, 7, 8]], header=["id", "a", "b", "c"])
    np.testing.assert_array_equal(read_table(path, exclude=["id", "3"]).values, [[2, 4], [6, 8]])
    assert read_table(path, columns=["a", "b", "c"], exclude=["b"]).names == ("a", "c")
    with pytest.raises(DataFileError, match=r"no column 'z'"):
        read_table(path, exclude=["z"])
    with pytest.raises(DataFileError, match="no feature columns left"):
        read_table(path, exclude=["id", "a", "b", "c"])
    status, _, err = run("fit", str(path), "-k", "1", "--drop", "q")
    assert status == EXIT_ERROR and "no column 'q'" in err
