"""What a command does with an error: a user's error is one line and exit 2; a bug keeps its traceback."""
from __future__ import annotations

import errno

import pytest

from lstm_parity import cli, params
from lstm_parity.errors import DataError, ParamsError, UsageError
from tests.conftest import PROJECT


@pytest.mark.parametrize("error", [ParamsError("params.yaml: bad"), DataError("x.npy: bad"), UsageError("bad")])
def test_user_errors_are_one_line_and_exit_2(capsys, error):
    def main(argv):
        raise error

    assert cli.run(main) == 2
    assert capsys.readouterr().err == f"error: {error}\n"


def test_other_errors_are_bugs_and_propagate():
    def main(argv):
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        cli.run(main)


def test_success_passes_the_exit_status_through():
    assert cli.run(lambda argv: 0, ["x"]) == 0


def test_a_command_is_held_to_the_params_it_read_not_to_what_its_process_read_before(tmp_path, capsys):
    """A process that read a params file before (a test, the cell runner) and saw it rewritten since: a
    command that did not read it still succeeds; one whose own file changes while it runs fails."""
    text = (PROJECT / "params.yaml").read_text()
    before, own = tmp_path / "before.yaml", tmp_path / "own.yaml"
    before.write_text(text)
    own.write_text(text)
    params.load(before)
    before.write_text(text.replace("units: 4", "units: 5"))

    def reads_its_own(argv):
        params.load(own)
        return 0

    def edited_while_it_runs(argv):
        params.load(own)
        own.write_text(text.replace("units: 4", "units: 6"))
        return 0

    assert cli.run(reads_its_own) == 0
    assert cli.run(edited_while_it_runs) == 2
    assert capsys.readouterr().err.startswith("error: own.yaml changed while this stage ran (train.units: 4 -> 6)")


def test_the_machines_failures_and_ctrl_c_are_one_line_too(capsys):
    def full(argv):
        raise OSError(errno.ENOSPC, "No space left on device", "data/train/bits.npy")

    def interrupted(argv):
        raise KeyboardInterrupt

    def forbidden(argv):
        raise PermissionError(errno.EACCES, "Permission denied", "models/model.keras")

    assert cli.run(full) == cli.run(interrupted) == cli.run(forbidden) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "error: data/train/bits.npy: no space left on the device; free some space and run again (a write "
        "stopped there leaves the previous output, or none)",
        "error: interrupted; every output is replaced only once complete, so each is the previous one or the "
        "new one: run again",
        "error: models/model.keras: Permission denied"]


def test_a_newline_in_a_name_cannot_start_a_second_line(capsys):
    def main(argv):
        raise DataError("bits\nerror: forged.npy: not found")

    assert cli.run(main) == 2
    assert capsys.readouterr().err == "error: bits\\nerror: forged.npy: not found\n"
