"""The docs (README.md and docs/*.md) against what the project prints.

A console block written as

    <!-- transcript: SESSION -->
    ```console
    $ command
    output
    ```

is checked: a page's blocks of one SESSION run in page order, each command through bash with the
project's environment, in a copy of a fresh clone of the committed project after the quick start (its
`dvc repro` done), as the reader of that page is; `<!-- transcript: SESSION fresh -->` starts from a
fresh clone before it. The output (stdout and stderr together, as a terminal shows them) must match the
block's lines after normalisation: timings, hashes, clock times, temporary folders, the machine's free
disk, runs of spaces and the arguments of stage commands (`> python -m stages.train ...`) are made
uniform, and a line `...` stands for any number of lines. `<!-- transcript: SESSION slurm -->` runs it
beside a one-node SLURM cluster (lstm_parity.sweep.slurm). DVC lists the rows of `dvc metrics
diff`/`show` and `dvc params diff` in no fixed order, so their rows are compared as a set. Quick sessions
carry the `docs` marker (in .ci/run); `<!-- transcript: SESSION slow -->` ones the `slow` marker (by
hand: `pytest -m slow`).

A table or figure generated from committed results sits between `<!-- generated: COMMAND -->` and
`<!-- end generated -->`; COMMAND, run in the project, must print exactly what stands between them.
Outside those blocks, no page names a commit.

To re-record a session after a change of behaviour that is meant:
    python -m tests.docs.test_pages docs/predict.md predict
prints what a fresh clone prints for that session's commands, to paste into the page (trim with `...`);
    python -m tests.docs.test_pages --record docs/predict.md predict
writes it into the page's blocks of that session itself;
    python -m tests.docs.test_pages --generated
writes every generated block anew from its command's output.
"""
from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT, run, tool_env

PAGES = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^<!-- transcript: (?P<session>[\w-]+)(?P<flags>( (slow|fresh|slurm))*) -->\n```console\n"
                   r"(?P<body>.*?)^```", re.M | re.S)
GENERATED = re.compile(r"^<!-- generated: (?P<command>.+?) -->\n(?P<body>.*?)^<!-- end generated -->$", re.M | re.S)
ANY_LINES = "..."
NORMALISE = [
    (re.compile(r"^(> python -m stages\.\w+) .*"), r"\1 <args>"),   # a stage's command line, as DVC echoes it
    (re.compile(r"\b\d+(\.\d+)? s\b"), "<seconds> s"),               # "in 3.2 s"
    (re.compile(r"\b\d{1,2}:\d\d (AM|PM)\b"), "<time>"),              # dvc queue status
    (re.compile(r"\b[0-9a-f]{7,40}\b"), "<hash>"),                    # commits, experiment revisions
    (re.compile(r"(/tmp|/var/folders)/\S*"), "<tmp>"),                # temporary folders
    (re.compile(r"\b\d+(\.\d+)? [KMGT]B free\b"), "<size> free"),        # the free disk of this machine
    (re.compile(r" {2,}"), " "),                                      # table alignment
]
UNORDERED = ("dvc metrics diff", "dvc metrics show", "dvc params diff")
README_LINES = 250


@dataclass(frozen=True)
class Step:
    command: str
    expected: list[str]


@dataclass(frozen=True)
class Block:
    session: str
    slow: bool
    fresh: bool
    slurm: bool   # the commands talk to a SLURM cluster (the session's one-node cluster)
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
        flags = match.group("flags").split()
        blocks.append(Block(match.group("session"), "slow" in flags, "fresh" in flags, "slurm" in flags, steps))
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


def step_matches(step: Step, actual: list[str]) -> bool:
    if step.command.startswith(UNORDERED) and ANY_LINES not in step.expected:
        return sorted(map(normalise, step.expected)) == sorted(map(normalise, actual))
    return matches(step.expected, actual)


def sessions(page: Path) -> dict[str, list[Block]]:
    grouped: dict[str, list[Block]] = {}
    for block in parse(page.read_text()):
        grouped.setdefault(block.session, []).append(block)
    return grouped


def page_name(page: Path) -> str:
    return page.relative_to(PROJECT).as_posix()


def session_params():
    for page in PAGES:
        for name, blocks in sessions(page).items():
            marks = [pytest.mark.slow] if any(block.slow for block in blocks) else [pytest.mark.docs]
            yield pytest.param(page, name, marks=marks, id=f"{page_name(page)}:{name}")


def fresh_clone(folder: Path) -> Path:
    clone = folder / "clone"
    run(["git", "clone", "-q", str(PROJECT), str(clone)], folder)
    return clone


@pytest.fixture(scope="session")
def after_quick_start(tmp_path_factory) -> Path:
    """A fresh clone after the quick start's `dvc repro`: copy it, do not change it."""
    clone = fresh_clone(tmp_path_factory.mktemp("quick-start"))
    run(["dvc", "repro", "--quiet"], clone)
    return clone


def reader_env(slurm_conf: str | None = None) -> dict[str, str]:
    """The environment of a reader who has activated the project's environment (and, for a session on a
    cluster, whose SLURM clients talk to it)."""
    return tool_env() | {"VIRTUAL_ENV": sys.prefix} | ({"SLURM_CONF": slurm_conf} if slurm_conf else {})


def replay(page: Path, session: str, folder: Path, after_quick_start: Path | None, env: dict[str, str]):
    """Run a session's commands in its starting clone under `folder`: yield (step, the lines it printed)."""
    blocks = sessions(page)[session]
    if blocks[0].fresh or after_quick_start is None:
        clone = fresh_clone(folder)
        if not blocks[0].fresh:
            run(["dvc", "repro", "--quiet"], clone)
    else:
        clone = Path(shutil.copytree(after_quick_start, folder / "clone", symlinks=True))
    for block in blocks:
        for step in block.steps:
            result = subprocess.run(["bash", "-c", step.command], cwd=clone, env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            yield step, result.stdout.splitlines()


@pytest.mark.parametrize("page, session", session_params())
def test_transcript_matches_a_fresh_clone(page, session, tmp_path, request):
    blocks = sessions(page)[session]
    start = None if blocks[0].fresh else request.getfixturevalue("after_quick_start")
    slurm_conf = request.getfixturevalue("slurm_cluster").env["SLURM_CONF"] if blocks[0].slurm else None
    for step, actual in replay(page, session, tmp_path, start, reader_env(slurm_conf)):
        assert step_matches(step, actual), (
            f"{page_name(page)} transcript '{session}' drifted at `$ {step.command}`\n--- page\n"
            + "\n".join(step.expected) + "\n--- fresh clone\n" + "\n".join(actual))


def generated_blocks() -> list[tuple[str, str, str]]:
    return [(page_name(page), m.group("command"), m.group("body"))
            for page in PAGES for m in GENERATED.finditer(page.read_text())]


@pytest.mark.parametrize("page, command, shown", generated_blocks(),
                         ids=[f"{page}:{command}" for page, command, _ in generated_blocks()])
def test_generated_block_is_what_its_command_prints(page, command, shown):
    """No hand-pasted figures: each generated block is its command's output, from committed files."""
    printed = subprocess.run(["bash", "-c", command], cwd=PROJECT, env=tool_env(), capture_output=True,
                             text=True, check=True).stdout
    assert printed == shown, f"{page}: block drifted from `{command}`; paste its output between the markers"


def prose(page: Path) -> str:
    """A page without its generated blocks and transcripts: what a person wrote."""
    text = GENERATED.sub("", page.read_text())
    return BLOCK.sub("", text)


@pytest.mark.parametrize("page", PAGES, ids=page_name)
def test_prose_names_no_commit(page):
    """Prose that carries commit hashes has to be re-edited after every change: hashes live in the
    generated blocks' "measured on" lines only."""
    found = re.findall(r"\bcommits? [0-9a-f]{7,40}\b|\bat [0-9a-f]{7,40}\b", prose(page))
    assert not found, f"{page_name(page)}: {found}"


def test_the_front_page_stays_short():
    assert len((PROJECT / "README.md").read_text().splitlines()) <= README_LINES


@pytest.mark.parametrize("page", PAGES, ids=page_name)
def test_links_between_pages_resolve(page):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
        if not re.match(r"[a-z]+://", target):
            assert (page.parent / target).exists(), f"{page_name(page)} links to {target}, which is not there"


def test_matcher_normalises_and_skips():
    assert matches(["trained 175 steps in 3.1 s", "..."], ["trained 175 steps in 12.0 s", "a", "b"])
    assert matches(["...", "end"], ["end"]) and not matches(["start"], ["start", "more"])
    assert matches(["Path  Metric   HEAD"], ["Path Metric HEAD"])
    assert not matches(["accuracy 1.0"], ["accuracy 0.9"])
    assert matches(["> python -m stages.train --data a"], ["> python -m stages.train --data a --new-flag b"])


def test_tables_dvc_orders_freely_compare_as_sets():
    step = Step("dvc metrics diff", ["Path Metric", "a.json x 1", "b.json y 2"])
    assert step_matches(step, ["Path Metric", "b.json y 2", "a.json x 1"])
    assert not step_matches(step, ["Path Metric", "b.json y 3", "a.json x 1"])
    assert not step_matches(Step("dvc repro", ["a", "b"]), ["b", "a"])


def test_every_block_has_commands():
    assert all(block.steps for page in PAGES for blocks in sessions(page).values() for block in blocks)


def test_blocks_parse_from_text():
    text = "<!-- transcript: demo fresh -->\n```console\n$ echo hi\nhi\n$ true\n```\n"
    (block,) = parse(text)
    assert block.session == "demo" and not block.slow and block.fresh and not block.slurm
    assert block.steps == [Step("echo hi", ["hi"]), Step("true", [])]


def record(page: Path, session: str) -> None:
    """Write into `page` what a fresh clone prints now for each command of `session`, in place of what the
    page showed (trim long outputs with `...` afterwards)."""
    with contextlib.ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory())
        slurm_conf = None
        if sessions(page)[session][0].slurm:
            from lstm_parity.sweep.slurm import local_slurm

            slurm_conf = stack.enter_context(local_slurm()).env["SLURM_CONF"]
        printed = iter(list(replay(page, session, Path(scratch), None, reader_env(slurm_conf))))
    text = page.read_text()

    def block(match: re.Match) -> str:
        if match.group("session") != session:
            return match.group(0)
        body = []
        for _ in parse(match.group(0))[0].steps:
            step, actual = next(printed)
            body += [f"$ {step.command}", *actual]
        head = match.group(0)[:match.start("body") - match.start()]
        return head + "\n".join(body) + "\n```"

    page.write_text(BLOCK.sub(block, text))


def regenerate(page: Path) -> None:
    """Write each generated block of `page` anew from its command's output, run in the project."""
    def block(match: re.Match) -> str:
        result = subprocess.run(["bash", "-c", match.group("command")], cwd=PROJECT, env=tool_env(),
                                capture_output=True, text=True)
        if result.returncode != 0:  # left as it was, and said
            print(f"{page_name(page)}: `{match.group('command')}` failed:\n{result.stderr}", file=sys.stderr)
            return match.group(0)
        return f"<!-- generated: {match.group('command')} -->\n{result.stdout}<!-- end generated -->"

    page.write_text(GENERATED.sub(block, page.read_text()))


if __name__ == "__main__":
    if sys.argv[1:] == ["--generated"]:  # every generated block of every page, anew
        for page in PAGES:
            regenerate(page)
    elif sys.argv[1] == "--record":  # --record PAGE SESSION: the page's blocks of SESSION, as printed now
        record(PROJECT / sys.argv[2], sys.argv[3])
    else:  # PAGE SESSION: what a fresh clone prints for that session's commands
        with tempfile.TemporaryDirectory() as scratch:
            for step, actual in replay(PROJECT / sys.argv[1], sys.argv[2], Path(scratch), None, reader_env()):
                print("\n".join([f"$ {step.command}", *actual]), flush=True)
