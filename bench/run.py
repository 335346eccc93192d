"""Benchmarks that print figures (never part of the test suite). Run from the project root, with the
project's environment active:

    python bench/run.py compare   # the post's script vs `dvc repro` from nothing, side by side
    python bench/run.py seeds     # train.seed = 0..9 at the default params: how many reach the bar
    python bench/run.py seeds --recipe post   # the same for the post's exact recipe
    python bench/run.py scale     # each stage's time and peak RSS as data.count and data.seq_len grow
    python bench/run.py table compare|seeds|scale   # README's markdown, from bench/results/ only

Each measuring mode prints a table and writes bench/results/<name>.json, which records what was measured
on: the commit of the fresh clone, whether its code or params differ from that commit (bench never edits
them: varied params go to the stages in a file of their own, through `--params`), the machine, the
versions of the packages the stages import, and the params. Stage commands are dvc.lock's, run as dvc
runs them. Timings come from /usr/bin/time (wall seconds, peak RSS) around separate processes, all on
this machine in one run; compare ratios, not absolutes.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run as `python bench/run.py`, which puts bench/, not the project, on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stages.files import write_json
from tools.env import child_env

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
# The reliability goal: final-step accuracy at least this on each set.
BAR = {"heldout": 0.999, "length_1000": 0.99}
# The post's recipe, reachable through params.
POST_RECIPE = {"units": 1, "epochs": 10, "batch_size": 128, "learning_rate": 0.001,
               "target_accuracy": None, "target_confidence": None, "jit_compile": False}
# (count, seq_len): count grows at seq_len 50, then seq_len grows at a fixed 5 * 10^7 bits.
SCALE_POINTS = [(100_000, 50), (1_000_000, 50), (10_000_000, 50), (100_000, 500), (10_000, 5000)]
# Scale's training: at most an epoch, and XLA, which pays when a run may last that long.
SCALE_TRAIN = {"epochs": 1, "jit_compile": True}
# The stages whose command takes `--timings FILE`.
TIMED_STAGES = {"train"}
# What a measured clone must not differ from its commit in.
MEASURED_FILES = ["stages", "dvc.yaml", "params.yaml"]
VERSIONS_CODE = ("import json, platform, dvc, keras, numpy, tensorflow\n"
                 "print(json.dumps({'python': platform.python_version(), 'tensorflow': tensorflow.__version__,"
                 " 'keras': keras.__version__, 'dvc': dvc.__version__, 'numpy': numpy.__version__}))")


# Running commands

def bench_env() -> dict[str, str]:
    env = child_env()
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"  # TensorFlow's start-up notices would bury a failing command's error
    return env


def timed(argv: list[str], cwd: Path) -> tuple[dict, str]:
    """Run a command under /usr/bin/time: ({wall_s, peak_rss_mb}, its stdout). A failure stops the bench."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %M", *argv],
                                cwd=cwd, env=bench_env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"`{shlex.join(argv)}` failed ({result.returncode}):\n"
                             f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
        wall, rss_kb = report.read().split()[-2:]  # the last line: time writes a note above it on failure
    return {"wall_s": float(wall), "peak_rss_mb": round(int(rss_kb) / 1024)}, result.stdout


def git_output(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def fresh_clone(root: Path, name: str) -> Path:
    """A clone of the project's committed HEAD: what is measured is a commit, never a work tree."""
    repo = root / name
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(repo)], check=True)
    return repo


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def write_params(path: Path, params: dict) -> Path:
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


# The pipeline, as dvc.yaml and dvc.lock describe it

@dataclass(frozen=True)
class Stage:
    name: str
    argv: list[str]
    reads_params: bool


def pipeline_stages(repo: Path) -> list[Stage]:
    """dvc.yaml's stages in its order (upstream first), each with the command dvc.lock records for it,
    variables resolved. dvc.lock keeps entries of stages since removed from dvc.yaml: those are skipped."""
    pipeline = read_yaml(repo / "dvc.yaml")["stages"]
    lock = read_yaml(repo / "dvc.lock")["stages"]
    missing = [name for name in pipeline if name not in lock]
    if missing:
        raise SystemExit(f"dvc.lock has no command for {', '.join(missing)}: run `dvc repro` and commit dvc.lock")
    return [Stage(name, shlex.split(lock[name]["cmd"]), "params" in spec or "params.yaml" in spec.get("deps", []))
            for name, spec in pipeline.items()]


def output_paths(repo: Path) -> dict[str, str]:
    """dvc.yaml's `paths` variables: where each stage reads and writes, written once, there."""
    return next(entry["paths"] for entry in read_yaml(repo / "dvc.yaml")["vars"] if "paths" in entry)


def stage_argv(stage: Stage, params_file: Path | None = None, timings: Path | None = None) -> list[str]:
    argv = list(stage.argv)
    if params_file is not None and stage.reads_params:
        argv += ["--params", str(params_file)]
    if timings is not None:
        argv += ["--timings", str(timings)]
    return argv


def run_stage(stage: Stage, repo: Path, params_file: Path | None = None) -> dict:
    """One stage's command alone: {stage, wall_s, peak_rss_mb}, and fit_s for a stage that reports it."""
    timings = repo.parent / f"{repo.name}-{stage.name}-timings.json" if stage.name in TIMED_STAGES else None
    measured, _ = timed(stage_argv(stage, params_file, timings), repo)
    row = {"stage": stage.name, **measured}
    if timings is not None:
        row["fit_s"] = read_json(timings)["fit_seconds"]
    return row


# What was measured on

def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    # The cores this process may use, as `nproc` counts them: on a shared machine, fewer than it has.
    return {"cores": len(os.sched_getaffinity(0)), "cpu": cpu}


def versions(repo: Path) -> dict:
    """The versions the stage commands import: asked of the `python` they run, in the clone."""
    result = subprocess.run(["python", "-c", VERSIONS_CODE], cwd=repo, env=bench_env(), capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout)


def measured_on(repos: list[Path]) -> dict:
    """The commit of the measured clones (one commit for all), whether any differs from it in its code or
    params (bench never edits them, so this should be false), the machine and the package versions."""
    commits = {git_output(repo, "rev-parse", "HEAD") for repo in repos}
    if len(commits) != 1:
        raise SystemExit(f"the clones measured differ in commit ({', '.join(sorted(commits))}): a commit "
                         f"landed during the run; run again")
    modified = any(git_output(repo, "status", "--porcelain", "--", *MEASURED_FILES) for repo in repos)
    return {"commit": commits.pop(), "modified": modified, "machine": machine(), "versions": versions(repos[0])}


def without(params: dict, varied: list[str]) -> dict:
    """`params` less the dotted keys that vary from run to run (each run records its own)."""
    shared = copy.deepcopy(params)
    for key in varied:
        section, name = key.split(".")
        del shared[section][name]
    return shared


# Measuring modes

def measure_baseline(root: Path) -> dict:
    measured, out = timed([sys.executable, str(PROJECT / "bench" / "post_baseline.py")], root)
    return {**measured, **json.loads(out.strip().splitlines()[-1])}  # its last line: a JSON of timings


def compare(root: Path) -> dict:
    print("baseline: the post's script, faithfully (bench/post_baseline.py) ...", flush=True)
    baseline = measure_baseline(root)
    print("pipeline: `dvc repro --force` in a fresh clone, from nothing ...", flush=True)
    results = measure_pipeline(root)
    results["baseline"] = baseline
    results["speedup"] = round(baseline["total_s"] / results["pipeline"]["repro_wall_s"], 1)
    print("\n" + compare_markdown(results), end="")
    return results


def measure_pipeline(root: Path) -> dict:
    """`dvc repro --force` in one fresh clone, then each stage's command alone in a second one."""
    repo = fresh_clone(root, "pipeline")
    # --force: a plain repro would skip evaluate and report, whose inputs (the model included, being
    # byte-reproducible) match the committed dvc.lock and whose outputs are committed.
    repro, _ = timed(["dvc", "repro", "--force"], repo)
    paths = output_paths(repo)
    training, sections = read_json(repo / paths["train_results"]), read_json(repo / paths["eval_results"])
    params = read_yaml(repo / "params.yaml")

    print("stages: each stage's command alone, in a second fresh clone ...", flush=True)
    alone = fresh_clone(root, "stages")
    stages = [run_stage(stage, alone) for stage in pipeline_stages(alone)]
    by_name = {row["stage"]: row for row in stages}
    data, fit_s = params["data"], by_name["train"]["fit_s"]
    sequence_steps = training["steps"] * params["train"]["batch_size"] * data["seq_len"]
    return {
        "measured_on": measured_on([repo, alone]),
        "params": params,
        "pipeline": {
            "repro_wall_s": repro["wall_s"], "repro_peak_rss_mb": repro["peak_rss_mb"],
            "stages": stages,
            "generate_train_bits_per_s": round(data["count"] * data["seq_len"] / by_name["generate_train"]["wall_s"]),
            "train_sequence_steps_per_s": round(sequence_steps / fit_s),
            "epochs_to_target": training["epochs"], "seconds_to_target": fit_s,
            "reached_target": training["reached_target"],
            "accuracy": {name: s["accuracy"] for name, s in sections.items()},
            "confidence": {name: s["confidence"] for name, s in sections.items()},
        },
    }


def seeds(root: Path, recipe: str, overrides: dict, count: int) -> dict:
    """train.seed 0..count-1 on one data set: train and evaluate alone for each, at the recipe's params."""
    repo = fresh_clone(root, "seeds")
    stages = pipeline_stages(repo)
    paths = output_paths(repo)
    params = read_yaml(repo / "params.yaml")
    if recipe == "post":
        params["train"].update(POST_RECIPE)
    params["train"].update(overrides)
    params_file = write_params(root / "params.yaml", params)
    for stage in itertools.takewhile(lambda s: s.name != "train", stages):  # the data, once
        run_stage(stage, repo, params_file)
    by_name = {stage.name: stage for stage in stages}
    runs = []
    print(f"{'seed':>4}{'train s':>9}{'epochs':>8}" + "".join(f"{name:>13}" for name in BAR) + "  passes")
    for seed in range(count):
        params["train"]["seed"] = seed
        write_params(params_file, params)
        train = run_stage(by_name["train"], repo, params_file)
        run_stage(by_name["evaluate"], repo, params_file)
        sections = read_json(repo / paths["eval_results"])
        run = {"seed": seed, "train_wall_s": train["wall_s"], "fit_s": train["fit_s"],
               "epochs": read_json(repo / paths["train_results"])["epochs"],
               **{name: sections[name]["accuracy"] for name in BAR}}
        run["passes"] = all(run[name] >= bar for name, bar in BAR.items())
        runs.append(run)
        print(f"{seed:>4}{run['train_wall_s']:>9.1f}{run['epochs']:>8}" +
              "".join(f"{run[name]:>13.4f}" for name in BAR) + f"  {run['passes']}", flush=True)
    results = {"recipe": recipe, "overrides": overrides, "bar": BAR, "runs": runs,
               "passed": sum(run["passes"] for run in runs), "measured_on": measured_on([repo]),
               "params": without(params, ["train.seed"]), "varied": ["train.seed"]}
    print("\n" + seeds_markdown([results]), end="")
    return results


def scale_eval_length(seq_len: int) -> int:
    """Scale's one evaluation length: long enough to cost something, and longer than training's."""
    return max(10_000, 2 * seq_len)


def scale(root: Path, points: list[tuple[int, int]], disk_bytes: int) -> dict:
    """Each stage's command alone, under /usr/bin/time, at each (count, seq_len). Training stops at its
    default target, so at seq_len 50 its time is the fixed cost of a run, not the count."""
    repo = fresh_clone(root, "scale")
    stages = pipeline_stages(repo)
    params = read_yaml(repo / "params.yaml")
    params["train"].update(SCALE_TRAIN)
    params_file = root / "params.yaml"
    rows = []
    for count, seq_len in points:
        params["data"].update(count=count, seq_len=seq_len)
        params["evaluate"]["lengths"] = [scale_eval_length(seq_len)]
        write_params(params_file, params)
        for folder in ("data", "models"):  # the last point's sets: up to a gigabyte of disk
            shutil.rmtree(repo / folder, ignore_errors=True)
        row = {"count": count, "seq_len": seq_len, "bits": count * seq_len,
               "evaluate_length": scale_eval_length(seq_len),
               "stages": [run_stage(stage, repo, params_file) for stage in stages]}
        generate = next(s for s in row["stages"] if s["stage"] == "generate_train")
        row["generate_train_bits_per_s"] = round(row["bits"] / generate["wall_s"])
        rows.append(row)
        print(f"measured count {count:,}, seq_len {seq_len:,}", flush=True)
    results = {"points": rows, "disk_write_bytes_per_s": disk_write_rate(root, disk_bytes),
               "measured_on": measured_on([repo]),
               "params": without(params, ["data.count", "data.seq_len", "evaluate.lengths"]),
               "varied": ["data.count", "data.seq_len", "evaluate.lengths"]}
    print("\n" + scale_markdown(results), end="")
    return results


def disk_write_rate(root: Path, size: int) -> float:
    """Bytes per second of writing `size` random bytes with plain writes and fsync: the floor for
    generation, which writes two bytes (bit and target) per bit."""
    code = ("import os, sys, time; block = os.urandom(1 << 24); t = time.perf_counter()\n"
            f"with open(sys.argv[1], 'wb') as f:\n    for _ in range(max(1, {size} >> 24)): f.write(block)\n"
            "    f.flush(); os.fsync(f.fileno())\nprint(time.perf_counter() - t)")
    result = subprocess.run([sys.executable, "-c", code, str(root / "disk.bin")], capture_output=True, text=True,
                            check=True)
    (root / "disk.bin").unlink()
    return max(1, size >> 24) * (1 << 24) / float(result.stdout)


# Markdown for the README, from results alone

def upgrade_legacy(results: dict) -> dict:
    """Results in the shape written before bench recorded what it measured on: no measured_on, stages as a
    dict (in name order, as sorted JSON keeps it), seeds' train params at the top. Delete this once every
    committed results file is re-measured."""
    results = copy.deepcopy(results)
    results.setdefault("measured_on", None)
    if "train" in results:
        results.setdefault("params", {"train": results.pop("train")})
    results.setdefault("params", None)
    containers = [results.get("pipeline", {}), *results.get("points", [])]
    for container in containers:
        if isinstance(container.get("stages"), dict):
            container["stages"] = [{"stage": name, **row} for name, row in container["stages"].items()]
    return results


def measured_line(measured: dict | None, commands: list[str]) -> str:
    runs = ", ".join(f"`{command}`" for command in commands)
    if measured is None:
        return f"Measured on an unrecorded commit and machine (results older than that record), {runs}."
    machine, v = measured["machine"], measured["versions"]
    changed = " with local changes to stages/, dvc.yaml or params.yaml" if measured["modified"] else ""
    return (f"Measured on commit {measured['commit'][:7]}{changed} ({machine['cpu']}, {machine['cores']} cores; "
            f"Python {v['python']}, TensorFlow {v['tensorflow']}, Keras {v['keras']}, DVC {v['dvc']}, "
            f"NumPy {v['numpy']}), {runs}.")


def markdown_table(header: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def compare_markdown(results: dict) -> str:
    results = upgrade_legacy(results)
    base, pipeline = results["baseline"], results["pipeline"]
    rows = [["post's script, end to end", f"{base['total_s']:.1f}", f"{base['peak_rss_mb']}"],
            ["&nbsp; importing Keras / building data with lists / 10 epochs of training / its demo "
             "(predicting the training set)",
             " / ".join(f"{base[key]:.1f}" for key in ("import_s", "generate_s", "train_s", "demo_s")), ""],
            ["`dvc repro --force` from nothing, total", f"{pipeline['repro_wall_s']:.1f}",
             f"{pipeline['repro_peak_rss_mb']}"],
            *([f"&nbsp; `{s['stage']}`", f"{s['wall_s']:.1f}", f"{s['peak_rss_mb']}"] for s in pipeline["stages"])]
    train = next(s for s in pipeline["stages"] if s["stage"] == "train")
    reached = "reached its target" if pipeline["reached_target"] else "stopped short of its target"
    accuracy, confidence = pipeline["accuracy"], pipeline["confidence"]
    lines = [
        measured_line(results["measured_on"], ["python bench/run.py compare"]), "",
        *markdown_table(["run", "wall s", "peak RSS MB"], ["---", "---:", "---:"], rows), "",
        f"- Speed-up, post's script over the whole pipeline: **{results['speedup']}x**. Training {reached} after "
        f"{pipeline['epochs_to_target']} epochs ({pipeline['seconds_to_target']:.1f} s of fitting, tracing "
        f"included, {pipeline['train_sequence_steps_per_s']:.3g} sequence steps/s); generating the training set "
        f"ran at {pipeline['generate_train_bits_per_s']:.3g} bits/s, process start included.",
        f"- Accuracy: the post's script {base['heldout_accuracy']:.4f} on fresh length-50 sequences (its model "
        f"cannot run other lengths); the pipeline " + ", ".join(f"{k} {v:.4f}" for k, v in accuracy.items()) +
        " (confidence " + ", ".join(f"{v:.4f}" for v in confidence.values()) + ").",
        f"- The train stage spent {train['wall_s'] - train['fit_s']:.1f} s of its {train['wall_s']:.1f} s outside "
        f"fitting (process start, imports, reading the data, saving the model).",
    ]
    return "\n".join(lines) + "\n"


def seeds_command(results: dict) -> str:
    recipe = " --recipe post" if results["recipe"] == "post" else ""
    sets = "".join(f" --set {key}={yaml_text(value)}" for key, value in results.get("overrides", {}).items())
    count = len(results["runs"])
    return f"python bench/run.py seeds{recipe}{sets}" + ("" if count == 10 else f" --seeds {count}")


def yaml_text(value) -> str:
    """A value as one would type it after --set (read back as YAML)."""
    return yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n").strip()


def recipe_text(train: dict) -> str:
    units = train["units"]
    text = f"{units} unit{'' if units == 1 else 's'}, Adam {train['learning_rate']}, batch {train['batch_size']}"
    targets = [f"{name} {train[f'target_{name}']}" for name in ("accuracy", "confidence")
               if train.get(f"target_{name}") is not None]
    text += (f", stop at {' and '.join(targets)} or after {train['epochs']} epochs" if targets
             else f", {train['epochs']} epochs")
    if train.get("supervision", "per_step") != "per_step":
        text += f", {train['supervision']} supervision"
    return text + (", XLA on" if train.get("jit_compile") else "")


def seeds_order(results: dict) -> tuple:
    """The default recipe first, then with overrides, then the post's."""
    overrides = results.get("overrides", {})
    return results["recipe"] != "default", len(overrides), json.dumps(overrides, sort_keys=True), results["recipe"]


def seeds_markdown(all_results: list[dict]) -> str:
    all_results = sorted((upgrade_legacy(r) for r in all_results), key=seeds_order)
    seed_lists = {tuple(run["seed"] for run in r["runs"]) for r in all_results}
    if len(seed_lists) != 1:
        raise SystemExit("the seeds results cover different seeds; measure them again with one --seeds")
    seeds = seed_lists.pop()
    bar = all_results[0].get("bar", BAR)
    span = f"seeds {seeds[0]}..{seeds[-1]}"
    header = ["command", "recipe", "pass",
              *(f"{set_label(name)} accuracy, {span}" for name in bar)]
    rows = [[f"`{seeds_command(r)}`", recipe_text(r["params"]["train"]), f"{r['passed']}/{len(r['runs'])}",
             *(" ".join(f"{run[name]:.3f}" for run in r["runs"]) for name in bar)] for r in all_results]
    lines = [*measured_lines(all_results, seeds_command), "",
             *markdown_table(header, ["---"] * len(header), rows), "",
             "A run passes with final-step accuracy at least " +
             " and ".join(f"{bar[name]} on {set_label(name)}" for name in bar) +
             "; the data are the same for every seed."]
    return "\n".join(lines) + "\n"


def set_label(name: str) -> str:
    return "held-out" if name == "heldout" else name.replace("_", "-")


def measured_lines(all_results: list[dict], command) -> list[str]:
    """One line per distinct commit and machine, naming the commands measured there, in order."""
    groups: dict[str, list[str]] = {}
    for results in all_results:
        groups.setdefault(json.dumps(results["measured_on"], sort_keys=True), []).append(command(results))
    return [measured_line(json.loads(key), commands) for key, commands in groups.items()]


def scale_markdown(results: dict) -> str:
    results = upgrade_legacy(results)
    shown = ("generate_train", "generate_heldout", "train", "evaluate")
    header = ["count", "seq_len", "bits", *(f"{name} s / MB" for name in shown)]
    rows, stage_rows = [], []
    for point in results["points"]:
        stages = {s["stage"]: s for s in point["stages"]}
        stage_rows.append(stages)
        rows.append([f"{point['count']:,}", f"{point['seq_len']:,}", f"{point['bits']:.0e}",
                     *(f"{stages[name]['wall_s']:.1f} / {stages[name]['peak_rss_mb']}" for name in shown)])
    fastest = max(point["generate_train_bits_per_s"] for point in results["points"])
    disk = results["disk_write_bytes_per_s"]
    lines = [
        measured_line(results["measured_on"], ["python bench/run.py scale"]), "",
        f"Each stage alone; training runs at most {SCALE_TRAIN['epochs']} epoch, with XLA, and stops at its "
        f"target; evaluation at length max(10000, 2 x seq_len).", "",
        *markdown_table(header, ["---:"] * 3 + ["---"] * len(shown), rows), "",
        f"- Generation: peak RSS at most {max(s['generate_train']['peak_rss_mb'] for s in stage_rows)} MB at any "
        f"size; at best {fastest:.3g} bits/s ({2 * fastest:.3g} bytes/s written, bits and targets), where a plain "
        f"write of random bytes to this disk ran at {disk:.3g} bytes/s.",
        "- Training's peak RSS: " + training_memory(results["points"], stage_rows) + ".",
    ]
    return "\n".join(lines) + "\n"


def training_memory(points: list[dict], stage_rows: list[dict]) -> str:
    """Training's peak RSS at the smallest and largest count of the shortest seq_len, and at the longest."""
    shortest, longest = min(p["seq_len"] for p in points), max(p["seq_len"] for p in points)
    at_shortest = sorted((p["count"], s["train"]["peak_rss_mb"]) for p, s in zip(points, stage_rows, strict=True)
                         if p["seq_len"] == shortest)
    text = f"{at_shortest[0][1]} MB at count {at_shortest[0][0]:,}"
    if len(at_shortest) > 1:
        text += f" and {at_shortest[-1][1]} MB at count {at_shortest[-1][0]:,}"
    text += f" (seq_len {shortest:,})"
    if longest != shortest:
        rss = max(s["train"]["peak_rss_mb"] for p, s in zip(points, stage_rows, strict=True)
                  if p["seq_len"] == longest)
        text += f"; {rss} MB at seq_len {longest:,}"
    return text


def table(kind: str, folder: Path) -> str:
    """README's markdown for one mode, from the results files in `folder` alone."""
    if kind == "seeds":
        files = sorted(folder.glob("seeds-*.json"))
        if not files:
            raise SystemExit(f"no seeds-*.json in {folder}")
        return seeds_markdown([read_json(path) for path in files])
    path = folder / f"{kind}.json"
    if not path.exists():
        raise SystemExit(f"{path}: not found; run `python bench/run.py {kind}` first")
    return {"compare": compare_markdown, "scale": scale_markdown}[kind](read_json(path))


# Command line

def parse_point(text: str) -> tuple[int, int]:
    count, _, seq_len = text.partition("x")
    return int(count), int(seq_len)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of results files (default: %(default)s)")
    modes = parser.add_subparsers(dest="mode", required=True)
    modes.add_parser("compare", help="the post's script vs `dvc repro --force` from nothing")
    seeds_parser = modes.add_parser("seeds", help="how many training seeds reach the bar")
    seeds_parser.add_argument("--recipe", choices=["default", "post"], default="default")
    seeds_parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                              help="override a train.* param, e.g. --set units=1 (YAML value)")
    seeds_parser.add_argument("--seeds", type=int, default=10, help="train.seed 0..N-1 (default: %(default)s)")
    scale_parser = modes.add_parser("scale", help="each stage's time and memory as the data grow")
    scale_parser.add_argument("--point", action="append", type=parse_point, metavar="COUNTxSEQ_LEN",
                              help="measure here instead of the standard points (repeatable)")
    scale_parser.add_argument("--disk-mib", type=int, default=1024, help="size of the plain disk write measured")
    table_parser = modes.add_parser("table", help="print README's markdown from the results files")
    table_parser.add_argument("kind", choices=["compare", "seeds", "scale"])
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, root: Path) -> tuple[str, dict]:
    """(results name, results) of one measuring mode."""
    if args.mode == "compare":
        return "compare", compare(root)
    if args.mode == "scale":
        return "scale", scale(root, args.point or SCALE_POINTS, args.disk_mib << 20)
    overrides = {key: yaml.safe_load(value) for key, value in (item.split("=", 1) for item in args.set)}
    suffix = "".join(f"-{key}={value}" for key, value in overrides.items())
    return f"seeds-{args.recipe}{suffix}", seeds(root, args.recipe, overrides, args.seeds)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.mode == "table":
        print(table(args.kind, args.results), end="")
        return 0
    root = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    try:
        name, results = measure(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    path = args.results / f"{name}.json"
    args.results.mkdir(parents=True, exist_ok=True)
    write_json(path, results)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
