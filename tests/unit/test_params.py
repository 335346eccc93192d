"""params.yaml checks: one clear message naming the key, for every kind of bad value."""
from __future__ import annotations

import copy

import pytest
import yaml

from lstm_parity import params
from tests.conftest import PROJECT, TINY


def test_project_params_load():
    p = params.load(PROJECT / "params.yaml")
    assert p.data.seq_len == 50 and p.data.count == 100_000
    assert all(length > p.data.seq_len for length in p.evaluate.lengths)


def with_change(key: str, value) -> dict:
    raw = copy.deepcopy(TINY)
    raw["train"]["target_accuracy"] = 0.99
    section, name = key.split(".")
    if value is DELETE:
        del raw[section][name]
    else:
        raw[section][name] = value
    return raw


DELETE = object()


@pytest.mark.parametrize("key, value, message", [
    ("data.count", True, "data.count must be an integer, got true (YAML reads yes, no, on, off, true and false "
                         "as true or false)"),
    ("data.seq_len", "50", "data.seq_len must be an integer, got '50', which YAML reads as text, not a number: "
                           "write 50"),
    ("data.seq_len", 2.5, "data.seq_len must be an integer, got 2.5"),
    ("data.count", 0, "data.count must be >= 1, got 0"),
    ("data.seed", -1, "data.seed must be >= 0 and < 2**32"),
    ("train.seed", 2**32, "train.seed must be >= 0 and < 2**32"),
    ("train.batch_size", 0, "train.batch_size must be >= 1"),
    ("train.learning_rate", 0, "train.learning_rate must be a finite number > 0"),
    ("train.learning_rate", "fast", "train.learning_rate must be a number, got 'fast'"),
    ("train.target_accuracy", 1.5, "train.target_accuracy must be > 0 and <= 1"),
    ("train.jit_compile", "yes", "train.jit_compile must be true or false"),
    ("evaluate.lengths", [], "evaluate.lengths must be a non-empty list of integers"),
    ("evaluate.lengths", [32, "64"], "evaluate.lengths[1] must be an integer, got '64'"),
    ("evaluate.lengths", [4], "evaluate.lengths[0] must be longer than data.seq_len (8), got 4"),
    ("evaluate.lengths", [16, 16], "evaluate.lengths must not repeat a length"),
    ("data.seqlen", 50, "unknown key data.seqlen; allowed in data: seq_len, count, seed"),
    ("train.units", DELETE, "missing key train.units"),
    ("data.validation_count", 0, "train.target_accuracy needs data.validation_count >= 1"),
    ("data.min_len", 9, "data.min_len must be at most data.seq_len (8), or null, got 9"),
    ("train.batch_size", 5000, "train.batch_size must be at most data.count (1000), got 5000"),
    ("data.min_len", 0, "data.min_len must be >= 1, or null"),
    ("train.supervision", "last", "train.supervision must be one of per_step, final, got 'last'"),
    ("train.supervision", 1, "train.supervision must be a string, got 1"),
    ("train.jit_compile", None, "train.jit_compile must be true or false, got null"),
    ("evaluate.lengths", {"a": 1}, "evaluate.lengths must be a non-empty list of integers, got {'a': 1} (a dict)"),
])
def test_bad_values_are_named(key, value, message):
    with pytest.raises(params.ParamsError) as error:
        params.parse(with_change(key, value))
    assert message in str(error.value)


def test_unknown_section_is_named():
    with pytest.raises(params.ParamsError, match="unknown section trian"):
        params.parse({**TINY, "trian": {}})


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("data:\n  seq_len: [50\n")
    with pytest.raises(params.ParamsError, match=r"params\.yaml: not valid YAML at line"):
        params.load(path)


def test_load_prefixes_the_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(with_change("data.count", "many")))
    with pytest.raises(params.ParamsError, match=r"^.*params\.yaml: data\.count must be an integer"):
        params.load(path)


def test_params_are_frozen():
    p = params.parse(TINY)
    with pytest.raises(AttributeError):
        p.data.count = 5  # type: ignore[misc]


@pytest.mark.parametrize("typed, message", [
    ("yes", "data.count must be an integer, got true (YAML reads yes, no, on, off, true and false as true or false)"),
    ("1e2", "data.count must be an integer, got '1e2', which YAML reads as text, not a number: write 100"),
])
def test_what_yaml_made_of_what_was_typed_is_said(tmp_path, typed, message):
    """YAML 1.1 reads `yes` as true and `1e2` (no dot) as text: the error says so, with the fix."""
    path = tmp_path / "params.yaml"
    path.write_text((PROJECT / "params.yaml").read_text().replace("count: 100000", f"count: {typed}"))
    with pytest.raises(params.ParamsError) as error:
        params.load(path)
    assert str(error.value) == f"{path}: {message}"


def test_missing_section_is_named():
    with pytest.raises(params.ParamsError, match=r"^missing section evaluate$"):
        params.parse({k: v for k, v in TINY.items() if k != "evaluate"})


def test_every_key_is_described_once():
    """Meanings live in the dataclasses; the docs' table is `lstm-parity params`, generated from them."""
    described = params.documented(params.load(PROJECT / "params.yaml"))
    assert [key for key, _, _ in described] == params.keys()
    assert all(doc for _, _, doc in described)  # every key has a meaning


@pytest.mark.parametrize("value, shown", [(None, "null"), (True, "true"), ((16, 24), "[16, 24]"), (0.02, "0.02"),
                                          ("per_step", "per_step"), ([1000, 10000], "[1000, 10000]")])
def test_values_are_shown_as_dvc_exp_run_set_reads_them(value, shown):
    assert params.flow_yaml(value) == shown


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_bytes(b"\xff\xfe data")
    with pytest.raises(params.ParamsError, match=r"params\.yaml: not UTF-8 text"):
        params.load(path)
