"""The value grammar: how a Python value becomes JSON plus named arrays, and back.

A value is written as

* JSON ``null``, ``true``/``false``, an integer, a finite float or a string, for Python's own
  ``None``, ``bool``, ``int``, ``float`` and ``str``;
* otherwise a JSON object tagged with its ``"kind"``, one small codec per kind:

  - ``"array"``: an ``ndarray``, stored as the array named by the value's path
    (``{"of": "str"}`` marks an object array of strings, stored as unicode);
  - ``"scalar"``: a numpy scalar (``np.float64``, ``np.bool_``...), a 0-d array at its path, so
    that its dtype survives;
  - ``"tuple"``, ``"list"`` (``{"items": [...]}``) and ``"dict"`` (``{"items": {...}}``, string
    keys);
  - ``"family"``, ``"prior"``, ``"weight_prior"``, ``"posterior"``, ``"online_mode"``,
    ``"online"`` (an online fit's state, parameters and statistics), ``"start"`` (a partial
    ``init``):
    ``{"type": name, "fields": {...}}``, an object of a registered class, rebuilt by calling
    that class with its attrs fields so that its validators run;
  - ``"components"``: ``{"family": ..., "natural": ...}``;
  - ``"generator"``: a numpy ``Generator``, by its bit generator's state (allow-listed types).

A value's path names it in error messages and is the name of the arrays it stores: ``prior_``'s
field ``scale`` is the array ``"prior_.scale"``, a tuple's second entry ``"init[1]"``.
"""

from __future__ import annotations

import abc
import re
from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray

from mixtures.families.base import Components, ExponentialFamily
from mixtures.io.archive import ALLOWED_KINDS
from mixtures.io.checks import check_natural
from mixtures.io.errors import ModelFileError, child, item, reading
from mixtures.io.legacy import ADDED_FIELDS, Upgradable
from mixtures.io.registry import (
    FAMILIES,
    ONLINE_MODES,
    ONLINE_VALUES,
    POSTERIORS,
    PRIORS,
    STARTS,
    WEIGHT_PRIORS,
    Registry,
)

__all__ = ["ArrayReader", "ArrayWriter", "decode_value", "encode_value", "same_value"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
BIT_GENERATORS: dict[str, type[np.random.BitGenerator]] = {
    cls.__name__: cls
    for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox, np.random.SFC64)
}


class ArrayWriter:
    """Collects the arrays of one model, each under its value's path."""

    def __init__(self) -> None:
        self.arrays: dict[str, NDArray[Any]] = {}

    def put(self, path: str, array: NDArray[Any]) -> None:
        if array.dtype.kind not in ALLOWED_KINDS or (array.dtype.kind in "iuf" and array.dtype.itemsize > 8):
            raise ModelFileError(path, f"arrays of dtype {array.dtype} cannot be saved in a model file")
        _check_finite(array, path)
        if path in self.arrays:
            raise ModelFileError(path, "two values would be stored under this name")
        self.arrays[path] = array


class ArrayReader:
    """Hands out the arrays of a model file by path, each once, and notices arrays nothing asked
    for."""

    def __init__(self, arrays: dict[str, NDArray[Any]]) -> None:
        self._arrays = arrays
        self._taken: set[str] = set()

    def take(self, path: str) -> NDArray[Any]:
        if path not in self._arrays:
            raise ModelFileError(path, "the array is missing from the file")
        self._taken.add(path)
        array = self._arrays[path]
        _check_finite(array, path)
        return array

    def check_all_taken(self) -> None:
        unexpected = sorted(set(self._arrays) - self._taken)
        if unexpected:
            raise ModelFileError(unexpected[0], "unexpected array: no field of the model refers to it")


def _check_finite(array: NDArray[Any], path: str) -> None:
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0]) if array.ndim else ()
        raise ModelFileError(
            path, f"contains NaN or inf (first at index {position}); model files hold finite numbers only"
        )


# ----------------------------------------------------------------------------- the grammar
def encode_value(value: Any, path: str, writer: ArrayWriter) -> Any:
    """The JSON form of ``value``; its arrays go to ``writer`` under ``path``."""
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        if not np.isfinite(value):
            raise ModelFileError(path, f"{value} cannot be saved: model files hold finite numbers only")
        return value
    for codec in CODECS:
        if codec.handles(value):
            return {"kind": codec.kind, **codec.encode(value, path, writer)}
    raise ModelFileError(path, f"a value of type {type(value).__qualname__} cannot be saved in a model file")


def decode_value(node: Any, path: str, reader: ArrayReader) -> Any:
    """The value ``node`` (JSON, as ``encode_value`` wrote it) stands for, rebuilt and validated."""
    if node is None or type(node) in (bool, int, str):
        return node
    if type(node) is float:
        if not np.isfinite(node):
            raise ModelFileError(path, f"must be finite; got {node}")
        return node
    if not isinstance(node, dict):
        raise ModelFileError(
            path, f"unexpected JSON {type(node).__name__}; a value is a scalar or a tagged object"
        )
    kind = node.get("kind")
    codec = _BY_KIND.get(kind) if isinstance(kind, str) else None
    if codec is None:
        raise ModelFileError(path, f"unknown kind of value {kind!r}; known: {sorted(_BY_KIND)}")
    keys = set(node) - {"kind"}
    missing = sorted(codec.keys - keys)
    if missing:
        raise ModelFileError(path, f"the JSON object of a {kind} lacks {missing}")
    extra = sorted(keys - codec.keys - codec.optional_keys)
    if extra:
        raise ModelFileError(path, f"the JSON object of a {kind} has unexpected keys {extra}")
    return codec.decode(node, path, reader)


def same_value(first: Any, second: Any) -> bool:
    """Whether two values are saved identically (same JSON, same arrays bit for bit)."""
    first_writer, second_writer = ArrayWriter(), ArrayWriter()
    if encode_value(first, "value", first_writer) != encode_value(second, "value", second_writer):
        return False
    first_arrays, second_arrays = first_writer.arrays, second_writer.arrays
    return first_arrays.keys() == second_arrays.keys() and all(
        first_arrays[key].dtype == second_arrays[key].dtype
        and np.array_equal(first_arrays[key], second_arrays[key])
        for key in first_arrays
    )


# ----------------------------------------------------------------------------- codecs
class ValueCodec(abc.ABC):
    """One kind of value: which Python values it writes, its JSON keys, and the way back."""

    kind: str
    keys: ClassVar[frozenset[str]] = frozenset()
    optional_keys: ClassVar[frozenset[str]] = frozenset()

    @abc.abstractmethod
    def handles(self, value: Any) -> bool:
        """Whether this codec writes ``value``."""

    @abc.abstractmethod
    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        """The JSON object for ``value`` (without its ``"kind"``)."""

    @abc.abstractmethod
    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        """The value of a JSON object whose keys have been checked."""


class ArrayCodec(ValueCodec):
    kind = "array"
    optional_keys = frozenset({"of"})

    def handles(self, value: Any) -> bool:
        return isinstance(value, np.ndarray)

    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        if value.dtype != object:
            writer.put(path, value)
            return {}
        # object arrays are saved only when they hold strings (e.g. feature_names_in_)
        if not all(type(entry) is str and not entry.endswith("\x00") for entry in value.flat):
            raise ModelFileError(path, "object arrays can be saved only when they hold strings")
        writer.put(path, value.astype(str))
        return {"of": "str"}

    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        array = reader.take(path)
        if "of" not in node:
            return array
        if node["of"] != "str" or array.dtype.kind != "U":
            raise ModelFileError(
                path,
                f"an array of strings must be stored as unicode; got of={node['of']!r}, dtype {array.dtype}",
            )
        return array.astype(object)


class NumpyScalarCodec(ValueCodec):
    kind = "scalar"

    def handles(self, value: Any) -> bool:
        return isinstance(value, np.generic)

    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        writer.put(path, np.asarray(value))
        return {}

    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        array = reader.take(path)
        if array.ndim != 0:
            raise ModelFileError(path, f"a scalar must be a 0-d array; got shape {array.shape}")
        return array[()]


class DtypeCodec(ValueCodec):
    """A floating-point numpy type (``np.float32``) or dtype (a setting such as
    ``product_dtype``), by name, read back as the same kind of value."""

    kind = "dtype"
    keys = frozenset({"name", "of"})
    NAMES: ClassVar[frozenset[str]] = frozenset({"float64", "float32"})

    def handles(self, value: Any) -> bool:
        is_type = isinstance(value, type) and issubclass(value, np.generic)
        return isinstance(value, np.dtype) or is_type

    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        name = np.dtype(value).name
        if name not in self.NAMES:
            raise ModelFileError(path, f"the dtype {name} cannot be saved; known: {sorted(self.NAMES)}")
        return {"name": name, "of": "dtype" if isinstance(value, np.dtype) else "type"}

    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        name, of = node["name"], node["of"]
        if name not in self.NAMES or of not in ("dtype", "type"):
            raise ModelFileError(
                path, f"unknown dtype {name!r} ({of!r}); known: {sorted(self.NAMES)}, as a dtype or type"
            )
        return np.dtype(name) if of == "dtype" else np.dtype(name).type


class SequenceCodec(ValueCodec):
    keys = frozenset({"items"})

    def __init__(self, sequence_type: type[tuple[Any, ...]] | type[list[Any]]) -> None:
        self.sequence_type = sequence_type
        self.kind = sequence_type.__name__

    def handles(self, value: Any) -> bool:
        return type(value) is self.sequence_type

    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        return {"items": [encode_value(entry, item(path, i), writer) for i, entry in enumerate(value)]}

    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        entries = node["items"]
        if not isinstance(entries, list):
            raise ModelFileError(path, f"items must be a JSON list; got {type(entries).__name__}")
        return self.sequence_type(
            decode_value(entry, item(path, i), reader) for i, entry in enumerate(entries)
        )


class MappingCodec(ValueCodec):
    kind = "dict"
    keys = frozenset({"items"})

    def handles(self, value: Any) -> bool:
        return type(value) is dict

    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        for key in value:
            if not (isinstance(key, str) and _KEY.fullmatch(key)):
                raise ModelFileError(path, f"dictionary keys must be identifiers to be saved; got {key!r}")
        return {"items": {key: encode_value(entry, child(path, key), writer) for key, entry in value.items()}}

    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        entries = node["items"]
        if not isinstance(entries, dict) or not all(_KEY.fullmatch(key) for key in entries):
            raise ModelFileError(path, "items must be a JSON object with identifier keys")
        return {key: decode_value(entry, child(path, key), reader) for key, entry in entries.items()}


class RegisteredObjectCodec(ValueCodec):
    """Objects of the classes in one registry, saved as their attrs fields and rebuilt by calling
    the registered class with them."""

    keys = frozenset({"type", "fields"})

    def __init__(self, kind: str, registry: Registry) -> None:
        self.kind = kind
        self.registry = registry

    def handles(self, value: Any) -> bool:
        if self.registry.base is object:
            return type(value) in self.registry
        return isinstance(value, self.registry.base)

    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        cls = type(value)
        name = self.registry.name_of(cls, path)
        fields: dict[str, Any] = {}
        if attrs.has(cls):
            for field in attrs.fields(cls):
                if not field.init:
                    raise ModelFileError(
                        path,
                        f"{cls.__qualname__}.{field.name} is no constructor argument; it cannot be rebuilt",
                    )
                fields[field.alias] = encode_value(
                    getattr(value, field.name), child(path, field.alias), writer
                )
        elif getattr(value, "__dict__", None):
            raise ModelFileError(
                path,
                f"{cls.__qualname__} holds settings {sorted(vars(value))} but is not an attrs class; "
                f"make it an attrs class (@attrs.frozen) so that they can be saved",
            )
        return {"type": name, "fields": fields}

    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        cls = self.registry.class_named(node["type"], path)
        given = node["fields"]
        if not isinstance(given, dict):
            raise ModelFileError(path, f"fields must be a JSON object; got {type(given).__name__}")
        names = [field.alias for field in attrs.fields(cls)] if attrs.has(cls) else []
        added = ADDED_FIELDS.get(node["type"], frozenset())
        for name in names:
            if name not in given and name not in added:
                raise ModelFileError(
                    child(path, name), f"missing: {node['type']} needs every one of its fields {names}"
                )
        for name in given:
            if name not in names:
                raise ModelFileError(child(path, name), f"unexpected: {node['type']} has no field {name!r}")
        arguments = {
            name: decode_value(given[name], child(path, name), reader) for name in names if name in given
        }
        with reading(path):
            value = cls(**arguments)
            return value.upgraded() if isinstance(value, Upgradable) else value


class ComponentsCodec(ValueCodec):
    kind = "components"
    keys = frozenset({"family", "natural"})

    def handles(self, value: Any) -> bool:
        return isinstance(value, Components)

    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        return {
            "family": encode_value(value.family, child(path, "family"), writer),
            "natural": encode_value(value.natural, child(path, "natural"), writer),
        }

    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        family = decode_value(node["family"], child(path, "family"), reader)
        if not isinstance(family, ExponentialFamily):
            raise ModelFileError(child(path, "family"), f"must be a family; got {type(family).__name__}")
        natural_path = child(path, "natural")
        natural = check_natural(family, decode_value(node["natural"], natural_path, reader), natural_path)
        with reading(path):
            return family.components(natural)


class GeneratorCodec(ValueCodec):
    """A numpy ``Generator`` (e.g. a ``random_state``) by its bit generator's state; only the
    bit generators numpy ships are accepted."""

    kind = "generator"
    keys = frozenset({"state"})

    def handles(self, value: Any) -> bool:
        return isinstance(value, np.random.Generator)

    def encode(self, value: Any, path: str, writer: ArrayWriter) -> dict[str, Any]:
        bit_generator = value.bit_generator
        if BIT_GENERATORS.get(type(bit_generator).__name__) is not type(bit_generator):
            raise ModelFileError(
                path,
                f"a Generator over {type(bit_generator).__qualname__} cannot be saved; "
                f"supported: {sorted(BIT_GENERATORS)}",
            )
        return {"state": encode_value(bit_generator.state, child(path, "state"), writer)}

    def decode(self, node: dict[str, Any], path: str, reader: ArrayReader) -> Any:
        state_path = child(path, "state")
        state = decode_value(node["state"], state_path, reader)
        name = state.get("bit_generator") if isinstance(state, dict) else None
        if name not in BIT_GENERATORS:
            raise ModelFileError(
                state_path, f"unknown bit generator {name!r}; supported: {sorted(BIT_GENERATORS)}"
            )
        with reading(state_path):
            bit_generator = BIT_GENERATORS[name]()
            bit_generator.state = state
            return np.random.Generator(bit_generator)


#: In order: the first codec that handles a value writes it.
CODECS: tuple[ValueCodec, ...] = (
    NumpyScalarCodec(),
    DtypeCodec(),
    ArrayCodec(),
    SequenceCodec(tuple),
    SequenceCodec(list),
    MappingCodec(),
    RegisteredObjectCodec("family", FAMILIES),
    RegisteredObjectCodec("prior", PRIORS),
    RegisteredObjectCodec("weight_prior", WEIGHT_PRIORS),
    RegisteredObjectCodec("posterior", POSTERIORS),
    RegisteredObjectCodec("online_mode", ONLINE_MODES),
    RegisteredObjectCodec("online", ONLINE_VALUES),
    RegisteredObjectCodec("start", STARTS),
    ComponentsCodec(),
    GeneratorCodec(),
)
_BY_KIND = {codec.kind: codec for codec in CODECS}
