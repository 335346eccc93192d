"""Figures drawn as PNG images: one writer (png), the run's results (results), the LSTM's states (states)."""
