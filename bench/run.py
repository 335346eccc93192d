"""Benchmarks that print figures (never part of the test suite). Run from the project root, with the
project's environment active:

    python bench/run.py compare   # the post's script vs `dvc repro` from nothing, side by side
    python bench/run.py seeds     # train.seed = 0..9 at the default params: how many reach the bar
    python bench/run.py seeds --recipe post   # the same for the post's exact recipe
    python bench/run.py scale     # each stage's time and peak RSS as data.count and data.seq_len grow

Each prints a table and writes bench/results/<mode>.json. Timings come from /usr/bin/time (wall seconds,
peak RSS) around separate processes, all on this machine in one run; compare ratios, not absolutes.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
# The accuracy bar of the reliability goal.
HELDOUT_BAR, LONG_BAR, LONG_SET = 0.999, 0.99, "length_1000"
# The post's recipe, reachable through params.
POST_RECIPE = {"units": 1, "epochs": 10, "batch_size": 128, "learning_rate": 0.001,
               "target_accuracy": None, "target_confidence": None, "jit_compile": False}


def env() -> dict:
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    e["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), e.get("PATH", "")])
    return e


def timed(cmd: str, cwd: Path) -> dict:
    """Run a shell command under /usr/bin/time: wall seconds, peak RSS in MB, and its output."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %M", "bash", "-c", cmd],
                                cwd=cwd, env=env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"`{cmd}` failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        wall, rss_kb = report.read().split()[-2:]
    return {"wall_s": float(wall), "peak_rss_mb": round(int(rss_kb) / 1024), "stdout": result.stdout}


def fresh_clone(root: Path, name: str) -> Path:
    repo = root / name
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(repo)], check=True)
    return repo


def stage_commands(repo: Path) -> list[tuple[str, str]]:
    """(stage, command) in dvc.lock's order, which follows dvc.yaml's: upstream first."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return [(name, stage["cmd"]) for name, stage in lock["stages"].items()]


def write_results(mode: str, results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{mode}.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {path.relative_to(PROJECT)}")


def compare(root: Path) -> dict:
    print("baseline: the post's script, faithfully (bench/post_baseline.py) ...", flush=True)
    base = timed(f"{sys.executable} {PROJECT / 'bench/post_baseline.py'}", root)
    base.update(json.loads(base.pop("stdout").strip().splitlines()[-1]))

    print("pipeline: `dvc repro --force` in a fresh clone, from nothing ...", flush=True)
    repo = fresh_clone(root, "pipeline")
    # --force: a plain repro would skip evaluate and report, whose inputs (the model included, being
    # byte-reproducible) match the committed dvc.lock and whose outputs are committed.
    repro = timed("dvc repro --force", repo)
    repro.pop("stdout")
    params = yaml.safe_load((repo / "params.yaml").read_text())
    sections = json.loads((repo / "metrics/eval.json").read_text())
    training = json.loads((repo / "metrics/train.json").read_text())

    print("stages: each stage's command alone, in a second fresh clone ...", flush=True)
    repo2 = fresh_clone(root, "stages")
    stages = {}
    for name, cmd in stage_commands(repo2):
        stages[name] = timed(cmd, repo2)
        out = stages[name].pop("stdout")
        if name == "train":  # "trained N steps (E epochs) in S s; ..."
            stages[name]["fit_s"] = float(out.split(" in ")[1].split(" s")[0])
    d = params["data"]
    bits = d["count"] * d["seq_len"]
    fit_s = stages["train"]["fit_s"]
    sequence_steps = training["steps"] * params["train"]["batch_size"] * d["seq_len"]
    results = {
        "baseline": base,
        "pipeline": {
            "repro_wall_s": repro["wall_s"], "repro_peak_rss_mb": repro["peak_rss_mb"],
            "stages": stages,
            "generate_train_bits_per_s": round(bits / stages["generate_train"]["wall_s"]),
            "train_sequence_steps_per_s": round(sequence_steps / fit_s),
            "epochs_to_target": training["epochs"], "seconds_to_target": fit_s,
            "reached_target": training["reached_target"],
            "accuracy": {name: s["accuracy"] for name, s in sections.items()},
            "confidence": {name: s["confidence"] for name, s in sections.items()},
        },
        "speedup": round(base["total_s"] / repro["wall_s"], 1),
    }
    print(f"\n{'':34}{'wall s':>8}{'peak RSS MB':>13}")
    print(f"{'post script (baseline), total':34}{base['total_s']:>8.1f}{base['peak_rss_mb']:>13}")
    for key in ("import_s", "generate_s", "train_s", "demo_s"):
        print(f"{'  ' + key[:-2]:34}{base[key]:>8.1f}")
    print(f"{'dvc repro --force, total':34}{repro['wall_s']:>8.1f}{repro['peak_rss_mb']:>13}")
    for name, s in stages.items():
        print(f"{'  ' + name:34}{s['wall_s']:>8.1f}{s['peak_rss_mb']:>13}")
    p = results["pipeline"]
    print(f"\nspeedup (baseline total / dvc repro): {results['speedup']}x")
    print(f"generation: {p['generate_train_bits_per_s']:.3g} bits/s (whole stage process)")
    print(f"training: {p['epochs_to_target']} epochs, {fit_s:.1f} s of fitting to target "
          f"({p['train_sequence_steps_per_s']:.3g} sequence steps/s); target reached: {p['reached_target']}")
    print(f"accuracy: baseline held-out {base['heldout_accuracy']:.4f}; pipeline " +
          ", ".join(f"{k} {v:.4f}" for k, v in p["accuracy"].items()))
    return results


def seeds(root: Path, recipe: str, overrides: dict) -> dict:
    repo = fresh_clone(root, "seeds")
    timed("dvc repro", repo)  # data, and the lock's commands
    commands = dict(stage_commands(repo))
    params = yaml.safe_load((repo / "params.yaml").read_text())
    if recipe == "post":
        params["train"].update(POST_RECIPE)
    params["train"].update(overrides)
    runs = []
    print(f"{'seed':>4}{'train s':>9}{'epochs':>8}{'heldout':>9}{LONG_SET:>13}  passes")
    for seed in range(10):
        params["train"]["seed"] = seed
        (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        train = timed(commands["train"], repo)
        timed(commands["evaluate"], repo)
        sections = json.loads((repo / "metrics/eval.json").read_text())
        training = json.loads((repo / "metrics/train.json").read_text())
        run = {"seed": seed, "train_wall_s": train["wall_s"], "epochs": training["epochs"],
               "heldout": sections["heldout"]["accuracy"], LONG_SET: sections[LONG_SET]["accuracy"]}
        run["passes"] = run["heldout"] >= HELDOUT_BAR and run[LONG_SET] >= LONG_BAR
        runs.append(run)
        print(f"{seed:>4}{run['train_wall_s']:>9.1f}{run['epochs']:>8}{run['heldout']:>9.4f}"
              f"{run[LONG_SET]:>13.4f}  {run['passes']}", flush=True)
    passed = sum(r["passes"] for r in runs)
    changes = "".join(f", {k}={v}" for k, v in overrides.items())
    print(f"\n{passed}/10 seeds reach held-out >= {HELDOUT_BAR} and {LONG_SET} >= {LONG_BAR} "
          f"({recipe} recipe{changes})")
    return {"recipe": recipe, "overrides": overrides, "train": params["train"], "runs": runs, "passed": passed}


# (count, seq_len): count grows at seq_len 50, then seq_len grows at a fixed 5 * 10^7 bits.
SCALE_POINTS = [(100_000, 50), (1_000_000, 50), (10_000_000, 50), (100_000, 500), (10_000, 5000)]


def scale(root: Path, points: list[tuple[int, int]]) -> dict:
    """Each stage's command alone, under /usr/bin/time, at each (count, seq_len). Training runs at most one
    epoch, with XLA, and stops at its default target, so at seq_len 50 its time is the fixed cost of a
    run, not the count."""
    repo = fresh_clone(root, "scale")
    commands = stage_commands(repo)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    rows = []
    shown = ("generate_train", "generate_heldout", "train", "evaluate")
    print(f"{'count':>10}{'seq_len':>8}{'bits':>9}  " + "  ".join(f"{n:>20}" for n in shown) +
          "   (wall s / peak RSS MB)")
    for count, seq_len in points:
        params["data"].update(count=count, seq_len=seq_len)
        params["train"].update(epochs=1, jit_compile=True)  # XLA pays when a run may last an epoch
        params["evaluate"]["lengths"] = [max(10_000, 2 * seq_len)]
        (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        for folder in ("data", "models"):
            shutil.rmtree(repo / folder, ignore_errors=True)
        row = {"count": count, "seq_len": seq_len, "bits": count * seq_len, "stages": {}}
        for name, cmd in commands:
            if name.startswith("generate_length"):  # the lock's lengths differ from this point's
                cmd = re.sub(r"--length \d+ --out (\S+)length_\d+",
                             lambda m: f"--length {params['evaluate']['lengths'][0]} --out {m.group(1)}"
                                       f"length_{params['evaluate']['lengths'][0]}", cmd)
            row["stages"][name] = timed(cmd, repo)
            row["stages"][name].pop("stdout")
        gen = row["stages"]["generate_train"]
        row["generate_train_bits_per_s"] = round(row["bits"] / gen["wall_s"])
        rows.append(row)
        cells = [row["stages"][n] for n in shown]
        print(f"{count:>10}{seq_len:>8}{row['bits']:>9.0e}  " +
              "  ".join(f"{c['wall_s']:>12.1f} / {c['peak_rss_mb']:>5}" for c in cells), flush=True)
    disk = disk_write_rate(root)
    print(f"\nplain write of random bytes to this disk: {disk:.3g} bytes/s; generation reached "
          f"{max(r['generate_train_bits_per_s'] for r in rows):.3g} bits/s (2 bytes written per bit)")
    return {"points": rows, "disk_write_bytes_per_s": disk}


def disk_write_rate(root: Path, size: int = 1 << 30) -> float:
    """Bytes per second of writing `size` random bytes with plain writes and fsync: the floor for
    generation, which writes two bytes (bit and target) per bit."""
    code = ("import os, sys, time; block = os.urandom(1 << 24); t = time.perf_counter()\n"
            f"with open(sys.argv[1], 'wb') as f:\n    for _ in range({size} >> 24): f.write(block)\n"
            "    f.flush(); os.fsync(f.fileno())\nprint(time.perf_counter() - t)")
    result = subprocess.run([sys.executable, "-c", code, str(root / "disk.bin")], capture_output=True, text=True,
                            check=True)
    (root / "disk.bin").unlink()
    return size / float(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["compare", "seeds", "scale"])
    parser.add_argument("--recipe", choices=["default", "post"], default="default", help="for seeds")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="for seeds: override a train.* param, e.g. --set units=1 (YAML value)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    try:
        if args.mode == "compare":
            write_results("compare", compare(root))
        elif args.mode == "scale":
            write_results("scale", scale(root, SCALE_POINTS))
        else:
            overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
            suffix = "".join(f"-{k}={v}" for k, v in overrides.items())
            write_results(f"seeds-{args.recipe}{suffix}", seeds(root, args.recipe, overrides))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
