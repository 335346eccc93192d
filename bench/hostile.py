"""Every hostile input and unlucky timing of issue 23, run against the project's current code (never a test).
For each case: its exit status, the first `error:` line it printed, and the peak memory and wall time
before the refusal.
Run from the project root, with the project's environment active:

    python bench/hostile.py run                  # every case, a few minutes; writes bench/results/hostile.json
    python bench/hostile.py run --only model-    # the cases whose name starts with model-
    python bench/hostile.py table                # the docs' table, from bench/results/hostile.json only

The working tree is copied once (every file git tracks or would track, committed or not) and each case runs
in its own git repository made from that copy; what several cases only read (a model file built by
build_model and save_model in a process of its own, and the data sets the generate stages' commands write
on the tests' tiny params) is made once. A stage runs as dvc.yaml's command, its inputs from those, its
outputs where the case puts them (a full disk). `dvc repro` only ever runs on the tests' tiny params
(tests/conftest.py's TINY); the default params reach check_params alone.

Each command runs under a small Python that starts it with subprocess and reports
resource.getrusage(RUSAGE_CHILDREN): the command's peak RSS, never this process's (a child forked from a
big parent counts the parent's pages). RUSAGE_CHILDREN is the largest single process of the command's
tree, not their sum: for `dvc repro` it is the largest of dvc and the stages it ran. The command runs in
a session of its own under a time limit (and, for DVC's read of the alias bomb, 8 GB of address space):
past it, the whole tree is killed and the row says "killed at limit"; the stages a killed dvc leaves are
not counted. Ctrl-C is SIGINT to the command's process group, as a terminal sends it.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import functools
import importlib.util
import itertools
import json
import marshal
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import yaml

from lstm_parity.files import write_json
from lstm_parity.pipeline import declared_paths
from lstm_parity.processes import child_env, git_output
from lstm_parity.provenance import MEASURED_FILES, machine, measured_line, versions

PROJECT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DVC = str(Path(sys.executable).parent / "dvc")
TIMEOUT_S = 120
DVC_MEMORY = 8 << 30  # DVC's own read of the alias bomb grows until killed: the machine must survive it
MESSAGE_CHARS = 200
CONFIG_CHUNK = 16 << 20
CONFIG_CHUNKS = 250  # 250 x 16 MiB of spaces: a 3.9 GB config.json, about 4 MB deflated
PLACEHOLDER = "HOSTILE_VALUE"
# A case's own files, in its repository and named relative to it, so that the messages quoting them are short.
HOSTILE_PARAMS = "hostile.yaml"
CRAFTED_MODEL = "crafted.keras"

# The command's runner: its peak RSS and wall time into the report file, its output left to the caller.
# SIGINT to this runner reaches the command's whole process group, as Ctrl-C in a terminal would.
MEASURE = """
import json, os, resource, signal, subprocess, sys, time
report, timeout_s, memory = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
def limit():
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
start = time.monotonic()
command = subprocess.Popen(sys.argv[4:], preexec_fn=limit, start_new_session=True)
signal.signal(signal.SIGINT, lambda *_: os.killpg(command.pid, signal.SIGINT))
try:
    status, killed = command.wait(timeout_s), False
except subprocess.TimeoutExpired:
    os.killpg(command.pid, signal.SIGKILL)
    status, killed = command.wait(), True
wall_s = time.monotonic() - start
with open(report, "w") as out:
    json.dump({"status": status, "killed": killed, "wall_s": wall_s,
               "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, out)
"""


def tiny_params(worktree: Path) -> dict:
    """The tests' tiny params (one definition of them: tests/conftest.py's), read from the copied tree."""
    spec = importlib.util.spec_from_file_location("hostile_conftest", worktree / "tests" / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    return copy.deepcopy(conftest.TINY)


# Copies of the project

def git(repo: Path, *args: str) -> str:
    return git_output(repo, "-c", "user.email=bench@example.com", "-c", "user.name=bench", *args)


def copy_worktree(path: Path) -> Path:
    """Every file of the working tree that git tracks or would track, committed or not, as it is now."""
    names = git_output(PROJECT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in filter(None, names):
        source = PROJECT / name
        if source.is_file():  # a tracked file deleted in the working tree is listed too
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path / name)
    return path


def project_repo(worktree: Path, path: Path, params: dict | None = None) -> Path:
    """A new git repository holding the copied working tree (on `params` when given), committed."""
    shutil.copytree(worktree, path)
    if params is not None:
        write_yaml(path / "params.yaml", params)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "the project's working tree")
    return path


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def with_values(params: dict, values: dict) -> dict:
    """params with each dotted key of `values` ("data.count") set."""
    changed = copy.deepcopy(params)
    for key, value in values.items():
        section, name = key.split(".")
        changed[section][name] = value
    return changed


def params_text(params: dict, key: str, raw: str) -> str:
    """params as YAML text, with the line of `key` replaced by `raw`: what a dict cannot hold (anchors, a key
    written twice)."""
    name = key.split(".")[1]
    text = yaml.safe_dump(with_values(params, {key: PLACEHOLDER}), sort_keys=False)
    line = f"  {name}: {PLACEHOLDER}\n"
    assert text.count(line) == 1, line
    return text.replace(line, raw)


def alias_bomb(indent: str) -> str:
    """Nine anchors, each a list of nine aliases of the one before: 9**9 (387 million) leaves once expanded,
    from a few hundred bytes of YAML."""
    names = "abcdefghi"
    lines = [f"{indent}- &a [{', '.join('x' * 9)}]"]
    lines += [f"{indent}- &{name} [{', '.join([f'*{before}'] * 9)}]" for before, name in itertools.pairwise(names)]
    return "\n".join(lines) + "\n"


COUNT_BOMB = "  count:\n" + alias_bomb("    ")  # data.count's line, as a bomb


def run_setup(argv: list[str], cwd: Path) -> None:
    """A command that makes a case's inputs: it must succeed."""
    result = subprocess.run(argv, cwd=cwd, env=child_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} failed ({result.returncode}):\n{result.stdout[-2000:]}"
                         f"{result.stderr[-2000:]}")


def stage_argv(repo: Path, stage: str, paths: dict[str, str]) -> list[str]:
    """dvc.yaml's command for `stage`, each `${paths.name}` in it replaced by paths[name]."""
    command = read_yaml(repo / "dvc.yaml")["stages"][stage]["cmd"]
    for name, path in paths.items():
        command = command.replace(f"${{paths.{name}}}", path)
    return shlex.split(command)


class Inputs:
    """What several cases read and none changes, each made on first use: a repository on tiny params, a
    model file of the real architecture at its model path, and the data sets its generate stages write."""

    def __init__(self, worktree: Path, root: Path):
        self.worktree, self.root = worktree, root

    @functools.cached_property
    def tiny(self) -> dict:
        return tiny_params(self.worktree)

    @functools.cached_property
    def repo(self) -> Path:
        return project_repo(self.worktree, self.root / "inputs", self.tiny)

    @functools.cached_property
    def model(self) -> Path:
        """build_model(4) saved by save_model, in a process of its own: this one never imports Keras."""
        path = self.repo / declared_paths(self.repo)["model"]
        run_setup([PYTHON, "-c", "import sys; from pathlib import Path; from lstm_parity.model import build_model, "
                                 "save_model; save_model(build_model(4), Path(sys.argv[1]))", str(path)], self.repo)
        return path

    @functools.cached_property
    def sets(self) -> Path:
        """The repository, its data sets written by its generate stages' commands (on tiny params) and the
        model in place: every input of train, evaluate and explain."""
        paths = declared_paths(self.repo)
        for stage in read_yaml(self.repo / "dvc.yaml")["stages"]:
            if stage.startswith("generate_"):
                run_setup(stage_argv(self.repo, stage, paths), self.repo)
        assert self.model.exists()
        return self.repo


# Cases

@dataclass
class Where:
    """A case's own place: its repository, a scratch folder beside it, the shared inputs, and what to undo."""
    repo: Path
    scratch: Path
    inputs: Inputs
    cleanup: contextlib.ExitStack


@dataclass(frozen=True)
class Command:
    argv: list[str | bytes]
    env: dict[str, str] = field(default_factory=dict)   # on top of the project's child environment
    timeout_s: float = TIMEOUT_S
    memory: int = 0                                     # bytes of address space (ulimit -v); 0: no limit
    meanwhile: Callable[[subprocess.Popen], str] | None = None  # acts on the running command; returns a note


class Skipped(Exception):
    """This machine cannot set the case up (a mount needs root): the row says why."""


@dataclass(frozen=True)
class Case:
    name: str
    item: int                                 # the item of issue 23 it reproduces
    prepare: Callable[[Where], Command]


def check_params(params_file: str | None, where: Where) -> Command:
    """check_params as dvc.yaml runs it, on `params_file` when given (else params.yaml)."""
    params = [] if params_file is None else ["--params", params_file]
    return Command([PYTHON, "-m", "stages.check_params", "--stamp", declared_paths(where.repo)["stamp"], *params])


def checked_values(values: dict) -> Callable[[Where], Command]:
    """check_params on the repository's params.yaml with `values` set."""
    def prepare(where: Where) -> Command:
        write_yaml(where.repo / HOSTILE_PARAMS, with_values(read_yaml(where.repo / "params.yaml"), values))
        return check_params(HOSTILE_PARAMS, where)
    return prepare


def hostile_params(key: str, raw: str, command: Callable[[str, Where], Command]) -> Callable[[Where], Command]:
    """`command` on a copy of the repository's params.yaml whose `key` line is `raw`."""
    def prepare(where: Where) -> Command:
        (where.repo / HOSTILE_PARAMS).write_text(params_text(read_yaml(where.repo / "params.yaml"), key, raw))
        return command(HOSTILE_PARAMS, where)
    return prepare


def params_command(params_file: str, where: Where) -> Command:
    return Command([PYTHON, "-m", "lstm_parity", "params", "--params", params_file])


def sweep_run(name: str, text: str) -> Callable[[Where], Command]:
    """`lstm-parity sweep run` on a grid file holding `text`."""
    def prepare(where: Where) -> Command:
        (where.repo / f"{name}.yaml").write_text(text)
        return Command([PYTHON, "-m", "lstm_parity", "sweep", "run", "--grid", f"{name}.yaml"])
    return prepare


def huge_grid() -> str:
    """Six keys of a hundred values each, listed: 10**12 points from 2 KB."""
    keys = ["data.seed", "train.seed", "evaluate.seed", "explain.seed", "train.epochs", "train.check_every"]
    values = ",".join(str(value) for value in range(1, 101))
    return "overrides:\n" + "".join(f"  - {key}={values}\n" for key in keys)


def dvc_repro_on_bomb(where: Where) -> Command:
    (where.repo / "params.yaml").write_text(params_text(where.inputs.tiny, "data.count", COUNT_BOMB))
    return Command([DVC, "repro"], memory=DVC_MEMORY)


def edited_mid_train(where: Where) -> Command:
    """`dvc repro` on tiny params with train.epochs raised (about 10 s of training); train.learning_rate is
    edited once the new run's training log holds three lines, as tests/pipeline/test_hostile.py does."""
    params_file = where.repo / "params.yaml"
    write_yaml(params_file, with_values(where.inputs.tiny, {"train.epochs": 60}))
    live_loss = where.repo / declared_paths(where.repo)["train_live"] / "plots" / "metrics" / "loss.tsv"
    live_loss.unlink(missing_ok=True)  # the committed log: the new run's own log appearing means train runs

    def edit(repro: subprocess.Popen) -> str:
        deadline = time.monotonic() + TIMEOUT_S
        while not live_loss.exists() or len(live_loss.read_text().splitlines()) < 3:
            if repro.poll() is not None or time.monotonic() > deadline:
                return "train ended or never logged: params.yaml was not edited"
            time.sleep(0.1)
        write_yaml(params_file, with_values(read_yaml(params_file), {"train.learning_rate": 0.02}))
        return ""
    return Command([DVC, "repro"], timeout_s=2 * TIMEOUT_S, meanwhile=edit)


def crafted_model(where: Where, write_config: Callable[[bytes, BinaryIO], None]) -> Command:
    """predict on the real model file with its config.json replaced by what write_config(the real config,
    stream) writes, streamed into the zip (deflated, zip64: it may be gigabytes)."""
    with zipfile.ZipFile(where.inputs.model) as real, \
            zipfile.ZipFile(where.repo / CRAFTED_MODEL, "w", zipfile.ZIP_DEFLATED) as out:
        for name in real.namelist():
            if name != "config.json":
                out.writestr(name, real.read(name))
                continue
            with out.open(name, "w", force_zip64=True) as config:
                write_config(real.read(name), config)
    return predict(CRAFTED_MODEL, "1011")


def changed_config(change: Callable[[dict], None]) -> Callable[[bytes, BinaryIO], None]:
    """A config writer: the real config with change(config) applied in place."""
    def write_config(real: bytes, stream: BinaryIO) -> None:
        config = json.loads(real)
        change(config)
        stream.write(json.dumps(config).encode())
    return write_config


def predict(model: Path | str, *argv: str | bytes) -> Command:
    return Command([PYTHON, "-m", "lstm_parity", "predict", *argv, "--model", str(model)])


def layer(config: dict, class_name: str) -> dict:
    return next(item for item in config["config"]["layers"] if item["class_name"] == class_name)


def marker(where: Where) -> Path:
    """The file a crafted model's code would create, were it ever run."""
    return where.scratch / "code-ran"


def lambda_layer(where: Where) -> Command:
    """A Lambda layer after BitPairs whose function, as Keras serialises one, runs `touch` through os.system."""
    source = f"lambda x: __import__('os').system('touch {marker(where)}') or x"
    code = compile(source, "<crafted>", "eval").co_consts[0]  # the lambda's code object, never run here
    function = {"class_name": "__lambda__",
                "config": {"code": base64.b64encode(marshal.dumps(code)).decode(), "defaults": None, "closure": None}}
    lambda_config = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                     "config": {"name": "lambda", "trainable": True, "function": function, "arguments": {}}}
    return crafted_model(where, changed_config(lambda config: config["config"]["layers"].insert(2, lambda_config)))


def os_system_activation(where: Where) -> Command:
    activation = {"module": "os", "class_name": "system", "config": f"touch {marker(where)}"}
    return crafted_model(where, changed_config(lambda config: layer(config, "LSTM")["config"].update(
        activation=activation)))


def units_model(where: Where) -> Command:
    """The real config's text with the LSTM's units raised: 4 KB of file declaring 20,000 units."""
    def write_config(real: bytes, stream: BinaryIO) -> None:
        assert real.count(b'"units": 4') == 1
        stream.write(real.replace(b'"units": 4', b'"units": 20000'))
    return crafted_model(where, write_config)


def spaces_config(real: bytes, stream: BinaryIO) -> None:
    """A config.json of 3.9 GB of spaces between braces, written in chunks."""
    chunk = b" " * CONFIG_CHUNK
    stream.write(b"{")
    for _ in range(CONFIG_CHUNKS):
        stream.write(chunk)
    stream.write(b"}")


def link_out(where: Where) -> Command:
    outside = where.scratch / "outside"
    outside.mkdir()
    (where.repo / declared_paths(where.repo)["train_set"]).symlink_to(outside, target_is_directory=True)
    return check_params(None, where)


def params_to_dev_zero(where: Where) -> Command:
    (where.repo / "params.yaml").unlink()
    (where.repo / "params.yaml").symlink_to("/dev/zero")
    return check_params(None, where)


def full_disk(where: Where) -> Path:
    """A 1 MB tmpfs mounted in the scratch folder and filled: files can be made there, not written."""
    mount = where.scratch / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        raise Skipped(f"cannot mount a small filesystem here (root needed): {mounted.stderr.strip()}")
    where.cleanup.callback(subprocess.run, ["umount", str(mount)], check=True)
    with open(mount / "filler", "wb") as filler, contextlib.suppress(OSError):
        while True:
            filler.write(b"\0" * 65536)
    return mount


def tiny_stage(where: Where, stage: str, out: Path) -> Command:
    """dvc.yaml's command for `stage` on tiny params in the case's repository: each path the stage depends on
    from the shared inputs, each other path (what it writes) under `out`."""
    write_yaml(where.repo / "params.yaml", where.inputs.tiny)
    deps = read_yaml(where.repo / "dvc.yaml")["stages"][stage].get("deps", [])
    paths = {name: str(where.inputs.sets / declared if f"${{paths.{name}}}" in deps
                       else out / (name + Path(declared).suffix))
             for name, declared in declared_paths(where.repo).items()}
    return Command(stage_argv(where.repo, stage, paths))


def stage_on_full_disk(stage: str) -> Callable[[Where], Command]:
    return lambda where: tiny_stage(where, stage, full_disk(where))


def interrupted_train(where: Where) -> Command:
    out = where.scratch / "out"

    def interrupt(train: subprocess.Popen) -> str:
        # Once training logs its first check it is fitting (a fixed wait missed it: the tiny run is done in ~4 s).
        deadline = time.monotonic() + 120
        while not (out / "train_live").exists() and train.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        train.send_signal(signal.SIGINT)
        return ""
    return replace(tiny_stage(where, "train", out), meanwhile=interrupt)


def other_backend(where: Where) -> Command:
    return replace(tiny_stage(where, "train", where.scratch / "out"), env={"KERAS_BACKEND": "jax"})


def endless_whitespace(where: Where) -> Command:
    predict_argv = [PYTHON, "-m", "lstm_parity", "predict", "-", "--model", str(where.inputs.model)]
    return Command(["bash", "-c", f"yes ' ' | {shlex.join(predict_argv)}"])


CASES = [
    Case("edit-mid-train", 1, edited_mid_train),
    Case("bound-data-count-1e12", 2, checked_values({"data.count": 10**12})),
    Case("bound-data-count-1e100", 2, checked_values({"data.count": 10**100})),
    Case("bound-evaluate-count-1e12", 2, checked_values({"evaluate.count": 10**12})),
    Case("bound-evaluate-lengths-1e9", 2, checked_values({"evaluate.lengths": [10**9]})),
    Case("bound-explain-count-1e12", 2, checked_values({"explain.count": 10**12})),
    Case("bound-explain-length-1e9", 2, checked_values({"explain.length": 10**9})),
    Case("bound-count-and-batch-1e9", 2, checked_values({"data.count": 10**9, "train.batch_size": 10**9})),
    Case("alias-bomb-check-params", 3, hostile_params("data.count", COUNT_BOMB, check_params)),
    Case("alias-bomb-params-command", 3, hostile_params("data.count", COUNT_BOMB, params_command)),
    Case("alias-bomb-grid", 3, sweep_run("bomb", "overrides:\n" + alias_bomb("  "))),
    Case("grid-1e12-points", 3, sweep_run("huge", huge_grid())),
    Case("alias-bomb-dvc-repro", 3, dvc_repro_on_bomb),
    Case("duplicate-key", 4, hostile_params("train.epochs", "  epochs: 2\n  epochs: 1000000\n", check_params)),
    Case("model-20000-units", 5, units_model),
    Case("model-config-3.9GB", 5, lambda where: crafted_model(where, spaces_config)),
    Case("model-lambda-os-system", 5, lambda_layer),
    Case("model-activation-os-system", 5, os_system_activation),
    Case("output-link-out", 6, link_out),
    *(Case(f"full-disk-{stage}", 7, stage_on_full_disk(stage)) for stage in ("generate_heldout", "train",
                                                                              "evaluate", "explain")),
    Case("ctrl-c-train", 7, interrupted_train),
    Case("keras-backend-jax", 7, other_backend),
    Case("predict-non-utf8", 7, lambda where: predict(where.inputs.model, b"10\xff1")),
    Case("params-dev-zero", 7, params_to_dev_zero),
    Case("predict-endless-whitespace", 7, endless_whitespace),
    Case("newline-in-file-name", 7, lambda where: check_params("bad\nname.yaml", where)),
]


# Measuring

def measure(command: Command, cwd: Path) -> tuple[dict, str, str, str]:
    """The command run under MEASURE: (its report, its stdout, its stderr, the note `meanwhile` returned)."""
    report, out, err = (cwd.parent / name for name in ("usage.json", "stdout", "stderr"))
    with out.open("wb") as stdout, err.open("wb") as stderr:  # files, not pipes: dvc's output never stalls it
        runner = subprocess.Popen([PYTHON, "-c", MEASURE, str(report), str(command.timeout_s), str(command.memory),
                                   *command.argv], cwd=cwd, env=child_env() | command.env,
                                  stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        note = command.meanwhile(runner) if command.meanwhile else ""
        runner.wait()
    text = [path.read_bytes().decode("utf-8", errors="replace") for path in (out, err)]
    return json.loads(report.read_text()), *text, note


def row(case: Case, usage: dict, stdout: str, stderr: str, note: str, code_ran: bool) -> dict:
    lines = stderr.splitlines() + stdout.splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    last = next((line for line in reversed(lines) if line.strip()), "")
    message = errors[0] if errors else f"no error: line; the last: {last.strip()}" if last else "no output"
    notes = [note] if note else []
    if usage["killed"]:
        notes.append("killed at limit")
    if code_ran:
        notes.append("THE CRAFTED MODEL'S CODE RAN")
    return {"case": case.name, "item": case.item, "status": "killed" if usage["killed"] else usage["status"],
            "error_lines": len(errors), "stderr_lines": len(stderr.splitlines()),
            "peak_rss_mb": round(usage["peak_kb"] / 1024), "wall_s": round(usage["wall_s"], 1),
            "message": "; ".join([*notes, message])}


def run_case(case: Case, worktree: Path, inputs: Inputs, root: Path) -> dict:
    scratch = root / case.name
    repo = project_repo(worktree, scratch / "repo")
    with contextlib.ExitStack() as cleanup:
        where = Where(repo, scratch, inputs, cleanup)
        try:
            command = case.prepare(where)
        except Skipped as reason:
            return {"case": case.name, "item": case.item, "status": "skipped", "error_lines": 0, "stderr_lines": 0,
                    "peak_rss_mb": None, "wall_s": None, "message": str(reason)}
        usage, *output, note = measure(command, repo)
        stdout, stderr = (text.replace(str(root), "<tmp>") for text in output)  # short messages, alike each run
        return row(case, usage, stdout, stderr, note, marker(where).exists())


def provenance(inputs: Inputs) -> dict:
    """As lstm_parity.provenance.measured_on, for the working tree: its HEAD, whether it differs from it."""
    modified = bool(git_output(PROJECT, "status", "--porcelain", "--", *MEASURED_FILES))
    return {"commit": git_output(PROJECT, "rev-parse", "HEAD"), "modified": modified, "machine": machine(),
            "versions": versions(inputs.repo)}


def fixed_table(rows: list[dict]) -> str:
    """Markdown whose columns line up in a terminal too; each message cut to MESSAGE_CHARS."""
    columns = [("case", "case"), ("item", "item"), ("exit", "status"), ("error: lines", "error_lines"),
               ("stderr lines", "stderr_lines"), ("peak MB", "peak_rss_mb"), ("wall s", "wall_s"),
               ("first error: line", "message")]
    cells = [[name for name, _ in columns]]
    cells += [["-" if r[key] is None else str(r[key])[:MESSAGE_CHARS].replace("|", "\\|") for _, key in columns]
              for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |"
             for line in cells]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


RESULTS_FILE = PROJECT / "bench" / "results" / "hostile.json"


def markdown(results: dict) -> str:
    """The docs' table, from the results file alone: every case whole but its message cut."""
    command = "python bench/hostile.py run" + (f" --only {results['only']}" if results.get("only") else "")
    return "\n".join([measured_line(results["measured_on"], [command]), "", fixed_table(results["rows"])]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    run = modes.add_parser("run", help=f"run the cases; write {RESULTS_FILE.relative_to(PROJECT)} and print the table")
    run.add_argument("--only", metavar="CASE", help="run only the cases whose name starts with CASE")
    modes.add_parser("table", help=f"the docs' table, from {RESULTS_FILE.relative_to(PROJECT)} only")
    args = parser.parse_args(argv)
    if args.mode == "table":
        print(markdown(json.loads(RESULTS_FILE.read_text())), end="")
        return 0
    cases = [case for case in CASES if case.name.startswith(args.only or "")]
    if not cases:
        parser.error(f"no case starts with {args.only!r}; the cases: {' '.join(case.name for case in CASES)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        root = Path(scratch)
        worktree = copy_worktree(root / "worktree")
        inputs = Inputs(worktree, root)
        for case in cases:
            rows.append(run_case(case, worktree, inputs, root))
            print(f"{case.name}: exit {rows[-1]['status']}", flush=True)
        measured = provenance(inputs)
    results = {"measured_on": measured, "only": args.only, "rows": rows}
    write_json(RESULTS_FILE, results)
    print()
    print(markdown(results), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
