"""What every command does with a failure it can name: one line on stderr, `error: ...`, and exit status 2.

That covers the errors a user can cause (lstm_parity.errors: a bad param, a damaged file, a bad argument),
the machine's (a full disk, a file it may not write, memory), and Ctrl-C. A stage that ran also checks
that params.yaml still holds what it read before it exits 0 (lstm_parity.params.assert_unchanged). Any
other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

import errno
import sys
from collections.abc import Callable

from lstm_parity import params
from lstm_parity.errors import UserError


def one_line(text: str) -> str:
    """The text with its control characters escaped (a newline in a file name would otherwise start a
    second line that reads as another message)."""
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in text)


def os_error_text(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    if error.errno == errno.ENOSPC:
        return f"{where}no space left on the device; free some space and run again (a write stopped there " \
               f"leaves the previous output, or none)"
    return f"{where}{error.strerror or error}"


def run(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    params.forget_reads()
    try:
        status = main(argv)
        if status == 0:
            params.assert_unchanged()
        return status
    except UserError as error:
        message = str(error)
    except OSError as error:
        message = os_error_text(error)
    except MemoryError:
        message = "out of memory; smaller params (or a machine with more memory) are needed"
    except KeyboardInterrupt:
        message = ("interrupted; every output is replaced only once complete, so each is the previous one or "
                   "the new one: run again")
    print(f"error: {one_line(message)}", file=sys.stderr)
    return 2
