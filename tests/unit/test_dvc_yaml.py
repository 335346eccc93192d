"""dvc.yaml against the code: every stage lists exactly the project modules it imports and the params
keys it reads."""
from __future__ import annotations

import ast
import dataclasses
import importlib
import re
from pathlib import Path

import yaml

from stages import params
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


class ReadRecorder:
    """Stands in for Params or one of its sections and notes every key read through it."""

    def __init__(self, value, prefix: str, read: set[str]):
        self._value, self._prefix, self._read = value, prefix, read

    def __getattr__(self, name: str):
        value = getattr(self._value, name)
        if dataclasses.is_dataclass(value):
            return ReadRecorder(value, f"{self._prefix}{name}.", self._read)
        self._read.add(f"{self._prefix}{name}")
        return value


def stage_arguments(root: Path, tiny_run: Path) -> dict[str, list[str]]:
    """Each stage that reads params, with arguments that make it run on tiny inputs under root."""
    model = tiny_run / "a/model.keras"
    return {
        "generate_train": ["train", "--out", str(root / "train")],
        "generate_heldout": ["heldout", "--out", str(root / "heldout")],
        "generate_lengths": ["lengths", "--out", str(root / "lengths")],
        "train": ["--data", str(tiny_run / "train"), "--model", str(root / "model.keras"),
                  "--metrics", str(root / "train.json"), "--history", str(root / "curve.csv")],
        "evaluate": ["--model", str(model), "--heldout", str(root / "heldout"), "--lengths",
                     str(root / "lengths"), "--metrics", str(root / "eval.json"), "--plot", str(root / "plot.json")],
    }


def test_every_stage_lists_exactly_the_params_it_reads(tiny_run, tmp_path, monkeypatch):
    """A key a stage reads but DVC does not track would leave a stale result after the key changes;
    a key tracked but never read reruns the stage for nothing. Each stage runs here in-process on tiny
    inputs, with params.load handing out a recorder of the keys read."""
    tiny = params.load(tiny_run / "params.yaml")
    read: set[str] = set()
    monkeypatch.setattr(params, "load", lambda path=None: ReadRecorder(tiny, "", read))
    declared = dict(stages())
    arguments = stage_arguments(tmp_path, tiny_run)
    assert {name for name, stage in declared.items() if "params" in stage} == set(arguments)
    for name, argv in arguments.items():  # in dvc.yaml's order: generated sets before evaluate reads them
        read.clear()
        module = importlib.import_module(re.search(r"python -m (stages\.\w+)", declared[name]["cmd"]).group(1))
        assert module.main(argv) == 0
        assert sorted(declared[name]["params"]) == sorted(read), name


def test_the_params_check_depends_on_the_whole_file():
    assert "params.yaml" in dict(stages())["check_params"]["deps"]
