"""Figures drawn as PNG images: dvc.yaml's plots from their templates (vega), the LSTM's states (states), one
matplotlib writer (png)."""
