"""The params check: a stamp when params.yaml passes, an error and no stamp when it does not."""
from __future__ import annotations

from stages import check_params
from tests.conftest import PROJECT, run_stage


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
