"""Markdown for the docs' generated blocks: tables of results, written the same way everywhere."""
from __future__ import annotations


def table(header: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table's lines: the header, the alignment row (e.g. '---:' per column), a line per row."""
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]
