"""Sweeps of DVC experiments: the grid (grid), running and collecting it (experiments), and the machines
stood in for on one (local)."""
