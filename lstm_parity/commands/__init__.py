"""The commands a person types, in one place: `lstm-parity COMMAND ...` (a console script of the package)
or, the same, `python -m lstm_parity COMMAND ...`. Each command is a module here with a `main(argv)`;
errors a user can cause end as one line and exit status 2 (lstm_parity.cli)."""
from __future__ import annotations

import importlib
import sys

from lstm_parity import cli

# Command name -> (module, what it does). Modules are imported only when their command runs, so that
# `lstm-parity --help` and the light commands pay for no heavy import.
COMMANDS = {
    "predict": ("lstm_parity.commands.predict", "the trained model's parity for a bit string"),
    "sweep": ("lstm_parity.commands.sweep", "run a grid of DVC experiments over machines, or collect it"),
    "params": ("lstm_parity.commands.params_table", "print every param's value and meaning as a table"),
}
PROG = "lstm-parity"


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"usage: {PROG} COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {about}" for name, (_, about) in COMMANDS.items()]
    lines += ["", f"`{PROG} COMMAND --help` for a command's arguments."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, *rest = argv
    if name not in COMMANDS:
        print(f"error: unknown command {name!r}; the commands are {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return cli.run(module.main, rest)


def console() -> None:
    """The console script's entry point."""
    sys.exit(main())
