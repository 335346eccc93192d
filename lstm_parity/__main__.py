"""`python -m lstm_parity COMMAND ...`: the same commands as the `lstm-parity` console script."""
from lstm_parity.commands import console

console()
