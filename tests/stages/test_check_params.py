"""The params check: a stamp when params.yaml passes, an error and no stamp when it does not."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from stages import check_params
from tests.conftest import PROJECT, run_stage
from tests.unit.test_safe_yaml import ALIAS_BOMB


def test_good_params_write_the_stamp(tmp_path):
    stamp = tmp_path / "checked/params.ok"
    assert check_params.main(["--params", str(PROJECT / "params.yaml"), "--stamp", str(stamp)]) == 0
    assert stamp.read_text() == check_params.STAMP_TEXT


def test_bad_params_leave_no_stamp_and_say_why(tmp_path):
    (tmp_path / "params.yaml").write_text((PROJECT / "params.yaml").read_text().replace("units: 4", "units: four"))
    result = run_stage("check_params", "--params", str(tmp_path / "params.yaml"), "--stamp",
                       str(tmp_path / "params.ok"))
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path / 'params.yaml'}: train.units must be an integer, got 'four'\n"
    assert not (tmp_path / "params.ok").exists()


def test_a_missing_section_is_named_before_anything_else(tmp_path):
    text = (PROJECT / "params.yaml").read_text()
    (tmp_path / "params.yaml").write_text(text[:text.index("evaluate:")])
    result = run_stage("check_params", "--params", str(tmp_path / "params.yaml"), "--stamp",
                       str(tmp_path / "params.ok"))
    assert result.stderr == f"error: {tmp_path / 'params.yaml'}: missing section evaluate\n"


def edited(tmp_path, old: str, new: str) -> Path:
    text = (PROJECT / "params.yaml").read_text()
    assert old in text
    (tmp_path / "params.yaml").write_text(text.replace(old, new))
    return tmp_path / "params.yaml"


@pytest.mark.parametrize("old, new, message", [
    ("count: 100000", "count: 1000000000000", r"the data sets .* need [0-9.]+ TB of disk"),
    ("count: 100000", "count: " + "1" + "0" * 100, r"need .* of disk, and the disk holding"),
    ("lengths: [100, 1000]", "lengths: [100, 1000000000]", r"need [0-9.]+ TB of disk"),
    ("  count: 100\n  length: 100", "  count: 1000000000000\n  length: 100", r"the explain stage .* needs about"),
    ("  count: 100\n  length: 100", "  count: 100\n  length: 1000000000", r"the explain stage .* needs about"),
    ("batch_size: 128", "batch_size: 1000000000", r"train.batch_size must be at most data.count"),
])
def test_params_that_would_fill_the_disk_or_the_memory_are_refused_first(tmp_path, old, new, message):
    """Counts and lengths a few zeros too long end here, in a second and one line with the numbers, before
    any set is written or any stage holds anything."""
    params_file = edited(tmp_path, old, new)
    started = time.monotonic()
    result = run_stage("check_params", "--params", str(params_file), "--stamp", str(tmp_path / "params.ok"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert result.stderr.startswith(f"error: {params_file}: ")
    assert time.monotonic() - started < 10 and not (tmp_path / "params.ok").exists()


def test_a_batch_and_count_of_a_billion_need_more_memory_than_the_machine(tmp_path):
    text = (PROJECT / "params.yaml").read_text().replace("count: 100000", "count: 1000000000")
    (tmp_path / "params.yaml").write_text(text.replace("batch_size: 128", "batch_size: 1000000000"))
    result = run_stage("check_params", "--params", str(tmp_path / "params.yaml"), "--stamp",
                       str(tmp_path / "params.ok"))
    assert result.returncode == 2 and re.search(r"(the train stage .* needs about|of disk)", result.stderr)


@pytest.mark.parametrize("text, message", [
    (ALIAS_BOMB, r"params\.yaml: line 1: an anchor \(&a\)"),
    ((PROJECT / "params.yaml").read_text().replace("  epochs: 10\n", "  epochs: 2\n  epochs: 1000000\n"),
     r"params\.yaml: line \d+: key 'epochs' is written twice"),
])
def test_the_yaml_reader_refuses_aliases_and_repeated_keys(tmp_path, text, message):
    (tmp_path / "params.yaml").write_text(text)
    started = time.monotonic()
    result = run_stage("check_params", "--params", str(tmp_path / "params.yaml"), "--stamp",
                       str(tmp_path / "params.ok"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and re.search(message, result.stderr)
    assert time.monotonic() - started < 10


def test_params_pointing_at_an_endless_device_are_read_with_a_bound(tmp_path):
    (tmp_path / "params.yaml").symlink_to("/dev/zero")
    result = run_stage("check_params", "--params", str(tmp_path / "params.yaml"), "--stamp",
                       str(tmp_path / "params.ok"))
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path / 'params.yaml'}: more than 1,048,576 bytes; a params or grid " \
                            f"file is a few kilobytes\n"


def test_an_output_linked_out_of_the_repository_is_refused_before_any_stage(tmp_path):
    """DVC removes a stage's outputs before running it, following a link; a link out of the repository is
    refused by the first stage, and what it leads to is left as it was."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir(mode=0o755)
    (outside / "keep.txt").write_text("not the project's\n")
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(PROJECT / name, repo / name)
    shutil.copytree(PROJECT / "stages", repo / "stages", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "data").mkdir()
    (repo / "data/train").symlink_to(outside)
    result = run_stage("check_params", "--stamp", "checked/params.ok", cwd=repo)
    assert result.returncode == 2
    assert result.stderr == f"error: data/train is a link to {outside}, outside the repository; DVC would remove " \
                            f"what it leads to before writing there: make it a folder of the repository\n"
    assert (outside / "keep.txt").read_text() == "not the project's\n" and (outside.stat().st_mode & 0o777) == 0o755


def test_a_chain_of_links_out_of_the_repository_is_refused(tmp_path):
    """data is a link to a folder of the repository, and that folder's train a link out of it: the first
    link leads inside, the path does not."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(PROJECT / name, repo / name)
    shutil.copytree(PROJECT / "stages", repo / "stages", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "elsewhere").mkdir()
    (repo / "elsewhere/train").symlink_to(outside)
    (repo / "data").symlink_to(repo / "elsewhere")
    result = run_stage("check_params", "--stamp", "checked/params.ok", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: data/train is a link to {outside}, outside the repository"), result.stderr
