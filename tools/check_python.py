"""Exit with one line naming the supported Pythons unless this interpreter is one of them.

The quick start runs it first, with whatever `python3` is, so it keeps to syntax every Python 3 reads
(no f-strings). The bounds are read from pyproject.toml's requires-python, written there once."""
import os
import re
import sys

PYPROJECT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "pyproject.toml")


def supported_range():
    """(lowest, first unsupported) minor versions of Python 3, from requires-python = ">=3.A,<3.B"."""
    with open(PYPROJECT) as pyproject:
        match = re.search(r'^requires-python = ">=3\.(\d+),<3\.(\d+)"$', pyproject.read(), re.MULTILINE)
    if match is None:
        sys.exit('error: pyproject.toml: requires-python is not of the form ">=3.A,<3.B"')
    return int(match.group(1)), int(match.group(2))


def main():
    low, high = supported_range()
    names = ["3.%d" % minor for minor in range(low, high)]
    if sys.version_info[0] != 3 or not low <= sys.version_info[1] < high:
        sys.exit("error: this project needs Python %s or %s; %s is Python %d.%d"
                 % (", ".join(names[:-1]), names[-1], sys.executable, sys.version_info[0], sys.version_info[1]))


if __name__ == "__main__":
    main()
