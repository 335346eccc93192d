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

from lstm_parity import splits
from lstm_parity.errors import ParamsError
from lstm_parity.safe_yaml import QUOTE, YamlRefused, load_yaml_file, shown

PARAMS_FILE = Path("params.yaml")


SUPERVISIONS = ("per_step", "final")


def _positive(value) -> str | None:
    return None if value >= 1 else "must be >= 1"


def _non_negative(value) -> str | None:
    return None if value >= 0 else "must be >= 0"


def _seed(value) -> str | None:
    # numpy's legacy seeding, which keras.utils.set_random_seed calls, takes 32 bits
    return None if 0 <= value < 2**32 else "must be >= 0 and < 2**32"


def _rate(value) -> str | None:
    return None if value > 0 and math.isfinite(value) else "must be a finite number > 0"


def _fraction(value) -> str | None:
    if value is None:
        return None
    return None if 0 < value <= 1 else "must be > 0 and <= 1, or null to train every epoch"


def _two_or_more(value) -> str | None:
    return None if value >= 2 else "must be >= 2"


def _anything(value) -> str | None:
    return None


def _one_of(*allowed: str):
    def check(value) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"
    return check


def _optional_positive(value) -> str | None:
    return None if value is None or value >= 1 else "must be >= 1, or null"


def param(rule=_anything, doc: str = ""):
    """A required key whose value, once of the right type, must also pass `rule` (None means it does).
    `doc` is the key's meaning: the one description of it, printed by `lstm-parity params`."""
    return field(metadata={"rule": rule, "doc": doc})


@dataclass(frozen=True)
class DataParams:
    seq_len: int = param(_positive, "training sequence length (the post's SEQ_LEN)")
    count: int = param(_positive, "training sequences (the post's COUNT)")
    seed: int = param(_seed, "seed of the training and validation sets")
    validation_count: int = param(_non_negative, "extra sequences beside the training set, never fitted, "
                                                  "that tell training when to stop")
    min_len: int | None = param(_optional_positive, "null: every sequence is `seq_len` long; else the "
                                "training, validation and held-out lengths are drawn from `min_len`..`seq_len` "
                                "and padded")


@dataclass(frozen=True)
class TrainParams:
    units: int = param(_positive, "LSTM units")
    epochs: int = param(_positive, "most epochs to train")
    batch_size: int = param(_positive, "sequences per batch")
    learning_rate: float = param(_rate, "Adam's learning rate")
    seed: int = param(_seed, "Keras's seed (weights) and the shuffling seed")
    target_accuracy: float | None = param(_fraction, "stop once validation final-step accuracy reaches this ...")
    target_confidence: float | None = param(_fraction, "... and validation confidence (the mean probability of "
                                            "the model's own final answers) this; `null` drops a condition, "
                                            "both `null` train every epoch")
    check_every: int = param(_positive, "batches between validation checks")
    jit_compile: bool = param(doc="XLA: faster steps after seconds of compiling; pays for runs of an epoch "
                                  "or more")
    supervision: str = param(_one_of(*SUPERVISIONS), "`per_step`: a loss at every position (the post); "
                             "`final`: at each sequence's last bit only")


@dataclass(frozen=True)
class EvaluateParams:
    lengths: tuple[int, ...] = param(doc="longer lengths to test on; each must exceed `data.seq_len`")
    heldout_count: int = param(_positive, "sequences in the held-out set, at the training lengths, drawn from "
                                          "strings no training set holds (lstm_parity/splits.py)")
    count: int = param(_positive, "sequences in each length set")
    seed: int = param(_seed, "seed of the held-out and length sets")


@dataclass(frozen=True)
class ExplainParams:
    count: int = param(_positive, "random sequences whose LSTM states the explain stage records, to read "
                                  "the model's automaton off them and project them to 2-D")
    length: int = param(_two_or_more, "bits in each of them (the first is the one the state figure follows)")
    seed: int = param(_seed, "seed of those sequences and of the clustering")


@dataclass(frozen=True)
class Params:
    data: DataParams
    train: TrainParams
    evaluate: EvaluateParams
    explain: ExplainParams


def _yaml_value(value: Any) -> str:
    """A value as YAML would print it, with what YAML made of it where that surprises people."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes, no, on, off, true and false as true or false)"
    if value is None:
        return "null"
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return shown(value)
        written = int(number) if number.is_integer() else number
        return f"{shown(value)}, which YAML reads as text, not a number: write {shown(written)}"
    if isinstance(value, list | dict):
        return f"{shown(value)} (a {type(value).__name__})"
    return shown(value)


def _type_error(key: str, expected: str, value: Any) -> ParamsError:
    return ParamsError(f"{key} must be {expected}, got {_yaml_value(value)}")


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


def _check_keys(raw: Any, allowed: list[str], kind: str, where: str = "") -> None:
    """`raw` must be a mapping with exactly the `allowed` keys; `where` is its section ("" at the top)."""
    prefix = f"{where}." if where else ""
    if not isinstance(raw, dict):
        if where:
            raise _type_error(where, "a mapping of keys", raw)
        raise ParamsError(f"must be a mapping with sections {', '.join(allowed)}")
    unknown = sorted(set(raw) - set(allowed), key=str)
    if unknown:
        within = f" in {where}" if where else ""
        raise ParamsError(f"unknown {kind} {prefix}{str(unknown[0])[:QUOTE]}; allowed{within}: {', '.join(allowed)}")
    missing = [k for k in allowed if k not in raw]
    if missing:
        raise ParamsError(f"missing {kind} {prefix}{missing[0]}")


def _section(name: str, cls, raw: Any):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _check_keys(raw, list(fields), "key", name)
    hints = typing.get_type_hints(cls)
    values = {}
    for key, f in fields.items():
        full = f"{name}.{key}"
        value = _convert(full, hints[key], raw[key])
        problem = f.metadata["rule"](value)
        if problem:
            raise ParamsError(f"{full} {problem}, got {shown(raw[key])}")
        values[key] = value
    return cls(**values)


SECTIONS = typing.get_type_hints(Params)  # section name -> its dataclass


def parse(raw: Any) -> Params:
    """Validate the loaded YAML document and build Params, or raise ParamsError naming the key."""
    _check_keys(raw, list(SECTIONS), "section")
    params = Params(**{name: _section(name, cls, raw[name]) for name, cls in SECTIONS.items()})
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
    _check_splits(params.data, "data.validation_count", params.data.validation_count)
    _check_splits(params.data, "evaluate.heldout_count", params.evaluate.heldout_count)
    if params.train.batch_size > params.data.count:
        raise ParamsError(f"train.batch_size must be at most data.count ({params.data.count}), "
                          f"got {params.train.batch_size}")
    for key in ("target_accuracy", "target_confidence"):
        if getattr(params.train, key) is not None and params.data.validation_count == 0:
            raise ParamsError(f"train.{key} needs data.validation_count >= 1 to measure it; "
                              f"set it to null to train every epoch")


def _check_splits(data: DataParams, key: str, count: int) -> None:
    """A validation or held-out set draws from strings kept from training (lstm_parity.splits): at short
    lengths there are few, and more draws than strings would mostly repeat them."""
    fit = splits.capacity(data.seq_len, data.min_len)
    if count <= fit:
        return
    lengths = f"data.seq_len {data.seq_len}" if data.min_len is None else \
        f"lengths {data.min_len}..{data.seq_len}"
    which = "validation" if key.startswith("data.") else "held-out"
    room = (f"the {which} set draws from {fit:,} strings kept from training (an eighth of a length's strings, "
            f"{splits.MAX_SPLIT_KEYS:,} at most)" if fit else
            f"strings of fewer than {splits.MIN_SPLIT_LENGTH} bits are too few to keep any from training")
    longer = splits.shortest_length_holding(count, data.min_len)
    instead = f"data.seq_len {longer} or more" if longer else "lengths that vary (data.min_len)"
    raise ParamsError(f"{key} {count:,} does not fit: at {lengths} {room}; at most {fit:,}, or {instead}")


def keys() -> list[str]:
    """Every key of params.yaml, as section.key, in the order of the dataclasses."""
    return [f"{name}.{f.name}" for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)]


def flow_yaml(value: Any) -> str:
    """A value as YAML writes it in flow style, on one line: how `dvc exp run -S key=value` reads it
    back, and how the docs show a value (null, true, [16, 24], 0.02)."""
    if isinstance(value, tuple):
        value = list(value)
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).removesuffix("\n...\n").strip()


def documented(params: Params) -> list[tuple[str, Any, str]]:
    """Every key as section.key, its value in `params` and its meaning, in the order of the dataclasses."""
    return [(f"{name}.{f.name}", getattr(getattr(params, name), f.name), f.metadata["doc"])
            for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)]


# The params this process read, by file: what each held then. DVC reads params.yaml for its lock after a
# stage's command ran, so a stage checks, before it exits, that the file still holds what it ran with
# (assert_unchanged, which lstm_parity.cli.run calls): otherwise DVC would record params the stage never
# saw, and its run cache would hand this stage's outputs out under them.
_READ: dict[Path, Params] = {}


def load(path: Path = PARAMS_FILE) -> Params:
    """params.yaml read with a bound and the safe YAML reader (lstm_parity.safe_yaml), then checked, and
    remembered for assert_unchanged."""
    params = _read(Path(path))
    _READ[Path(path).resolve()] = params
    return params


def _read(path: Path) -> Params:
    try:
        raw = load_yaml_file(path)
    except YamlRefused as error:
        raise ParamsError(str(error)) from None
    try:
        return parse(raw)
    except ParamsError as error:
        raise ParamsError(f"{path}: {error}") from None


def _differences(before: Params, now: Params) -> list[str]:
    """`section.key: then -> now` for each key whose value differs."""
    return [f"{key}: {flow_yaml(then)} -> {flow_yaml(value)}"
            for (key, then, _), (_, value, _) in zip(documented(before), documented(now), strict=True) if then != value]


def forget_reads() -> None:
    """Start the record assert_unchanged checks afresh (lstm_parity.cli.run does, before each command): a
    process that ran something else first, as a test or the cell runner does, is held only to what this
    command read."""
    _READ.clear()


def assert_unchanged() -> None:
    """Refuse to finish when a params file this process read holds other params now (edited while the
    stage ran): ParamsError naming the keys, so the stage fails and DVC records neither its lock entry nor
    its run cache. A file made unreadable meanwhile counts as changed."""
    for path, params in _READ.items():
        try:
            now = _read(path)
        except ParamsError as error:
            raise ParamsError(f"{path.name} changed while this stage ran and is no longer valid ({error}); nothing "
                              f"of this run is recorded: fix it and run `dvc repro` again") from None
        changed = _differences(params, now)
        if changed:
            raise ParamsError(f"{path.name} changed while this stage ran ({'; '.join(changed)}); it ran with the "
                              f"values before, so nothing of this run is recorded: run `dvc repro` again")
