"""Read the parity model's weights from a `.keras` file without Keras or TensorFlow.

A `.keras` file is a zip holding `config.json` (the architecture), `metadata.json` and `model.weights.h5`
(the variables, in HDF5). This module checks that the file describes exactly the architecture that
lstm_parity.forward implements - [InputLayer,] BitPairs, LSTM(tanh, sigmoid, forward, stateless,
return_sequences), Dense(2, softmax), all float32 - and returns its five weight arrays. Anything else is
refused with one line naming the file and what was found, so a model the numpy forward pass would compute
differently from Keras is never run.

Model files may come from elsewhere (a DVC remote, a colleague), so every size is bounded before anything
is read: the file itself, the number of zip entries, each entry's declared size, and each read (declared
sizes can lie, so reads stop at the bound whatever the zip says). Nothing is ever executed or unpickled:
the config is plain JSON compared against fixed strings (an activation must be the string "tanh", so
neither a Lambda layer nor an activation naming `os.system` can pass), and the HDF5 datasets are read only
after their dtype and shape are checked, so a declared shape can never make a read allocate more.
"""
from __future__ import annotations

import io
import json
import math
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstm_parity.errors import DataError

# The largest LSTM this reader accepts: parity needs a handful of units (the project trains 4); 1024 keeps
# the weights file under ~70 MB, so a hostile file cannot make the reader hold more than that.
MAX_UNITS = 1024
MAX_CONFIG_BYTES = 64 * 1024  # the project's config.json is ~4 KB
MAX_METADATA_BYTES = 4 * 1024  # {"keras_version": "3.15.1"}
MAX_ENTRIES = 16  # Keras writes three
MAX_DIRECTORY_BYTES = 64 * 1024  # the zip's central directory: ~200 bytes for Keras's three entries
# What HDF5 adds around the arrays (object headers, group b-trees, names): ~20 KB for this model's file.
HDF5_OVERHEAD_BYTES = 1 << 20
# Copies of the model's parameters a weights file may hold: the variables and up to three optimizer slots
# per variable (Adam keeps two; AMSGrad three).
PARAMETER_COPIES = 4

CONFIG_ENTRY = "config.json"
METADATA_ENTRY = "metadata.json"
WEIGHTS_ENTRY = "model.weights.h5"

# Where Keras 3 stores each variable: layers/<snake_case class name>/vars/<index> (saving_lib names layers of
# a Sequential by class, not by the user's name), the LSTM's through its cell.
LSTM_VARS = "layers/lstm/cell/vars"
DENSE_VARS = "layers/dense/vars"
# The layer groups a file of this architecture has; the encoder and the LSTM itself own no variables.
LAYER_GROUPS = {"bit_pairs", "lstm", "dense"}


def parameter_count(units: int) -> int:
    """Floats in the model: LSTM kernel (2, 4u), recurrent kernel (u, 4u), bias (4u); Dense (u, 2), (2)."""
    return 2 * 4 * units + units * 4 * units + 4 * units + units * 2 + 2


def max_weights_bytes(units: int) -> int:
    """The largest weights file accepted for an LSTM of `units`."""
    return PARAMETER_COPIES * 4 * parameter_count(units) + HDF5_OVERHEAD_BYTES


# The whole .keras file: its entries at their largest, plus deflate's worst-case growth and zip headers.
MAX_FILE_BYTES = MAX_CONFIG_BYTES + MAX_METADATA_BYTES + max_weights_bytes(MAX_UNITS) + (1 << 20)


@dataclass(frozen=True)
class LstmWeights:
    """The parity model's weights, float32, read-only; gate order i, f, c, o along 4 * units, as Keras.

    kernel (2, 4u) maps the input pair (b == 1, b == 0) to the gates, recurrent_kernel (u, 4u) maps the
    hidden state, bias (4u,); dense_kernel (u, 2) and dense_bias (2,) give the logits of parity 0 and 1.
    """

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    dense_kernel: np.ndarray
    dense_bias: np.ndarray
    units: int

    def __post_init__(self) -> None:
        u = self.units
        if not isinstance(u, int) or isinstance(u, bool) or not 1 <= u <= MAX_UNITS:
            raise ValueError(f"units must be an int from 1 to {MAX_UNITS}, got {u!r}")
        expected = {"kernel": (2, 4 * u), "recurrent_kernel": (u, 4 * u), "bias": (4 * u,),
                    "dense_kernel": (u, 2), "dense_bias": (2,)}
        for name, shape in expected.items():
            array = np.array(getattr(self, name), dtype=np.float32, order="C")  # a copy the caller cannot change
            if array.shape != shape:
                raise ValueError(f"{name} must have shape {shape} for {u} units, got {array.shape}")
            if not np.isfinite(array).all():
                raise ValueError(f"{name} holds values that are not finite")
            array.setflags(write=False)
            object.__setattr__(self, name, array)


def read_weights(path: Path | str) -> LstmWeights:
    """The weights of the parity model saved at `path`, checked to be the architecture forward implements.
    Raises DataError, one line naming the file, for anything else."""
    path = Path(path)
    try:
        return _read(path)
    except _Refused as refused:
        raise DataError(f"{path}: {refused}") from None


class _Refused(Exception):
    """Why a file is refused; read_weights adds the file's name."""


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise _Refused(message)


def _read(path: Path) -> LstmWeights:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _Refused("model file not found; run `dvc repro` (or `dvc pull`) to make it") from None
    except OSError as error:
        raise _Refused(f"cannot read: {error.strerror}") from None
    _expect(path.is_file(), "not a file")
    _expect(size <= MAX_FILE_BYTES, f"file of {size} bytes, more than a parity model of up to {MAX_UNITS} "
                                    f"units can be ({MAX_FILE_BYTES} bytes)")
    _check_directory(path)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = _entries(archive)
            config = _read_json(archive, entries[CONFIG_ENTRY], MAX_CONFIG_BYTES)
            if METADATA_ENTRY in entries:
                _check_metadata(_read_json(archive, entries[METADATA_ENTRY], MAX_METADATA_BYTES))
            units = check_config(config)
            weights = _read_entry(archive, entries[WEIGHTS_ENTRY], max_weights_bytes(units))
    except zipfile.BadZipFile as error:
        raise _Refused(f"not a readable .keras (zip) file: {error}") from None
    except (EOFError, OSError, RuntimeError, NotImplementedError) as error:  # truncated or damaged entries
        raise _Refused(f"damaged zip entry: {error}") from None
    return _read_h5(weights, units)


def _check_directory(path: Path) -> None:
    """Bound the zip's central directory before zipfile parses it: zipfile builds an object for every
    entry the directory holds, so a small file declaring a million entries would cost gigabytes. The end of
    central directory record (the file's last 22 bytes, or a little before them when the zip has a comment)
    gives the entry count and the directory's size; zipfile reads no more directory than that size."""
    try:
        with open(path, "rb") as stream:
            stream.seek(0, io.SEEK_END)
            size = stream.tell()
            stream.seek(max(0, size - 22 - 0xFFFF))  # the record, then a comment of up to 64 KB
            tail = stream.read()
    except OSError as error:
        raise _Refused(f"cannot read: {error.strerror}") from None
    at = tail.rfind(b"PK\x05\x06")
    _expect(at >= 0 and len(tail) - at >= 22, "not a readable .keras (zip) file: no end of central directory")
    entries, directory_bytes = struct.unpack_from("<HI", tail, at + 10)
    _expect(entries <= MAX_ENTRIES, f"{entries} zip entries; a .keras model file has a few")
    _expect(directory_bytes <= MAX_DIRECTORY_BYTES,
            f"zip directory of {directory_bytes} bytes; a .keras model file's is a few hundred")


def _entries(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The zip's entries by name, checked: few, unique, not encrypted, stored or deflated (formats whose
    decompression zipfile bounds), and holding the two entries the model needs."""
    infos = archive.infolist()
    _expect(len(infos) <= MAX_ENTRIES, f"{len(infos)} zip entries; a .keras model file has a few")
    names = [info.filename for info in infos]
    repeated = sorted({name for name in names if names.count(name) > 1})
    _expect(not repeated, f"zip entries named more than once: {', '.join(repeated)}")
    entries = {info.filename: info for info in infos}
    missing = [name for name in (CONFIG_ENTRY, WEIGHTS_ENTRY) if name not in entries]
    _expect(not missing, f"no {' or '.join(missing)} in the zip; not a Keras 3 .keras model file")
    for name in (CONFIG_ENTRY, METADATA_ENTRY, WEIGHTS_ENTRY):
        info = entries.get(name)
        if info is not None:
            _expect(not info.flag_bits & 0x1, f"{name} is encrypted")
            _expect(info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED),
                    f"{name} uses zip compression method {info.compress_type}; expected stored or deflated")
    return entries


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """An entry's bytes, refused if its declared size is over `limit` or if more than `limit` bytes come
    out of it: a read never decompresses more than limit + 1 bytes, whatever the zip declares."""
    _expect(info.file_size <= limit, f"{info.filename} declares {info.file_size} bytes uncompressed; "
                                     f"at most {limit} are allowed")
    with archive.open(info) as stream:
        data = read_capped(stream, limit)
    _expect(data is not None, f"{info.filename} unpacks to more than {limit} bytes")
    return data


def read_capped(stream: io.BufferedIOBase | Any, limit: int) -> bytes | None:
    """Up to `limit` bytes of `stream`, or None if it holds more. Reads in blocks, so a stream that never
    ends costs limit + 1 bytes of memory at most."""
    blocks, total = [], 0
    while total <= limit:
        block = stream.read(min(1 << 20, limit + 1 - total))
        if not block:
            return b"".join(blocks)
        blocks.append(block)
        total += len(block)
    return None


def _read_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> Any:
    data = _read_entry(archive, info, limit)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error).splitlines()[0][:120]
        raise _Refused(f"{info.filename} is not valid JSON: {reason}") from None


def _check_metadata(metadata: Any) -> None:
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    _expect(isinstance(version, str) and version.split(".")[0] == "3",
            f"written by Keras {version!r}; expected a Keras 3 file")


# ---- config.json -------------------------------------------------------------------------------------

def check_config(config: Any) -> int:
    """The LSTM's units, once config.json is checked to be the parity architecture; _Refused otherwise."""
    _expect(isinstance(config, dict), "config.json is not a JSON object")
    _expect(config.get("class_name") == "Sequential",
            f"model is {_kind(config)}; expected a Sequential model")
    body = config.get("config")
    _expect(isinstance(body, dict) and isinstance(body.get("layers"), list), "config.json has no layer list")
    if "dtype" in body:
        _check_dtype(body["dtype"], "the model")
    layers = body["layers"]
    kinds = [_kind(layer) for layer in layers]
    if kinds[:1] == ["InputLayer"]:
        _check_input(layers[0])
        layers, kinds = layers[1:], kinds[1:]
    _expect(kinds == ["BitPairs", "LSTM", "Dense"],
            f"layers {', '.join(kinds) or 'none'}; expected [InputLayer,] BitPairs, LSTM, Dense")
    pairs, lstm, dense = (layer.get("config") for layer in layers)
    for name, layer_config in (("BitPairs", pairs), ("LSTM", lstm), ("Dense", dense)):
        _expect(isinstance(layer_config, dict), f"{name} layer has no config object")
        _check_dtype(layer_config.get("dtype", "float32"), name)
    _expect(layers[0].get("registered_name") in (None, "parity>BitPairs"),
            f"BitPairs layer registered as {layers[0].get('registered_name')!r}; expected 'parity>BitPairs'")
    units = _check_lstm(lstm)
    _check_dense(dense)
    return units


def _kind(layer: Any) -> str:
    name = layer.get("class_name") if isinstance(layer, dict) else None
    return name if isinstance(name, str) else repr(name)


def _check_input(layer: dict) -> None:
    config = layer.get("config")
    _expect(isinstance(config, dict), "InputLayer has no config object")
    shape = config.get("batch_shape", config.get("batch_input_shape"))
    _expect(shape == [None, None], f"input shape {shape}; expected (batch, time) of any length: [null, null]")
    _expect(config.get("dtype") == "uint8", f"input dtype {config.get('dtype')!r}; expected 'uint8' bits")


def _check_dtype(dtype: Any, where: str) -> None:
    """Keras 3 writes a layer's dtype policy as {"class_name": "DTypePolicy", "config": {"name": ...}};
    older files as a plain string. Only float32 runs as forward computes (no mixed precision)."""
    if isinstance(dtype, dict):
        policy = dtype.get("config", {}).get("name") if isinstance(dtype.get("config"), dict) else None
        _expect(dtype.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and policy == "float32",
                f"{where} has dtype policy {json.dumps(dtype)[:120]}; expected float32")
    else:
        _expect(dtype == "float32", f"{where} has dtype {dtype!r}; expected float32")


def _same(config: dict, key: str, expected: Any, layer: str, missing_ok: bool = False) -> None:
    """config[key] is exactly `expected` (same JSON type too: true, not 1). A missing key is accepted only
    where Keras's default is `expected` (missing_ok)."""
    if key not in config:
        _expect(missing_ok, f"{layer} config has no {key!r}")
        return
    value = config[key]
    _expect(type(value) is type(expected) and value == expected,
            f"{layer} {key} is {json.dumps(value)[:120]}; expected {json.dumps(expected)}")


def _check_lstm(config: dict) -> int:
    _same(config, "activation", "tanh", "LSTM")
    _same(config, "recurrent_activation", "sigmoid", "LSTM")
    _same(config, "use_bias", True, "LSTM")
    _same(config, "return_sequences", True, "LSTM")
    _same(config, "go_backwards", False, "LSTM")
    _same(config, "stateful", False, "LSTM")
    _same(config, "return_state", False, "LSTM", missing_ok=True)
    # True would output zeros at PAD steps instead of carrying the last state to the readout.
    _same(config, "zero_output_for_mask", False, "LSTM", missing_ok=True)
    units = config.get("units")
    _expect(type(units) is int and 1 <= units <= MAX_UNITS,
            f"LSTM units is {json.dumps(units)[:40]}; expected an integer from 1 to {MAX_UNITS}")
    return units


def _check_dense(config: dict) -> None:
    _same(config, "units", 2, "Dense")
    _same(config, "activation", "softmax", "Dense")
    _same(config, "use_bias", True, "Dense")
    # A quantized or LoRA Dense keeps other variables than (kernel, bias) and computes differently.
    _expect(config.get("quantization_config") is None and not config.get("lora_rank"),
            "Dense is quantized or has LoRA weights; expected a plain float32 Dense")


# ---- model.weights.h5 --------------------------------------------------------------------------------

def _read_h5(data: bytes, units: int) -> LstmWeights:
    import h5py  # imported here: ~40 ms, and only a weights read needs it

    u = units
    expected = {f"{LSTM_VARS}/0": (2, 4 * u), f"{LSTM_VARS}/1": (u, 4 * u), f"{LSTM_VARS}/2": (4 * u,),
                f"{DENSE_VARS}/0": (u, 2), f"{DENSE_VARS}/1": (2,)}
    try:
        with h5py.File(io.BytesIO(data), "r") as h5:
            layers = h5.get("layers")
            _expect(isinstance(layers, h5py.Group), f"{WEIGHTS_ENTRY} has no 'layers' group")
            found = set(layers.keys())
            _expect(found == LAYER_GROUPS, f"{WEIGHTS_ENTRY} holds layers {', '.join(sorted(found))}; expected "
                                           f"{', '.join(sorted(LAYER_GROUPS))}")
            _check_no_other_variables(h5, set(expected))
            arrays = [_read_dataset(h5, name, shape) for name, shape in expected.items()]
    except _Refused:
        raise
    except Exception as error:  # h5py raises OSError, KeyError, ValueError... for damaged files
        reason = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
        raise _Refused(f"{WEIGHTS_ENTRY} is not a readable HDF5 weights file: {reason}") from None
    try:
        return LstmWeights(*arrays, units=u)
    except ValueError as error:  # values that are not finite
        raise _Refused(f"{WEIGHTS_ENTRY}: {error}") from None


def _check_no_other_variables(h5: Any, expected: set[str]) -> None:
    """Every dataset under layers/ is one of the five the architecture has: a LSTM cell with extra
    variables (peepholes, say) or a Dense with LoRA factors would otherwise load and compute wrongly."""
    import h5py

    others: list[str] = []

    def visit(name: str, item: Any) -> None:
        full = f"layers/{name}"
        if isinstance(item, h5py.Dataset) and full not in expected:
            others.append(full)

    h5["layers"].visititems(visit)
    _expect(not others, f"{WEIGHTS_ENTRY} has variables the architecture does not: {', '.join(sorted(others)[:5])}")


def _read_dataset(h5: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One variable, checked before reading: a plain dataset stored in this file (no links elsewhere, no
    external or virtual storage), of little-endian float32 and the shape the units give."""
    import h5py

    link = h5.get(name, getlink=True)
    _expect(link is not None, f"{WEIGHTS_ENTRY} has no {name}")
    _expect(isinstance(link, h5py.HardLink), f"{WEIGHTS_ENTRY}: {name} is a link; expected a dataset")
    dataset = h5[name]
    _expect(isinstance(dataset, h5py.Dataset), f"{WEIGHTS_ENTRY}: {name} is not a dataset")
    _expect(dataset.dtype == np.dtype("<f4"), f"{WEIGHTS_ENTRY}: {name} has dtype {dataset.dtype}; expected float32")
    _expect(dataset.shape == shape, f"{WEIGHTS_ENTRY}: {name} has shape {dataset.shape}; expected {shape}")
    _expect(not dataset.is_virtual and dataset.external is None,
            f"{WEIGHTS_ENTRY}: {name} keeps its data outside the file")
    array = dataset[()]
    _expect(array.nbytes == 4 * math.prod(shape), f"{WEIGHTS_ENTRY}: {name} read back the wrong size")
    return array
