"""How long the README's quick start takes, and each test suite, on a fresh clone (never part of the tests).
Run from the project root:

    python bench/quickstart.py            # the two lines; writes bench/results/quickstart.json
    python bench/quickstart.py --suites   # and then the marked suites (.ci/run's), tens of minutes more
    python bench/quickstart.py --table    # the docs' markdown, from that JSON only

The two lines are read from README.md's `## Quick start` block and run as a newcomer runs them: in a fresh
clone of the committed HEAD, by bash, with package caches emptied first (uv's and pip's pointed at new
folders), the project's environment not active and PYTHONDONTWRITEBYTECODE unset. Each line, and each
suite, is timed by /usr/bin/time as a whole; the one-minute load average at its start is recorded
beside it, since the machine may be shared.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from lstm_parity.files import write_json
from lstm_parity.markdown import table as markdown_table
from lstm_parity.processes import fresh_clone
from lstm_parity.provenance import measured_line, measured_on

PROJECT = Path(__file__).resolve().parents[1]
RESULTS_FILE = PROJECT / "bench" / "results" / "quickstart.json"
# The marked suites, as .ci/run runs them after the README's test command.
SUITES = {"pytest -m \"pipeline or docs\"": "the real dvc CLI and the docs' quick transcripts",
          "pytest -m slow": "the docs' long transcripts"}


def quick_start_lines(readme: Path) -> list[str]:
    block = re.search(r"^## Quick start\n.*?^```bash\n(?P<lines>.*?)^```", readme.read_text(), re.M | re.S)
    if block is None:
        raise SystemExit(f"{readme}: no ```bash block under ## Quick start")
    return block.group("lines").strip().splitlines()


def newcomer_env(caches: Path) -> dict[str, str]:
    """The environment of someone who has never installed the project: no active virtual environment,
    bytecode cached as Python does by default, and empty package caches."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    venv_bin = os.environ.get("VIRTUAL_ENV")
    if venv_bin:
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(venv_bin))
    return env | {"UV_CACHE_DIR": str(caches / "uv"), "PIP_CACHE_DIR": str(caches / "pip"), "LSTM_PARITY_CI": "1"}


def timed_line(line: str, cwd: Path, env: dict[str, str], tests: bool = False) -> dict:
    """One line's wall time; a line of tests is timed whether they pass or not (the counts say which), any
    other line must succeed."""
    load = os.getloadavg()[0]
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e", "bash", "-c", line], cwd=cwd,
                                env=env, capture_output=True, text=True)
        seconds = float(report.read().split()[-1])
    if result.returncode != 0 and not tests:
        raise SystemExit(f"`{line}` failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    row = {"line": line, "wall_s": seconds, "loadavg_1min_at_start": round(load, 2)}
    if tests:
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        row |= {f"tests_{outcome}": int(count) for count, outcome in re.findall(r"(\d+) (passed|failed)", summary)}
    return row


def measure(suites: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="quickstart-") as scratch:
        clone = fresh_clone(PROJECT, Path(scratch) / "clone")
        env = newcomer_env(Path(scratch) / "caches")
        lines = [timed_line(line, clone, env, tests="pytest" in line)
                 for line in quick_start_lines(clone / "README.md")]
        for line in lines:
            print(f"{line['wall_s']:.0f} s: {line['line']}", flush=True)
        activate = ". .venv/bin/activate && "
        suite_rows = []
        for command in (SUITES if suites else []):
            suite_rows.append(timed_line(activate + command, clone, env, tests=True) | {"suite": command})
            print(f"{suite_rows[-1]['wall_s']:.0f} s: {command}", flush=True)
        return {"measured_on": measured_on([clone]), "lines": lines, "suites": suite_rows}


def tests_text(row: dict) -> str:
    failed = f", {row['tests_failed']} failed" if row.get("tests_failed") else ""
    return f"{row.get('tests_passed', 0)} tests passed{failed}"


def results_markdown(results: dict) -> str:
    first, second = results["lines"]
    rows = [["1: set up, then `dvc repro`", f"{first['wall_s'] / 60:.1f} min", f"{first['loadavg_1min_at_start']:.1f}"],
            [f"2: `pytest` ({tests_text(second)})", f"{second['wall_s'] / 60:.1f} min",
             f"{second['loadavg_1min_at_start']:.1f}"]]
    rows += [[f"`{row['suite']}` ({tests_text(row)}): {SUITES[row['suite']]}",
              f"{row['wall_s'] / 60:.1f} min", f"{row['loadavg_1min_at_start']:.1f}"] for row in results["suites"]]
    commands = ["python bench/quickstart.py" + (" --suites" if results["suites"] else "")]
    lines = [measured_line(results["measured_on"], commands) + " A fresh clone, empty package caches.", "",
             *markdown_table(["line", "took", "load at start"], ["---", "---:", "---:"], rows)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", action="store_true", help="also time the marked suites")
    parser.add_argument("--table", action="store_true", help=f"print the docs' table from {RESULTS_FILE.name}")
    args = parser.parse_args(argv)
    if args.table:
        print(results_markdown(json.loads(RESULTS_FILE.read_text())), end="")
        return 0
    results = measure(args.suites)
    write_json(RESULTS_FILE, results)
    print(results_markdown(results), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
