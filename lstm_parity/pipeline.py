"""What dvc.yaml and dvc.lock declare, for the commands that need it outside DVC: every path is written
once, in dvc.yaml's `paths` vars, and each stage's command as it ran is in dvc.lock."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from lstm_parity.errors import UsageError

DVC_YAML = "dvc.yaml"
DVC_LOCK = "dvc.lock"


def _read(path: Path) -> dict:
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: cannot read it: {getattr(error, 'strerror', None) or error}") from None
    if not isinstance(loaded, dict):
        raise UsageError(f"{path}: not a DVC file (a mapping)")
    return loaded


def declared_paths(repo: Path = Path(".")) -> dict[str, str]:
    """dvc.yaml's `paths` vars: where each stage reads and writes."""
    path = Path(repo) / DVC_YAML
    try:
        return next(entry["paths"] for entry in _read(path)["vars"] if isinstance(entry, dict) and "paths" in entry)
    except (KeyError, TypeError, StopIteration):
        raise UsageError(f"{path}: no vars.paths mapping") from None


def declared_path(name: str, repo: Path = Path(".")) -> Path:
    """One of dvc.yaml's paths, e.g. declared_path("model")."""
    paths = declared_paths(repo)
    if name not in paths:
        raise UsageError(f"{Path(repo) / DVC_YAML}: no vars.paths.{name}")
    return Path(paths[name])


_PATH_VAR = re.compile(r"\$\{paths\.(\w+)\}")


def _resolve(text: str, paths: dict[str, str], where: Path) -> str:
    """`${paths.name}` in a dvc.yaml string replaced by that path, as DVC interpolates it."""
    def path(match: re.Match) -> str:
        if match.group(1) not in paths:
            raise UsageError(f"{where}: no vars.paths.{match.group(1)}")
        return paths[match.group(1)]

    return _PATH_VAR.sub(path, text)


def declared_plots(repo: Path = Path(".")) -> dict[str, dict]:
    """dvc.yaml's top-level plots that DVC draws from data (an id, a template and its x and y), by id,
    with `${paths.*}` resolved: {id: {"template": ..., "x": ..., "y": {file: field or [fields]}, ...}}."""
    where = Path(repo) / DVC_YAML
    paths = declared_paths(repo)
    found = {}
    for entry in _read(where).get("plots", []):
        if not isinstance(entry, dict):
            continue
        for plot_id, definition in entry.items():
            if isinstance(definition, dict) and isinstance(definition.get("y"), dict):
                found[plot_id] = {**{key: _resolve(value, paths, where) if isinstance(value, str) else value
                                     for key, value in definition.items() if key != "y"},
                                  "y": {_resolve(name, paths, where): fields
                                        for name, fields in definition["y"].items()}}
    return found


def links_out(repo: Path = Path(".")) -> list[tuple[str, Path]]:
    """Declared paths that are, or lie under, a symbolic link leading out of the repository: (path, where it
    leads). DVC removes a stage's outputs before it runs the stage, following such a link (and has been seen
    to leave its target world-writable), so these are refused before any stage runs."""
    root = Path(repo).resolve()
    found = []
    for declared in declared_paths(repo).values():
        prefixes = [root.joinpath(*Path(declared).parts[:n]) for n in range(1, len(Path(declared).parts) + 1)]
        if any(prefix.is_symlink() for prefix in prefixes):
            target = (root / declared).resolve()  # through every link on the way, chains of links included
            if not target.is_relative_to(root):
                found.append((declared, target))
    return found


@dataclass(frozen=True)
class Stage:
    name: str
    argv: list[str]       # the command dvc.lock records, variables resolved
    reads_params: bool    # it lists params (or params.yaml) among its dependencies


def locked_stages(repo: Path) -> list[Stage]:
    """dvc.yaml's stages in its order (upstream first), each with the command dvc.lock records for it.
    dvc.lock keeps entries of stages since removed from dvc.yaml: those are skipped."""
    pipeline = _read(Path(repo) / DVC_YAML)["stages"]
    lock = _read(Path(repo) / DVC_LOCK)["stages"]
    missing = [name for name in pipeline if name not in lock]
    if missing:
        raise UsageError(f"dvc.lock has no command for {', '.join(missing)}: run `dvc repro` and commit dvc.lock")
    return [Stage(name, shlex.split(lock[name]["cmd"]), "params" in spec or "params.yaml" in spec.get("deps", []))
            for name, spec in pipeline.items()]
