"""params.yaml, read once into frozen dataclasses and checked before any work is done.

Every key is required and every unknown key is an error: DVC tracks params per key, so a misspelled key
would otherwise be ignored in silence while its default is used. Errors name the key as it is written in
params.yaml and say what is allowed.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PARAMS_FILE = Path("params.yaml")


SUPERVISIONS = ("per_step", "final")


class ParamsError(ValueError):
    """params.yaml is unreadable or holds a value that is not allowed."""


def _positive(name: str, value) -> str | None:
    return None if value >= 1 else "must be >= 1"


def _non_negative(name: str, value) -> str | None:
    return None if value >= 0 else "must be >= 0"


def _rate(name: str, value) -> str | None:
    return None if value > 0 and math.isfinite(value) else "must be a finite number > 0"


def _fraction(name: str, value) -> str | None:
    if value is None:
        return None
    return None if 0 < value <= 1 else "must be > 0 and <= 1, or null to train every epoch"


def _anything(name: str, value) -> str | None:
    return None


def _one_of(*allowed: str):
    def check(name: str, value) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"
    return check


def _optional_positive(name: str, value) -> str | None:
    return None if value is None or value >= 1 else "must be >= 1, or null"


def check(fn=_anything):
    """A required field whose value, once of the right type, must also pass fn (None means it does)."""
    return field(metadata={"check": fn})


@dataclass(frozen=True)
class DataParams:
    seq_len: int = check(_positive)
    count: int = check(_positive)
    seed: int = check(_non_negative)
    # Extra sequences generated beside the training set, never fitted, to tell when to stop.
    validation_count: int = check(_non_negative)
    # null: every sequence is seq_len long; otherwise each training, validation and held-out sequence
    # has its own length, drawn uniformly from min_len to seq_len, and is padded to seq_len.
    min_len: int | None = check(_optional_positive)


@dataclass(frozen=True)
class TrainParams:
    units: int = check(_positive)
    epochs: int = check(_positive)
    batch_size: int = check(_positive)
    learning_rate: float = check(_rate)
    seed: int = check(_non_negative)
    # Stop once, on the validation set, final-step accuracy reaches target_accuracy and the mean
    # probability of the model's own final answers reaches target_confidence (null: not required;
    # both null: train every epoch).
    target_accuracy: float | None = check(_fraction)
    target_confidence: float | None = check(_fraction)
    check_every: int = check(_positive)
    jit_compile: bool = check()
    # per_step: a loss at every position (the post); final: at each sequence's last position only.
    supervision: str = check(_one_of(*SUPERVISIONS))


@dataclass(frozen=True)
class EvaluateParams:
    lengths: tuple[int, ...] = check()
    count: int = check(_positive)
    seed: int = check(_non_negative)


@dataclass(frozen=True)
class Params:
    data: DataParams
    train: TrainParams
    evaluate: EvaluateParams


def _type_error(key: str, expected: str, value: Any) -> ParamsError:
    shown = "null" if value is None else repr(value)
    return ParamsError(f"{key} must be {expected}, got {shown} ({type(value).__name__})")


def _convert(key: str, hint, value: Any):
    """Check one YAML value against a field's type; YAML's surprises (true as a count, "50" as a length,
    2.5 as a length) are errors, not conversions."""
    if isinstance(hint, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        (hint,) = [a for a in args if a is not type(None)]
    if hint is bool:
        if not isinstance(value, bool):
            raise _type_error(key, "true or false", value)
        return value
    if hint is str:
        if not isinstance(value, str):
            raise _type_error(key, "a string", value)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(key, "an integer", value)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(key, "a number", value)
        return float(value)
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not value:
            raise _type_error(key, "a non-empty list of integers", value)
        return tuple(_convert(f"{key}[{i}]", int, item) for i, item in enumerate(value))
    raise TypeError(f"no rule for {hint}")  # a programming error in this module, not a user error


def _section(name: str, cls, raw: Any):
    if not isinstance(raw, dict):
        raise _type_error(name, "a mapping of keys", raw)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(raw) - set(fields), key=str)
    if unknown:
        raise ParamsError(f"unknown key {name}.{unknown[0]}; allowed in {name}: {', '.join(fields)}")
    missing = [k for k in fields if k not in raw]
    if missing:
        raise ParamsError(f"missing key {name}.{missing[0]}")
    values = {}
    for key, f in fields.items():
        full = f"{name}.{key}"
        value = _convert(full, hints[key], raw[key])
        problem = f.metadata["check"](full, value)
        if problem:
            raise ParamsError(f"{full} {problem}, got {raw[key]!r}")
        values[key] = value
    return cls(**values)


def parse(raw: Any) -> Params:
    """Validate the loaded YAML document and build Params, or raise ParamsError naming the key."""
    if not isinstance(raw, dict):
        raise ParamsError("must be a mapping with sections data, train and evaluate")
    sections = {f.name: f.type for f in dataclasses.fields(Params)}
    hints = typing.get_type_hints(Params)
    unknown = sorted(set(raw) - set(sections), key=str)
    if unknown:
        raise ParamsError(f"unknown section {unknown[0]}; allowed: {', '.join(sections)}")
    missing = [k for k in sections if k not in raw]
    if missing:
        raise ParamsError(f"missing section {missing[0]}")
    params = Params(**{name: _section(name, hints[name], raw[name]) for name in sections})
    _check_across(params)
    return params


def _check_across(params: Params) -> None:
    if params.data.min_len is not None and params.data.min_len > params.data.seq_len:
        raise ParamsError(f"data.min_len must be at most data.seq_len ({params.data.seq_len}), or null, "
                          f"got {params.data.min_len}")
    for i, length in enumerate(params.evaluate.lengths):
        if length <= params.data.seq_len:
            raise ParamsError(f"evaluate.lengths[{i}] must be longer than data.seq_len "
                              f"({params.data.seq_len}), got {length}")
    if len(set(params.evaluate.lengths)) != len(params.evaluate.lengths):
        raise ParamsError(f"evaluate.lengths must not repeat a length, got "
                          f"{list(params.evaluate.lengths)}")
    if params.train.batch_size > params.data.count:
        raise ParamsError(f"train.batch_size must be at most data.count ({params.data.count}), "
                          f"got {params.train.batch_size}")
    for key in ("target_accuracy", "target_confidence"):
        if getattr(params.train, key) is not None and params.data.validation_count == 0:
            raise ParamsError(f"train.{key} needs data.validation_count >= 1 to measure it; "
                              f"set it to null to train every epoch")


def load(path: Path = PARAMS_FILE) -> Params:
    try:
        text = path.read_text()
    except OSError as error:
        raise ParamsError(f"{path}: cannot read: {error.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise ParamsError(f"{path}: not valid YAML{line}: {getattr(error, 'problem', error)}") from None
    try:
        return parse(raw)
    except ParamsError as error:
        raise ParamsError(f"{path}: {error}") from None
