"""What a command does with an error: a user's error is one line and exit 2; a bug keeps its traceback."""
from __future__ import annotations

import pytest

from lstm_parity import cli
from lstm_parity.errors import DataError, ParamsError, UsageError


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
