"""tools/check_python.py, which the quick start runs first: it accepts exactly requires-python's versions."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib

from packaging.specifiers import SpecifierSet

from tests.conftest import PROJECT

SCRIPT = PROJECT / "tools" / "check_python.py"


def load_script():
    spec = importlib.util.spec_from_file_location("check_python", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_its_range_is_requires_python():
    requires = SpecifierSet(tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["requires-python"])
    low, high = load_script().supported_range()
    assert [minor for minor in range(20) if f"3.{minor}" in requires] == list(range(low, high))


def test_it_accepts_this_python_silently():
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
