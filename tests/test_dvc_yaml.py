"""dvc.yaml against the code: every stage lists exactly the project modules its command imports."""
from __future__ import annotations

import ast
import re

import yaml

from tests.conftest import PROJECT


def imported_modules(module: str) -> set[str]:
    """The project modules `module` imports, directly or through others, at any depth in the file."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse((PROJECT / (name.replace(".", "/") + ".py")).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stages"):
                if node.module == "stages":  # from stages import cli, io
                    todo += [f"stages.{alias.name}" for alias in node.names]
                else:
                    todo.append(node.module)
            elif isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names if alias.name.startswith("stages.")]
    return seen


def stages():
    declared = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
    for name, stage in declared.items():
        yield name, stage.get("do", stage)


def test_every_stage_lists_exactly_the_modules_it_imports():
    for name, stage in stages():
        module = re.search(r"python -m (stages\.\w+)", stage["cmd"]).group(1)
        expected = {m.replace(".", "/") + ".py" for m in imported_modules(module)}
        listed = {d for d in stage["deps"] if isinstance(d, str) and d.startswith("stages/")}
        assert listed == expected, f"{name}: missing {sorted(expected - listed)}, extra {sorted(listed - expected)}"


def test_every_stage_that_reads_params_waits_for_the_check():
    """Otherwise DVC could delete that stage's outputs before the check rejects params.yaml."""
    for name, stage in stages():
        if "params" in stage:
            assert "${paths.stamp}" in stage["deps"], name
