"""dvc.yaml against the code: every stage lists exactly the project modules it imports and the params
keys it reads."""
from __future__ import annotations

import ast
import dataclasses
import importlib
import re
from pathlib import Path

import yaml

from lstm_parity import params
from tests.conftest import PROJECT

# The packages whose modules a stage may import: the library and the stages themselves.
PROJECT_PACKAGES = ("lstm_parity", "stages")


def module_file(name: str) -> Path | None:
    """The file of a project module or package, or None for a name that is neither (an attribute)."""
    for candidate in (PROJECT / (name.replace(".", "/") + ".py"), PROJECT / name.replace(".", "/") / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imported_modules(module: str) -> set[str]:
    """The project modules `module` imports, directly or through others, at any depth in the file; a
    package counts too (its __init__ runs), and `from package import name` counts name when it is a module."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or module_file(name) is None:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # its packages' __init__ run first
        for node in ast.walk(ast.parse(module_file(name).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT_PACKAGES:
                todo += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names if alias.name.split(".")[0] in PROJECT_PACKAGES]
    return seen


def dependency_files(module: str) -> set[str]:
    """What a stage running `module` must list under deps: every file it imports, packages' __init__
    files included (lstm_parity's checks the environment before anything else runs)."""
    return {module_file(name).relative_to(PROJECT).as_posix() for name in imported_modules(module)}


def stages():
    declared = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
    for name, stage in declared.items():
        yield name, stage.get("do", stage)


def stage_module(stage: dict) -> str:
    return re.search(r"python -m (stages\.\w+)", stage["cmd"]).group(1)


def test_stages_holds_only_the_modules_dvc_yaml_runs():
    """stages/ is the pipeline's entry points and nothing else: a module there no stage runs belongs in
    the library (lstm_parity/) or among the commands (lstm_parity/commands/)."""
    run = {stage_module(stage) for _, stage in stages()}
    present = {f"stages.{path.stem}" for path in (PROJECT / "stages").glob("*.py") if path.name != "__init__.py"}
    assert present == run, f"not run by any stage: {sorted(present - run)}; missing: {sorted(run - present)}"


def test_every_stage_lists_exactly_the_modules_it_imports():
    """A module a stage imports but DVC does not track would leave a stale output after it changes."""
    for name, stage in stages():
        expected = dependency_files(stage_module(stage))
        listed = {d for d in stage["deps"] if d.startswith(tuple(f"{p}/" for p in PROJECT_PACKAGES))}
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
                  "--live", str(root / "live"), "--results", str(root / "results")],
        "evaluate": ["--model", str(model), "--train", str(root / "train"), "--heldout", str(root / "heldout"),
                     "--lengths", str(root / "lengths"), "--results", str(root / "eval.json"), "--plot",
                     str(root / "plot.json"), "--splits", str(root / "splits.json")],
        "explain": ["--model", str(model), "--automaton", str(root / "automaton.json"),
                    "--states", str(root / "states.npz")],
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
        module = importlib.import_module(stage_module(declared[name]))
        assert module.main(argv) == 0
        assert sorted(declared[name]["params"]) == sorted(read), name


def test_the_params_check_depends_on_the_whole_file():
    assert "params.yaml" in dict(stages())["check_params"]["deps"]
