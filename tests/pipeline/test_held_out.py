"""Held-out means held out, as `dvc repro` runs it: the metrics of record say how many distinct strings
the validation and held-out sets hold and that none is a training string, at 8 bits and at lengths 1..10;
a held-out set larger than its split is refused before anything runs."""
from __future__ import annotations

import json

import pytest

from tests.conftest import dvc, read_params, write_params

pytestmark = pytest.mark.pipeline


def recorded(repo) -> dict:
    return json.loads((repo / "metrics/splits.json").read_text())


def counted(repo) -> dict:
    return json.loads((repo / "results/splits.json").read_text())


def test_the_metrics_record_that_no_string_is_shared(repo):
    assert recorded(repo) == {"shared": 0}
    at_8 = counted(repo)  # TINY: 1,000 training draws of 8 bits, 32 validation and 32 held-out
    assert at_8["training"]["distinct"] <= 256 - 64
    assert at_8["heldout"]["distinct"] == 32  # at one length, distinct strings

    params = read_params(repo)
    params["data"].update(seq_len=10, min_len=1, validation_count=255)
    params["evaluate"]["heldout_count"] = 255
    write_params(repo, params)
    dvc(repo, "repro")
    assert recorded(repo) == {"shared": 0}
    assert counted(repo)["heldout"] == {"count": 255, "distinct": 255, "shared_with_training": 0}  # the whole split


def test_a_heldout_set_larger_than_its_split_is_refused(repo):
    before = recorded(repo)
    params = read_params(repo)
    params["data"]["seq_len"] = 10
    params["evaluate"]["heldout_count"] = 500
    write_params(repo, params)
    result = dvc(repo, "repro", check=False)
    assert result.returncode != 0
    assert "error: params.yaml: evaluate.heldout_count 500 does not fit: at data.seq_len 10 the held-out set " \
           "draws from 128 strings kept from training (an eighth of a length's strings, 8,388,608 at most); at " \
           "most 128, or data.seq_len 12 or more" in result.stderr
    assert recorded(repo) == before
