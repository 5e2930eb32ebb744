"""The container: a ``.npz`` file (a zip of ``.npy`` arrays) holding JSON metadata and arrays.

Writing is deterministic (fixed member timestamps, no compression, members in a fixed order), so
saving the same model twice gives the same bytes, and atomic (a temporary file in the target's
directory, renamed over the target).

Reading never unpickles: it parses each ``.npy`` header itself, accepts only boolean, integer,
floating-point and fixed-width unicode arrays, and reads no more bytes than a member holds. Every
problem is a ``ModelFileError`` naming the member (or ``"file"``, ``"metadata"``).
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import zipfile
import zlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mixtures.io.errors import ModelFileError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "read_archive",
    "write_archive",
]

FORMAT_NAME = "mixtures-model"
#: The version this library writes; ``SUPPORTED_VERSIONS`` are those it reads.
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
#: The member holding the JSON metadata (a 0-d unicode array); every other member is a field.
METADATA_KEY = "metadata"
#: Array kinds a model file may hold: bool, signed and unsigned integers, floats, unicode text.
ALLOWED_KINDS = frozenset("biufU")
#: How deeply the metadata's JSON may nest (a model needs about 15 levels): reading it back is
#: recursive, and must not run out of stack on a crafted file.
MAX_NESTING = 100
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_NPY = ".npy"


# ----------------------------------------------------------------------------- writing
def write_archive(
    path: str | os.PathLike[str], metadata: dict[str, Any], arrays: dict[str, NDArray[Any]]
) -> None:
    """Write ``metadata`` (JSON) and ``arrays`` to ``path`` exactly (no suffix is added)."""
    text = json.dumps(metadata, allow_nan=False, indent=1)
    members = [(METADATA_KEY, np.array(text))]
    members += [(key, arrays[key]) for key in arrays]
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, array in members:
            info = zipfile.ZipInfo(key + _NPY, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, _npy_bytes(array))
    _replace_atomically(os.fspath(path), payload.getvalue())


def _npy_bytes(array: NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _replace_atomically(target: str, data: bytes) -> None:
    """Write a temporary file next to ``target`` and rename it over ``target``: a reader sees the
    old file or the new one, never half of one. An ``OSError`` names ``target``."""
    directory, name = os.path.split(os.path.abspath(target))
    temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        # O_EXCL: never clobber an existing file; mode 0o666 is narrowed by the umask, as open() does
        descriptor = os.open(temporary, flags, 0o666)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise type(error)(error.errno, error.strerror, target) from error


# ----------------------------------------------------------------------------- reading
def read_archive(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """The metadata (format name and version checked) and every array of the model file."""
    try:
        archive = zipfile.ZipFile(os.fspath(path))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        # a damaged central directory can also claim a zip version or feature we cannot read
        raise ModelFileError(
            "file", f"not a mixtures model file: not a zip archive, or truncated ({error})"
        ) from None
    with archive:
        arrays = _read_members(archive)
    if METADATA_KEY not in arrays:
        raise ModelFileError(METADATA_KEY, "missing: the file is a zip but not a mixtures model file")
    metadata = _parse_metadata(arrays.pop(METADATA_KEY))
    return metadata, arrays


def _read_members(archive: zipfile.ZipFile) -> dict[str, NDArray[Any]]:
    arrays: dict[str, NDArray[Any]] = {}
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(_NPY) or info.is_dir():
            raise ModelFileError(name, "unexpected member: a model file holds only .npy arrays")
        key = name[: -len(_NPY)]
        if key in arrays:
            raise ModelFileError(key, "the archive holds this array twice")
        if info.flag_bits & 0x1:
            raise ModelFileError(key, "the member is encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ModelFileError(key, "the member is compressed; model files store arrays uncompressed")
        try:
            data = archive.read(info)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            NotImplementedError,
            RuntimeError,
        ) as error:
            raise ModelFileError(
                key, f"unreadable member, the file is corrupted or truncated ({error})"
            ) from None
        arrays[key] = _parse_npy(data, key)
    return arrays


def _parse_npy(data: bytes, key: str) -> NDArray[Any]:
    """An ``.npy`` payload as an array, refusing object (pickled) and other unexpected dtypes
    before any data is interpreted."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, TypeError, SyntaxError, EOFError) as error:
        raise ModelFileError(key, f"not a valid .npy array ({error})") from None
    if dtype.hasobject or dtype.kind not in ALLOWED_KINDS or dtype.names is not None or dtype.subdtype:
        raise ModelFileError(
            key,
            f"arrays of dtype {dtype} are not allowed (object/pickled, structured or other "
            f"dtypes); a model file holds only bool, integer, float and unicode arrays",
        )
    if dtype.kind in "iuf" and dtype.itemsize > 8:
        raise ModelFileError(key, f"arrays of dtype {dtype} are not allowed (at most 64 bits)")
    count = math.prod(int(n) for n in shape)
    expected = count * dtype.itemsize
    available = len(data) - stream.tell()
    if expected != available:
        raise ModelFileError(
            key, f"truncated or padded: its header promises {expected} bytes of data, it holds {available}"
        )
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=stream.tell())
    array = flat.reshape(shape, order="F" if fortran_order else "C")
    # a writable copy in the machine's byte order (a file written elsewhere reads the same)
    return array.astype(dtype.newbyteorder("="), order="K", copy=True)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a model file may hold")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _nesting(value: Any) -> int:
    """How deeply JSON objects and lists nest in ``value`` (counted without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _parse_metadata(array: NDArray[Any]) -> dict[str, Any]:
    if array.dtype.kind != "U" or array.ndim != 0:
        raise ModelFileError(
            METADATA_KEY,
            f"must be a 0-d unicode array of JSON text; got dtype {array.dtype}, shape {array.shape}",
        )
    try:
        metadata = json.loads(str(array[()]), parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as error:
        raise ModelFileError(METADATA_KEY, f"not valid JSON ({error})") from None
    if not isinstance(metadata, dict):
        raise ModelFileError(METADATA_KEY, f"must be a JSON object; got {type(metadata).__name__}")
    if _nesting(metadata) > MAX_NESTING:
        raise ModelFileError(METADATA_KEY, f"the JSON nests deeper than {MAX_NESTING} levels")
    if metadata.get("format") != FORMAT_NAME:
        raise ModelFileError("metadata.format", f"must be {FORMAT_NAME!r}; got {metadata.get('format')!r}")
    version = metadata.get("format_version")
    if type(version) is not int:
        raise ModelFileError("metadata.format_version", f"must be an integer; got {version!r}")
    if version not in SUPPORTED_VERSIONS:
        newer = version > FORMAT_VERSION
        raise ModelFileError(
            "metadata.format_version",
            f"format version {version} is {'newer than' if newer else 'not one of'} the versions "
            f"this library reads ({sorted(SUPPORTED_VERSIONS)})"
            + ("; upgrade mixtures to load it" if newer else ""),
        )
    return metadata
