"""The YAML reader of params and grid files: plain data only, bounded, no aliases, no key written twice."""
from __future__ import annotations

import time

import pytest

from lstm_parity.safe_yaml import MAX_BYTES, QUOTE, YamlRefused, load_yaml, load_yaml_file, shown

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))


def test_plain_yaml_reads_as_safe_load_reads_it():
    assert load_yaml("data:\n  count: 10\n  seq_len: 1e2\nlengths: [1, 2]\nflag: yes\nnone: null\n") == {
        "data": {"count": 10, "seq_len": "1e2"}, "lengths": [1, 2], "flag": True, "none": None}


def test_an_alias_bomb_is_refused_at_once():
    """A kilobyte of nested aliases would expand to billions of items: the first anchor is refused."""
    assert len(ALIAS_BOMB) < 1500
    started = time.monotonic()
    with pytest.raises(YamlRefused, match=r"^line 1: an anchor \(&a\); write each value out instead$"):
        load_yaml(ALIAS_BOMB)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("text, message", [
    ("a: 1\nb: *a\n", r"line 2: an alias \(\*a\)"),
    ("train:\n  epochs: 2\n  epochs: 1000000\n", "line 3: key 'epochs' is written twice"),
    ("a: " + "[" * 60 + "]" * 60 + "\n", "nested more than 50 deep"),
    ("a: !!python/object:os.system x\n", "could not determine a constructor"),
    ("a: [\n", "not valid YAML at line 2"),
])
def test_what_is_refused_is_named_with_its_line(text, message):
    with pytest.raises(YamlRefused, match=message):
        load_yaml(text)


def test_a_file_is_read_with_a_bound(tmp_path):
    """A path to a device that never ends (/dev/zero) or a huge file is refused after MAX_BYTES + 1 bytes."""
    started = time.monotonic()
    with pytest.raises(YamlRefused, match=f"^/dev/zero: more than {MAX_BYTES:,} bytes"):
        load_yaml_file("/dev/zero")
    assert time.monotonic() - started < 2
    (tmp_path / "latin1.yaml").write_bytes(b"a: caf\xe9\n")
    with pytest.raises(YamlRefused, match=r"latin1\.yaml: not UTF-8 text"):
        load_yaml_file(tmp_path / "latin1.yaml")


def test_values_are_quoted_short():
    assert shown("x" * 1000) == repr("x" * (QUOTE - 1))[:QUOTE] + "...'"
    assert shown(50) == "50"
