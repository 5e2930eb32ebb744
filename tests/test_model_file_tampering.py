"""Corrupted and tampered model files: each raises a ValueError naming the field at fault, and
none runs code (a pickle payload that would create a marker directory never does)."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

import mixtures as mx

from helpers import family_data

pytestmark = pytest.mark.filterwarnings("ignore::mixtures.ConvergenceWarning")


class MakesMarker:
    """Pickles to a call of ``os.mkdir(path)``: unpickling it creates the marker."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.path,))


# ----------------------------------------------------------------------------- base files
@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Valid model files to corrupt: a VB Gaussian mixture (priors, posterior, SPD matrices), a
    Poisson HMM (transitions), a MAP Bernoulli mixture and a categorical mixture."""
    directory = tmp_path_factory.mktemp("originals")
    models = {
        "gaussian-vb": mx.Mixture(mx.Gaussian(), 2, inference="vb", random_state=0).fit(
            family_data("gaussian")
        ),
        "poisson-hmm": mx.HMM(mx.Poisson(), 2, random_state=0, max_iter=10).fit(family_data("poisson")),
        "bernoulli-map": mx.Mixture(mx.Bernoulli(), 2, prior=mx.Beta(), random_state=0).fit(
            family_data("bernoulli")
        ),
        "categorical": mx.Mixture(mx.Categorical(), 2, random_state=0).fit(family_data("categorical")),
        "poisson-online": mx.Mixture(mx.Poisson(), 2, random_state=0),
    }
    for batch in np.array_split(family_data("poisson"), 3):  # a stepwise-EM state with statistics
        models["poisson-online"].partial_fit(batch)
    paths = {}
    for name, model in models.items():
        paths[name] = directory / f"{name}.npz"
        model.save(paths[name])
    return paths


def read_members(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def write_members(path: Path, members: dict[str, Any]) -> None:
    with open(path, "wb") as stream:  # a stream: numpy adds no suffix
        np.savez(stream, **members)


# ----------------------------------------------------------------------------- corruptions
Corruption = Callable[[Path, Path], None]  # (valid file, file to write)


def raw(change: Callable[[bytes], bytes]) -> Corruption:
    def corrupt(source: Path, target: Path) -> None:
        target.write_bytes(change(source.read_bytes()))

    return corrupt


def arrays(change: Callable[[dict[str, Any]], None]) -> Corruption:
    def corrupt(source: Path, target: Path) -> None:
        members = read_members(source)
        change(members)
        write_members(target, members)

    return corrupt


def metadata(change: Callable[[dict[str, Any]], None]) -> Corruption:
    def edit(members: dict[str, Any]) -> None:
        content = json.loads(str(members["metadata"]))
        change(content)
        members["metadata"] = np.array(json.dumps(content))

    return arrays(edit)


def metadata_text(change: Callable[[str], str]) -> Corruption:
    def edit(members: dict[str, Any]) -> None:
        members["metadata"] = np.array(change(str(members["metadata"])))

    return arrays(edit)


def setting(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a JSON entry given by a dotted path of keys."""

    def change(content: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            content = content[key]
        content[last] = value

    return change


def modify(key: str, change: Callable[[np.ndarray], Any]) -> Callable[[dict[str, Any]], None]:
    def edit(members: dict[str, Any]) -> None:
        members[key] = change(members[key].copy())

    return edit


def _assign(array: np.ndarray, index: Any, value: Any) -> np.ndarray:
    array[index] = value
    return array


def flip_byte_of(key: str) -> Corruption:
    """Flip one byte inside a member's data, leaving the zip directory intact (CRC mismatch)."""

    def corrupt(source: Path, target: Path) -> None:
        data = bytearray(source.read_bytes())
        payload = read_members(source)[key].tobytes()
        start = bytes(data).index(payload)
        data[start + len(payload) // 2] ^= 0xFF
        target.write_bytes(bytes(data))

    return corrupt


def short_array(key: str) -> Corruption:
    """A member whose .npy header promises more data than it holds."""

    def corrupt(source: Path, target: Path) -> None:
        members = read_members(source)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, value in members.items():
                member = io.BytesIO()
                if name == key:  # a header claiming ten times the entries, then the data
                    header = {"descr": value.dtype.str, "fortran_order": False, "shape": (10 * value.size,)}
                    np.lib.format.write_array_header_1_0(member, header)
                    member.write(value.tobytes())
                else:
                    np.lib.format.write_array(member, value, allow_pickle=False)
                archive.writestr(name + ".npy", member.getvalue())
        target.write_bytes(buffer.getvalue())

    return corrupt


def extra_zip_member(name: str, content: bytes) -> Corruption:
    def corrupt(source: Path, target: Path) -> None:
        target.write_bytes(source.read_bytes())
        with zipfile.ZipFile(target, "a") as archive:
            archive.writestr(name, content)

    return corrupt


def compressed() -> Corruption:
    def corrupt(source: Path, target: Path) -> None:
        with open(target, "wb") as stream:
            np.savez_compressed(stream, **read_members(source))

    return corrupt


def without_fitted(name: str, *keys: str) -> Callable[[dict[str, Any]], None]:
    def edit(members: dict[str, Any]) -> None:
        content = json.loads(str(members["metadata"]))
        del content["fitted"][name]
        members["metadata"] = np.array(json.dumps(content))
        for key in keys:
            del members[key]

    return edit


@attrs.frozen
class Case:
    original: str
    corruption: Corruption
    field: str  # a regular expression the message must match (it names the field)


ONLINE = "online_state_"
CASES: dict[str, Case] = {
    # an online fit in progress
    "online statistics of another width": Case(
        "poisson-online",
        arrays(modify(f"{ONLINE}.statistics.emissions.sums", lambda a: a[:, :1])),
        r"online_state_\.statistics\.emissions\.sums: must have shape",
    ),
    "negative online counts": Case(
        "poisson-online",
        arrays(modify(f"{ONLINE}.statistics.emissions.counts", lambda a: -a)),
        r"online_state_\.statistics\.emissions\.counts: must be finite and >= 0",
    ),
    "online parameters not summing to one": Case(
        "poisson-online",
        arrays(modify(f"{ONLINE}.parameters.weights", lambda a: 2 * a)),
        r"online_state_\.parameters: weights must be non-negative and sum to 1",
    ),
    "negative online step count": Case(
        "poisson-online",
        metadata(setting(f"fitted.{ONLINE}.fields.n_updates", -1)),
        r"online_state_\.n_updates: must be >= 0",
    ),
    "online state of an unknown type": Case(
        "poisson-online",
        metadata(setting(f"fitted.{ONLINE}.type", "subprocess.Popen")),
        r"online_state_: unknown",
    ),

    # the container
    "text file": Case(
        "gaussian-vb", raw(lambda data: b"definitely not a model\n"), r"file: not a mixtures model file"
    ),
    "empty file": Case("gaussian-vb", raw(lambda data: b""), r"file: not a mixtures model file"),
    "truncated file": Case("gaussian-vb", raw(lambda data: data[: len(data) // 2]), r"file: .*truncated"),
    "flipped byte in weights_": Case("gaussian-vb", flip_byte_of("weights_"), r"weights_: unreadable member"),
    "array shorter than its header": Case("gaussian-vb", short_array("weights_"), r"weights_: truncated"),
    "compressed members": Case("gaussian-vb", compressed(), r"metadata: .*compressed"),
    "a member that is not an array": Case(
        "gaussian-vb", extra_zip_member("run_me.py", b"import os\n"), r"run_me\.py: unexpected member"
    ),
    "metadata missing": Case("gaussian-vb", arrays(lambda m: m.pop("metadata")), r"metadata: missing"),
    "metadata not JSON": Case(
        "gaussian-vb", metadata_text(lambda text: text[:-7]), r"metadata: not valid JSON"
    ),
    "metadata with a duplicate key": Case(
        "gaussian-vb",
        metadata_text(lambda text: '{"format": "x", ' + text[1:]),
        r"metadata: .*duplicate key 'format'",
    ),
    "metadata nested too deeply": Case(
        "gaussian-vb",
        metadata_text(lambda text: text.replace('"init": "kmeans++"', '"init": ' + "[" * 400 + "]" * 400)),
        r"metadata: the JSON nests deeper than 100 levels",
    ),
    "metadata as a number array": Case(
        "gaussian-vb",
        arrays(lambda m: m.update(metadata=np.arange(3.0))),
        r"metadata: must be a 0-d unicode array",
    ),
    # the header
    "newer format version": Case(
        "gaussian-vb", metadata(setting("format_version", 99)), r"metadata\.format_version: .*newer"
    ),
    "another format": Case(
        "gaussian-vb", metadata(setting("format", "pickle")), r"metadata\.format: must be"
    ),
    "unknown estimator": Case(
        "gaussian-vb", metadata(setting("estimator", "Pipeline")), r"metadata\.estimator: unknown"
    ),
    "params not an object": Case(
        "gaussian-vb", metadata(setting("params", [1, 2])), r"metadata\.params: must be a JSON object"
    ),
    "unknown setting": Case(
        "gaussian-vb", metadata(setting("params.verbosity", 1)), r"verbosity: unexpected setting"
    ),
    "invalid setting": Case(
        "gaussian-vb", metadata(setting("params.n_components", 0)), r"params: n_components must be"
    ),
    # JSON of the fit
    "n_iter_ a string": Case(
        "gaussian-vb", metadata(setting("fitted.n_iter_", "3")), r"n_iter_: must be an integer"
    ),
    "infinite lower_bound_": Case(
        "gaussian-vb",
        metadata_text(lambda text: re.sub(r'"lower_bound_": [^,\n]+', '"lower_bound_": 1e999', text)),
        r"lower_bound_: must be finite",
    ),
    "unknown family": Case(
        "gaussian-vb",
        metadata(setting("fitted.family_.type", "os.system")),
        r"family_: unknown family 'os\.system'",
    ),
    "unknown prior": Case(
        "gaussian-vb",
        metadata(setting("fitted.prior_.type", "builtins.eval")),
        r"prior_: unknown prior 'builtins\.eval'",
    ),
    "unknown kind of value": Case(
        "gaussian-vb",
        metadata(setting("fitted.family_.kind", "pickle")),
        r"family_: unknown kind of value 'pickle'",
    ),
    "unexpected family field": Case(
        "gaussian-vb",
        metadata(setting("fitted.family_.fields.command", "rm")),
        r"family_\.command: unexpected",
    ),
    "unexpected fitted attribute": Case(
        "gaussian-vb", metadata(setting("fitted.labels_", 1)), r"labels_: unexpected fitted attribute"
    ),
    "a group member missing": Case(
        "gaussian-vb",
        arrays(without_fitted("effective_components_", "effective_components_")),
        r"effective_components_: missing",
    ),
    # the arrays
    "array missing": Case(
        "gaussian-vb", arrays(lambda m: m.pop("weights_")), r"weights_: the array is missing"
    ),
    "array nothing refers to": Case(
        "gaussian-vb", arrays(lambda m: m.update(surplus=np.zeros(2))), r"surplus: unexpected array"
    ),
    "object array with a pickle payload": Case(
        "gaussian-vb",
        arrays(lambda m: m.update(weights_=np.array([None], dtype=object))),
        r"weights_: arrays of dtype object",
    ),
    "weights_ of float32": Case(
        "gaussian-vb",
        arrays(modify("weights_", lambda w: w.astype(np.float32))),
        r"weights_: must be a float64",
    ),
    "weights_ of the wrong shape": Case(
        "gaussian-vb", arrays(modify("weights_", lambda w: w[:1])), r"weights_: must have shape \(2,\)"
    ),
    "NaN in components_": Case(
        "gaussian-vb",
        arrays(modify("components_", lambda c: _assign(c, (0, 0), np.nan))),
        r"components_: contains NaN",
    ),
    "weights_ not summing to one": Case(
        "gaussian-vb", arrays(modify("weights_", lambda w: w * 1.5)), r"weights_: probabilities must sum to 1"
    ),
    "negative weight": Case(
        "gaussian-vb",
        arrays(modify("weights_", lambda w: np.array([1.5, -0.5]))),
        r"weights_: probabilities must lie in \[0, 1\]",
    ),
    "components_ of another number of features": Case(
        "gaussian-vb", arrays(modify("components_", lambda c: c[:, :-1])), r"components_: .*statistics"
    ),
    "components_ without a positive-definite precision": Case(
        "gaussian-vb",
        arrays(modify("components_", lambda c: _assign(c, (0, slice(3, None)), -c[0, 3:]))),
        r"components_: .*not positive definite",
    ),
    "centring origin of the wrong length": Case(
        "gaussian-vb", arrays(modify("family_.origin", lambda o: o[:2])), r"family_: .*origin of length 2"
    ),
    "asymmetric Wishart scale": Case(
        "gaussian-vb",
        arrays(modify("prior_.scale", lambda s: _assign(s, (0, 0, 1), s[0, 0, 1] + 1.0))),
        r"prior_\.scale: must be symmetric",
    ),
    "Wishart inverse scale not positive definite": Case(
        "gaussian-vb",
        arrays(modify("prior_.inverse_scale", lambda s: -s)),
        r"prior_\.inverse_scale: must be positive definite",
    ),
    "scale that does not invert inverse_scale": Case(
        "gaussian-vb", arrays(modify("prior_.scale", lambda s: 2 * s)), r"prior_\.scale: is not the inverse"
    ),
    "non-positive degrees of freedom": Case(
        "gaussian-vb",
        arrays(modify("posterior_.components.dof", lambda d: -d)),
        r"posterior_\.components\.dof: must exceed",
    ),
    "prior mean disagreeing with its centred mean": Case(
        "gaussian-vb", arrays(modify("prior_.mean", lambda m: m + 1.0)), r"prior_\.mean: does not equal"
    ),
    "zero weight concentration": Case(
        "gaussian-vb",
        arrays(modify("posterior_.weights.concentration", lambda c: c * 0.0)),
        r"posterior_\.weights: .*concentration must be positive",
    ),
    "miscounted effective components": Case(
        "gaussian-vb",
        metadata(setting("fitted.n_effective_components_", 5)),
        r"n_effective_components_: must count",
    ),
    "transition row not summing to one": Case(
        "poisson-hmm",
        arrays(modify("transmat_", lambda t: _assign(t, 1, 0.5 * t[1]))),
        r"transmat_: .*sum to 1.*row 1",
    ),
    "start probabilities of three states": Case(
        "poisson-hmm",
        arrays(modify("startprob_", lambda s: np.array([0.2, 0.3, 0.5]))),
        r"startprob_: must have shape \(2,\)",
    ),
    "structural zeros not boolean": Case(
        "poisson-hmm",
        arrays(modify("_structural_zeros[1]", lambda z: z.astype(np.int64))),
        r"_structural_zeros\[1\]: must be a boolean",
    ),
    "negative Beta pseudo-counts": Case(
        "bernoulli-map", arrays(modify("prior_.a", lambda a: -a)), r"prior_: Beta\.a must be positive"
    ),
    "number of categories disagreeing with the parameters": Case(
        "categorical",
        metadata(setting("fitted.family_.fields.n_categories", 4)),
        r"components_: Categorical on 2 features has 8 statistics",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_corrupted_file_is_a_value_error_naming_the_field(
    name: str, originals: dict[str, Path], tmp_path: Path
) -> None:
    case = CASES[name]
    target = tmp_path / "corrupted.npz"
    case.corruption(originals[case.original], target)
    with pytest.raises(ValueError, match=case.field) as error:
        mx.load(target)
    assert isinstance(error.value, mx.io.ModelFileError)
    assert str(target) in str(error.value)  # and the file


def test_there_are_at_least_twenty_corruptions() -> None:
    assert len(CASES) >= 20


def test_random_damage_is_refused_or_harmless(originals: dict[str, Path], tmp_path: Path) -> None:
    """Flipped bytes, truncations and cuts anywhere in a file: load either refuses it with a
    ModelFileError or (damage in bytes nothing reads, such as zip timestamps) returns a model."""
    data = originals["gaussian-vb"].read_bytes()
    rng = np.random.default_rng(0)
    refused = 0
    for trial in range(300):
        damaged = bytearray(data)
        if trial % 3 == 0:
            for position in rng.integers(len(damaged), size=3):
                damaged[position] ^= int(rng.integers(1, 256))
        elif trial % 3 == 1:
            damaged = damaged[: int(rng.integers(len(damaged)))]
        else:
            start = int(rng.integers(len(damaged)))
            del damaged[start : start + int(rng.integers(1, 64))]
        (tmp_path / "damaged.npz").write_bytes(bytes(damaged))
        try:
            loaded = mx.load(tmp_path / "damaged.npz")
        except mx.io.ModelFileError:
            refused += 1
        else:
            assert isinstance(loaded, mx.Mixture)
    assert refused > 250


# ----------------------------------------------------------------------------- pickles
def test_the_payload_is_live_when_unpickled(tmp_path: Path) -> None:
    """The payload the next tests plant really runs code when numpy unpickles it."""
    marker = tmp_path / "unpickled"
    write_members(tmp_path / "evil.npz", {"weights_": np.array([MakesMarker(marker)], dtype=object)})
    with np.load(tmp_path / "evil.npz", allow_pickle=True) as archive:
        archive["weights_"]
    assert marker.exists()


def test_a_pickle_inside_the_archive_never_runs(originals: dict[str, Path], tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    for key in ("weights_", "metadata", "prior_.scale"):
        members = read_members(originals["gaussian-vb"])
        members[key] = np.array([MakesMarker(marker)], dtype=object)
        write_members(tmp_path / "evil.npz", members)
        with pytest.raises(ValueError, match=rf"{key}: arrays of dtype object are not allowed"):
            mx.load(tmp_path / "evil.npz")
        assert not marker.exists()


def test_a_pickle_file_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    evil = tmp_path / "model.npz"
    evil.write_bytes(pickle.dumps(MakesMarker(marker)))
    with pytest.raises(ValueError, match="file: not a mixtures model file"):
        mx.load(evil)
    assert not marker.exists()


def test_a_npy_file_holding_a_pickle_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    evil = tmp_path / "model.npz"
    np.save(evil.open("wb"), np.array([MakesMarker(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="file: not a mixtures model file"):
        mx.load(evil)
    assert not marker.exists()
