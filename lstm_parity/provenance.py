"""What a figure was measured on: the commit of the clones measured, whether their code or params differ
from it, the machine and the package versions; and the one line that says so beside every table."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from lstm_parity.processes import git_output, quiet_env

# What a measured clone must not differ from its commit in: the code and the pipeline's definition.
MEASURED_FILES = ["lstm_parity", "stages", "dvc.yaml", "params.yaml"]
VERSIONS_CODE = ("import json, platform, dvc, keras, numpy, tensorflow\n"
                 "print(json.dumps({'python': platform.python_version(), 'tensorflow': tensorflow.__version__,"
                 " 'keras': keras.__version__, 'dvc': dvc.__version__, 'numpy': numpy.__version__}))")


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    # The cores this process may use, as `nproc` counts them: on a shared machine, fewer than it has.
    return {"cores": len(os.sched_getaffinity(0)), "cpu": cpu}


def versions(repo: Path) -> dict:
    """The versions the stage commands import: asked of the `python` they run, in the clone."""
    result = subprocess.run(["python", "-c", VERSIONS_CODE], cwd=repo, env=quiet_env(), capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout)


def measured_on(repos: list[Path]) -> dict:
    """The commit of the measured clones (one commit for all), whether any differs from it in its code or
    params (a measurement never edits them, so this should be false), the machine and the versions."""
    commits = {git_output(repo, "rev-parse", "HEAD") for repo in repos}
    if len(commits) != 1:
        raise SystemExit(f"the clones measured differ in commit ({', '.join(sorted(commits))}): a commit "
                         f"landed during the run; run again")
    modified = any(git_output(repo, "status", "--porcelain", "--", *MEASURED_FILES) for repo in repos)
    return {"commit": commits.pop(), "modified": modified, "machine": machine(), "versions": versions(repos[0])}


def measured_line(measured: dict, commands: list[str]) -> str:
    """The sentence beside a table: where, on what and by which commands its figures were measured."""
    runs = ", ".join(f"`{command}`" for command in commands)
    machine, v = measured["machine"], measured["versions"]
    changed = " with local changes to the code or params" if measured["modified"] else ""
    return (f"Measured on commit {measured['commit'][:7]}{changed} ({machine['cpu']}, {machine['cores']} cores; "
            f"Python {v['python']}, TensorFlow {v['tensorflow']}, Keras {v['keras']}, DVC {v['dvc']}, "
            f"NumPy {v['numpy']}), {runs}.")


def measured_lines(all_measured: list[tuple[dict, str]]) -> list[str]:
    """One line per distinct commit and machine, naming the commands measured there, in order."""
    groups: dict[str, list[str]] = {}
    for measured, command in all_measured:
        groups.setdefault(json.dumps(measured, sort_keys=True), []).append(command)
    return [measured_line(json.loads(key), commands) for key, commands in groups.items()]

