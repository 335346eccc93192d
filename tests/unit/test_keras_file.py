"""keras_file reads a model file the project writes without Keras, and refuses every file that is not that
architecture or that could make it read, allocate or run more than a parity model needs. The refused
files are a real one (build_model, save_model) with one thing changed; Keras is imported only to write it."""
from __future__ import annotations

import copy
import io
import json
import struct
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from lstm_parity import keras_file
from lstm_parity.errors import DataError
from lstm_parity.keras_file import read_capped, read_weights


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """A 4-unit model as the train stage saves it (the committed model's architecture and layout)."""
    from lstm_parity.model import build_model, keras, save_model

    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("model") / "model.keras"
    save_model(build_model(4), path)
    return path


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def original(model_file) -> dict[str, bytes]:
    return entries(model_file)


def write(path: Path, files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def with_config(tmp_path: Path, original: dict[str, bytes], change) -> Path:
    """The model file with its config.json changed by change(config) (in place)."""
    config = copy.deepcopy(json.loads(original["config.json"]))
    change(config)
    return write(tmp_path / "changed.keras", {**original, "config.json": json.dumps(config).encode()})


def with_weights(tmp_path: Path, original: dict[str, bytes], change) -> Path:
    """The model file with model.weights.h5 rebuilt after change(h5) edits a writable copy."""
    buffer = io.BytesIO(original["model.weights.h5"])
    with h5py.File(buffer, "r+") as h5:
        change(h5)
    return write(tmp_path / "changed.keras", {**original, "model.weights.h5": buffer.getvalue()})


def layer(config: dict, class_name: str) -> dict:
    return next(item for item in config["config"]["layers"] if item["class_name"] == class_name)


def refused(path: Path, match: str) -> str:
    """read_weights refuses the file with one line that names it and matches `match`."""
    with pytest.raises(DataError, match=match) as caught:
        read_weights(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


# ---- the model file the project writes ----------------------------------------------------------------

def test_reads_the_saved_model(model_file, original):
    weights = read_weights(model_file)
    assert weights.units == 4
    with h5py.File(io.BytesIO(original["model.weights.h5"]), "r") as h5:
        np.testing.assert_array_equal(weights.kernel, h5["layers/lstm/cell/vars/0"][()])
        np.testing.assert_array_equal(weights.recurrent_kernel, h5["layers/lstm/cell/vars/1"][()])
        np.testing.assert_array_equal(weights.bias, h5["layers/lstm/cell/vars/2"][()])
        np.testing.assert_array_equal(weights.dense_kernel, h5["layers/dense/vars/0"][()])
        np.testing.assert_array_equal(weights.dense_bias, h5["layers/dense/vars/1"][()])
    assert weights.kernel.dtype == np.float32 and not weights.kernel.flags.writeable


def test_reads_a_file_without_an_input_layer_or_metadata(tmp_path, original):
    path = with_config(tmp_path, original, lambda c: c["config"]["layers"].pop(0))
    files = entries(path)
    del files["metadata.json"]
    assert read_weights(write(tmp_path / "bare.keras", files)).units == 4


def test_weights_dataclass_checks_and_copies(model_file):
    weights = read_weights(model_file)
    kernel = np.array(weights.kernel)
    copied = keras_file.LstmWeights(kernel, weights.recurrent_kernel, weights.bias, weights.dense_kernel,
                                    weights.dense_bias, units=4)
    kernel[0, 0] = 99
    assert copied.kernel[0, 0] != 99
    with pytest.raises(ValueError, match="recurrent_kernel must have shape"):
        keras_file.LstmWeights(weights.kernel, weights.recurrent_kernel[:3], weights.bias, weights.dense_kernel,
                               weights.dense_bias, units=4)
    with pytest.raises(ValueError, match="units must be an int"):
        keras_file.LstmWeights(weights.kernel, weights.recurrent_kernel, weights.bias, weights.dense_kernel,
                               weights.dense_bias, units=True)
    infinite = np.array(weights.bias)
    infinite[0] = np.inf
    with pytest.raises(ValueError, match="bias holds values that are not finite"):
        keras_file.LstmWeights(weights.kernel, weights.recurrent_kernel, infinite, weights.dense_kernel,
                               weights.dense_bias, units=4)


def test_load_model_checks_the_file_before_keras_reads_it(tmp_path, original):
    """load_model runs read_weights first: a config naming os.system as an activation is refused with
    read_weights's message, before Keras deserialises anything."""
    from lstm_parity.model import load_model

    path = with_config(tmp_path, original, lambda c: layer(c, "LSTM")["config"].update(activation="os.system"))
    with pytest.raises(DataError, match=r'LSTM activation is "os\.system"; expected "tanh"'):
        load_model(path)


# ---- architecture -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "match"), [
    (lambda c: layer(c, "LSTM").update(class_name="GRU"), "layers BitPairs, GRU, Dense; expected"),
    (lambda c: c["config"]["layers"].insert(2, {"class_name": "Lambda", "config": {"function": "x"}}),
     "layers BitPairs, Lambda, LSTM, Dense"),
    (lambda c: c["config"]["layers"].pop(), "layers BitPairs, LSTM; expected"),
    (lambda c: c.update(class_name="Functional"), "model is Functional; expected a Sequential"),
    (lambda c: layer(c, "BitPairs").update(registered_name="evil>BitPairs"), "registered as 'evil>BitPairs'"),
    (lambda c: layer(c, "InputLayer")["config"].update(dtype="float32"), "input dtype 'float32'"),
    (lambda c: layer(c, "InputLayer")["config"].update(batch_shape=[None, 50]), "input shape"),
])
def test_refuses_other_layers(tmp_path, original, change, match):
    refused(with_config(tmp_path, original, change), match)


@pytest.mark.parametrize(("key", "value", "match"), [
    ("activation", "relu", 'LSTM activation is "relu"; expected "tanh"'),
    ("activation", "os.system", 'LSTM activation is "os.system"; expected "tanh"'),
    ("activation", {"module": "os", "class_name": "system", "config": "rm -rf /"}, "LSTM activation is {"),
    ("recurrent_activation", "hard_sigmoid", "recurrent_activation"),
    ("return_sequences", False, "return_sequences is false"),
    ("go_backwards", True, "go_backwards is true"),
    ("stateful", True, "stateful is true"),
    ("use_bias", False, "use_bias is false"),
    ("use_bias", 1, "use_bias is 1; expected true"),
    ("zero_output_for_mask", True, "zero_output_for_mask"),
    ("units", 1025, "LSTM units is 1025; expected an integer from 1 to 1024"),
    ("units", 10 ** 9, "LSTM units is 1000000000"),
    ("units", 4.0, "LSTM units is 4.0"),
    ("units", True, "LSTM units is true"),
])
def test_refuses_other_lstm_settings(tmp_path, original, key, value, match):
    refused(with_config(tmp_path, original, lambda c: layer(c, "LSTM")["config"].update({key: value})), match)


def test_refuses_an_lstm_config_without_a_setting(tmp_path, original):
    refused(with_config(tmp_path, original, lambda c: layer(c, "LSTM")["config"].pop("go_backwards")),
            "no 'go_backwards'")


@pytest.mark.parametrize(("change", "match"), [
    (lambda d: d.update(units=3), "Dense units is 3; expected 2"),
    (lambda d: d.update(activation="linear"), 'Dense activation is "linear"; expected "softmax"'),
    (lambda d: d.update(quantization_config={"mode": "int8"}), "quantized"),
    (lambda d: d.update(lora_rank=4), "LoRA"),
])
def test_refuses_other_dense_settings(tmp_path, original, change, match):
    refused(with_config(tmp_path, original, lambda c: change(layer(c, "Dense")["config"])), match)


def test_refuses_mixed_precision(tmp_path, original):
    def change(config):
        layer(config, "LSTM")["config"]["dtype"]["config"]["name"] = "mixed_float16"
    refused(with_config(tmp_path, original, change), "LSTM has dtype policy .*mixed_float16.*; expected float32")


def test_refuses_keras_2_metadata(tmp_path, original):
    files = {**original, "metadata.json": b'{"keras_version": "2.15.0"}'}
    refused(write(tmp_path / "old.keras", files), "written by Keras '2.15.0'")


@pytest.mark.parametrize("text", [b"not json", b"[" * 10_000 + b"]" * 10_000, b"\xff\xfe"])
def test_refuses_config_that_is_not_json(tmp_path, original, text):
    refused(write(tmp_path / "bad.keras", {**original, "config.json": text}), "config.json is not valid JSON")


# ---- weights ------------------------------------------------------------------------------------------

def test_refuses_weights_that_do_not_fit_the_units(tmp_path, original):
    refused(with_config(tmp_path, original, lambda c: layer(c, "LSTM")["config"].update(units=8)),
            r"layers/lstm/cell/vars/0 has shape \(2, 16\); expected \(2, 32\)")


def test_refuses_weights_of_another_dtype(tmp_path, original):
    def change(h5):
        data = h5["layers/dense/vars/1"][()]
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars/1"] = data.astype(np.float64)
    refused(with_weights(tmp_path, original, change), "layers/dense/vars/1 has dtype float64; expected float32")


def test_refuses_extra_variables(tmp_path, original):
    refused(with_weights(tmp_path, original,
                         lambda h5: h5.create_dataset("layers/lstm/cell/vars/3", data=np.zeros(4, "f4"))),
            "variables the architecture does not: layers/lstm/cell/vars/3")


def test_refuses_extra_layers_in_the_weights(tmp_path, original):
    refused(with_weights(tmp_path, original, lambda h5: h5.create_group("layers/dense_1/vars")),
            "holds layers bit_pairs, dense, dense_1")


def test_refuses_links_out_of_the_file(tmp_path, original):
    def change(h5):
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars/1"] = h5py.ExternalLink("/etc/passwd", "/x")
    refused(with_weights(tmp_path, original, change), "layers/dense/vars/1 is a link")


def test_refuses_weights_that_are_not_finite(tmp_path, original):
    def change(h5):
        h5["layers/lstm/cell/vars/2"][0] = np.nan
    refused(with_weights(tmp_path, original, change), "bias holds values that are not finite")


def test_refuses_a_damaged_weights_file(tmp_path, original):
    damaged = original["model.weights.h5"][:5000]
    refused(write(tmp_path / "bad.keras", {**original, "model.weights.h5": damaged}), "not a readable HDF5")


def test_refuses_weights_larger_than_the_units_need(tmp_path, original):
    padded = original["model.weights.h5"] + bytes(keras_file.max_weights_bytes(4))
    refused(write(tmp_path / "big.keras", {**original, "model.weights.h5": padded}),
            f"model.weights.h5 declares {len(padded)} bytes uncompressed; at most {keras_file.max_weights_bytes(4)}")


# ---- the zip ------------------------------------------------------------------------------------------

def test_refuses_what_is_not_a_model_file(tmp_path, original):
    refused(tmp_path / "absent.keras", "model file not found")
    refused(tmp_path, "not a file")
    (tmp_path / "text.keras").write_text("hello")
    refused(tmp_path / "text.keras", "not a readable .keras")
    refused(write(tmp_path / "empty.keras", {"config.json": original["config.json"]}),
            "no model.weights.h5 in the zip")
    refused(write(tmp_path / "many.keras", {**original, **{f"assets/{n}": b"" for n in range(20)}}),
            "23 zip entries")


def test_refuses_a_directory_of_many_entries_before_parsing_it(tmp_path, original, monkeypatch):
    """A zip directory is refused from its end record, before zipfile builds an object per entry (a spy
    on zipfile's parser sees it never run); a lying entry count does not help: the directory's declared
    size bounds it too."""
    path = write(tmp_path / "many.keras", {**original, **{f"assets/{n:06d}": b"" for n in range(3000)}})
    parsed = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: parsed.append(self))
    refused(path, "3003 zip entries")
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8:end + 12] = struct.pack("<HH", 3, 3)  # entries on this disk, entries in all
    path.write_bytes(bytes(data))
    refused(path, r"zip directory of \d+ bytes")
    assert not parsed


def test_refuses_entries_named_twice(tmp_path, original):
    path = write(tmp_path / "twice.keras", original)
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as archive:
        archive.writestr("config.json", b"{}")
    refused(path, "zip entries named more than once: config.json")


def test_refuses_other_compression(tmp_path, original):
    refused(write(tmp_path / "bz.keras", original, zipfile.ZIP_BZIP2), "config.json uses zip compression method 12")


def test_refuses_an_oversize_declared_config(tmp_path, original):
    padded = original["config.json"] + b" " * keras_file.MAX_CONFIG_BYTES
    refused(write(tmp_path / "big.keras", {**original, "config.json": padded}),
            f"config.json declares {len(padded)} bytes uncompressed; at most 65536 are allowed")


def test_refuses_an_oversize_declared_metadata(tmp_path, original):
    padded = b'{"keras_version": "3.0.0"}' + b" " * keras_file.MAX_METADATA_BYTES
    refused(write(tmp_path / "big.keras", {**original, "metadata.json": padded}),
            f"metadata.json declares {len(padded)} bytes uncompressed; at most 4096 are allowed")


def declare_size(path: Path, name: str, size: int) -> None:
    """Rewrite the uncompressed size the zip declares for `name` (central directory and local header): a
    zip bomb that lies about its size. Assumes no data descriptors and no zip64, as zipfile.writestr makes."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            name_at = at + (46 if signature == b"PK\x01\x02" else 30)
            if data[name_at:name_at + len(name)] == name.encode():
                data[at + offset:at + offset + 4] = struct.pack("<I", size)
            at += 4
    path.write_bytes(bytes(data))


def test_refuses_a_zip_bomb_by_its_declared_size(tmp_path, original):
    bomb = b" " * (8 << 20)  # 8 MB of spaces in ~8 KB of deflate; 3.9 GB would be refused the same way
    path = write(tmp_path / "bomb.keras", {**original, "config.json": bomb})
    assert path.stat().st_size < 100_000
    refused(path, f"config.json declares {len(bomb)} bytes uncompressed")


def test_refuses_a_declared_size_of_gigabytes_before_reading(tmp_path, original):
    path = write(tmp_path / "bomb.keras", {**original, "config.json": b" " * (1 << 20)})
    declare_size(path, "config.json", 3_900_000_000)
    refused(path, "config.json declares 3900000000 bytes uncompressed")


def test_refuses_a_zip_bomb_that_understates_its_size(tmp_path, original):
    """zipfile itself stops at the declared size (and then finds the CRC wrong); read_capped is the second
    bound, for whatever stream gives more than it declared (test_reads_are_capped_whatever_the_stream_holds)."""
    path = write(tmp_path / "bomb.keras", {**original, "config.json": b" " * (8 << 20)})
    declare_size(path, "config.json", 1000)
    refused(path, "config.json unpacks to more than|damaged zip entry|Bad CRC|not a readable")


def test_reads_are_capped_whatever_the_stream_holds():
    class Endless(io.RawIOBase):
        served = 0

        def read(self, size: int = -1) -> bytes:
            assert 0 < size <= (1 << 20)
            Endless.served += size
            return b" " * size

    assert read_capped(Endless(), 5_000_000) is None
    assert Endless.served == 5_000_001
    assert read_capped(io.BytesIO(b"abc"), 3) == b"abc"
    assert read_capped(io.BytesIO(b"abcd"), 3) is None


def test_refuses_a_file_larger_than_any_parity_model(model_file, monkeypatch):
    monkeypatch.setattr(keras_file, "MAX_FILE_BYTES", 1000)
    refused(model_file, "more than a parity model of up to 1024 units can be")
