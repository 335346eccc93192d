"""YAML read as a person writes params and grid files, and nothing more: a bounded number of bytes, no
anchors or aliases (a kilobyte of nested aliases expands to gigabytes), no key written twice in a mapping
(YAML keeps the last one, silently), and plain data only (safe_load's types). Every refusal is one line
naming the file, the line and what is allowed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# Params and grid files are a few kilobytes; a megabyte is far past any honest one, and bounds the read
# of a path like /dev/zero.
MAX_BYTES = 1 << 20
# Nesting deeper than this is no params file either, and would exhaust the parser's recursion.
MAX_DEPTH = 50
QUOTE = 40  # characters of a value an error message quotes, at most


class YamlRefused(ValueError):
    """The file is unreadable, too large, not YAML, or uses what this reader refuses."""


def shown(value: Any) -> str:
    """A value as an error message quotes it: its repr, cut to QUOTE characters."""
    text = repr(value)
    return text if len(text) <= QUOTE else text[:QUOTE] + "...'"


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(f"line {line}: an alias (*{event.anchor}); write the value out instead")
        if getattr(event, "anchor", None):
            raise YamlRefused(f"line {line}: an anchor (&{event.anchor}); write each value out instead")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlRefused(f"line {line}: nested more than {MAX_DEPTH} deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise YamlRefused(f"line {key_node.start_mark.line + 1}: a key must be a plain value")
            if key in seen:
                raise YamlRefused(f"line {key_node.start_mark.line + 1}: key {shown(key)} is written twice; "
                                  f"YAML would keep the last one silently")
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_yaml(text: str) -> Any:
    """Parse YAML text with the refusals above (YamlRefused, without the file's name)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise YamlRefused(f"not valid YAML{line}: {getattr(error, 'problem', None) or error}") from None


def read_bounded(path: Path, limit: int = MAX_BYTES) -> str:
    """A text file's content, reading at most `limit` bytes; a longer file (or a device) is refused."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise YamlRefused(f"{path}: cannot read: {error.strerror or error}") from None
    if len(data) > limit:
        raise YamlRefused(f"{path}: more than {limit:,} bytes; a params or grid file is a few kilobytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlRefused(f"{path}: not UTF-8 text") from None


def load_yaml_file(path: Path) -> Any:
    """A YAML file read with a bound and the refusals above; errors name the file."""
    text = read_bounded(path)
    try:
        return load_yaml(text)
    except YamlRefused as error:
        raise YamlRefused(f"{path}: {error}") from None
