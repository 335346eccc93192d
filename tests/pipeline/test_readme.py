"""README's console transcripts against what a fresh clone prints.

A block written as

    <!-- transcript: SESSION -->
    ```console
    $ command
    output
    ```

is checked: the blocks of one SESSION run in README order, in one fresh clone of the committed project,
each command through bash with the project's environment, and the output (stdout and stderr together,
as a terminal shows them) must match the block's lines after normalisation: timings, hashes, clock
times and runs of spaces are made uniform, and a line `...` stands for any number of lines. DVC lists the
rows of `dvc metrics diff`/`show` and `dvc params diff` file by file in no fixed order, so their rows are
compared as a set. A session
marked `<!-- transcript: SESSION slow -->` runs only with `pytest -m slow`.

A table or figure generated from committed results sits between `<!-- generated: COMMAND -->` and
`<!-- end generated -->`; COMMAND, run in the project, must print exactly what stands between them.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT, run, tool_env

BLOCK = re.compile(r"^<!-- transcript: (?P<session>[\w-]+)(?P<slow> slow)? -->\n```console\n(?P<body>.*?)^```",
                   re.M | re.S)
GENERATED = re.compile(r"^<!-- generated: (?P<command>.+?) -->\n(?P<body>.*?)^<!-- end generated -->$", re.M | re.S)
ANY_LINES = "..."
NORMALISE = [
    (re.compile(r"\b\d+(\.\d+)? s\b"), "<seconds> s"),               # "in 3.2 s"
    (re.compile(r"\b\d{1,2}:\d\d (AM|PM)\b"), "<time>"),              # dvc queue status
    (re.compile(r"\b[0-9a-f]{7,40}\b"), "<hash>"),                    # commits, experiment revisions
    (re.compile(r"(/tmp|/var/folders)/\S*"), "<tmp>"),                # temporary folders
    (re.compile(r" {2,}"), " "),                                      # table alignment
]


@dataclass(frozen=True)
class Step:
    command: str
    expected: list[str]


@dataclass(frozen=True)
class Block:
    session: str
    slow: bool
    steps: list[Step]


def parse(text: str) -> list[Block]:
    blocks = []
    for match in BLOCK.finditer(text):
        steps: list[Step] = []
        for line in match.group("body").splitlines():
            if line.startswith("$ "):
                steps.append(Step(line[2:], []))
            elif steps:
                steps[-1].expected.append(line)
            else:
                raise ValueError(f"transcript {match.group('session')}: output before the first command")
        blocks.append(Block(match.group("session"), bool(match.group("slow")), steps))
    return blocks


def normalise(line: str) -> str:
    for pattern, replacement in NORMALISE:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line after normalisation; an expected `...` line matches any number of actual lines."""
    expected, actual = [normalise(line) for line in expected], [normalise(line) for line in actual]
    # reachable[j]: expected[:i] can match actual[:j]
    reachable = [True] + [False] * len(actual)
    for line in expected:
        if line == ANY_LINES:
            for j in range(1, len(actual) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [reachable[j - 1] and actual[j - 1] == line for j in range(1, len(actual) + 1)]
    return reachable[-1]


UNORDERED = ("dvc metrics diff", "dvc metrics show", "dvc params diff")


def step_matches(step: Step, actual: list[str]) -> bool:
    if step.command.startswith(UNORDERED) and ANY_LINES not in step.expected:
        return sorted(map(normalise, step.expected)) == sorted(map(normalise, actual))
    return matches(step.expected, actual)


def sessions() -> dict[str, list[Block]]:
    grouped: dict[str, list[Block]] = {}
    for block in parse((PROJECT / "README.md").read_text()):
        grouped.setdefault(block.session, []).append(block)
    return grouped


def session_params():
    for name, blocks in sessions().items():
        marks = [pytest.mark.slow] if any(block.slow for block in blocks) else []
        yield pytest.param(name, marks=marks, id=name)


def replay(session: str, folder: Path):
    """Run a session's commands in a fresh clone under `folder`: yield (step, the lines it printed)."""
    clone = folder / "clone"
    run(["git", "clone", "-q", str(PROJECT), str(clone)], folder)
    for block in sessions()[session]:
        for step in block.steps:
            result = subprocess.run(["bash", "-c", step.command], cwd=clone, env=tool_env(), text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            yield step, result.stdout.splitlines()


@pytest.mark.pipeline
@pytest.mark.parametrize("session", session_params())
def test_transcript_matches_a_fresh_clone(session, tmp_path):
    for step, actual in replay(session, tmp_path):
        assert step_matches(step, actual), (
            f"README transcript '{session}' drifted at `$ {step.command}`\n--- README\n"
            + "\n".join(step.expected) + "\n--- fresh clone\n" + "\n".join(actual))


def test_matcher_normalises_and_skips():
    assert matches(["trained 175 steps in 3.1 s", "..."], ["trained 175 steps in 12.0 s", "a", "b"])
    assert matches(["...", "end"], ["end"]) and not matches(["start"], ["start", "more"])
    assert matches(["Path  Metric   HEAD"], ["Path Metric HEAD"])
    assert not matches(["accuracy 1.0"], ["accuracy 0.9"])


def test_tables_dvc_orders_freely_compare_as_sets():
    step = Step("dvc metrics diff", ["Path Metric", "a.json x 1", "b.json y 2"])
    assert step_matches(step, ["Path Metric", "b.json y 2", "a.json x 1"])
    assert not step_matches(step, ["Path Metric", "b.json y 3", "a.json x 1"])
    assert not step_matches(Step("dvc repro", ["a", "b"]), ["b", "a"])


def test_every_block_has_commands():
    assert all(block.steps for blocks in sessions().values() for block in blocks)


def test_readme_names_the_marker_command():
    """The slow transcripts' command is written where a reader finds it."""
    assert "pytest -m slow" in (PROJECT / "README.md").read_text()


def test_blocks_parse_from_text():
    text = "<!-- transcript: demo -->\n```console\n$ echo hi\nhi\n$ true\n```\n"
    (block,) = parse(text)
    assert block.session == "demo" and not block.slow
    assert block.steps == [Step("echo hi", ["hi"]), Step("true", [])]


def generated_blocks() -> list[tuple[str, str]]:
    return [(m.group("command"), m.group("body")) for m in GENERATED.finditer((PROJECT / "README.md").read_text())]


@pytest.mark.parametrize("command, shown", generated_blocks(), ids=[c for c, _ in generated_blocks()])
def test_generated_block_is_what_its_command_prints(command, shown):
    """No hand-pasted figures: each generated block is its command's output, from committed files."""
    printed = subprocess.run(["bash", "-c", command], cwd=PROJECT, env=tool_env(), capture_output=True,
                             text=True, check=True).stdout
    assert printed == shown, f"README block drifted from `{command}`; paste its output between the markers"


if __name__ == "__main__":
    # `python -m tests.pipeline.test_readme SESSION`: what a fresh clone prints for that session's commands,
    # to paste into README when a change of behaviour is meant (trim with `...` lines where it helps).
    with tempfile.TemporaryDirectory() as folder:
        for step, actual in replay(sys.argv[1], Path(folder)):
            print("\n".join([f"$ {step.command}", *actual]), flush=True)
