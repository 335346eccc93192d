"""Probe (issue 13, part 4): can interval arithmetic certify that the default model answers every length
correctly? Prints why not. Run from the project root with a trained model:

    python studies/certify/probe.py [--model models/model.keras]

Three checks, each on the states (h, c) reached on 200 random sequences of 3,000 bits:
1. One box per parity (the states' bounding box, 5% margin): is it invariant in truth? Random points of
   each box are mapped one step (exactly, no intervals) and the share landing in the right box printed,
   with the readout's worst margin over each box (negative: the box holds states answered wrongly).
2. Set-oriented closure on a grid of G cells per dimension: start from the cells holding reached states,
   add every cell the interval image of a region cell touches, until closed (a certificate, after the
   readout check on every cell) or past 200,000 cells (no certificate at that resolution).
3. Why: the spectral radius of the one-step Jacobian J and of |J| at reached states. Axis-aligned interval
   boxes, under any scaling of the axes, cannot shrink under a step where rho(|J|) > 1.
Writes results/probe.json.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from lstm_parity.files import write_json
from lstm_parity.inference import random_trajectories
from lstm_parity.keras_file import read_weights

STUDY = Path(__file__).resolve().parent
PROJECT = STUDY.parents[1]
MAX_CELLS = 200_000


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def interval_product(a_lo, a_hi, b_lo, b_hi):
    products = np.stack([a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi])
    return products.min(axis=0), products.max(axis=0)


class IntervalCell:
    """The LSTM cell on boxes of (h, c), float64, Keras's gate order (i, f, g, o); outward by `widen`."""

    def __init__(self, kernel, recurrent, bias):
        self.kernel, self.bias = kernel.astype(np.float64), bias.astype(np.float64)
        self.positive, self.negative = np.maximum(recurrent, 0).astype(np.float64), np.minimum(recurrent, 0)
        self.units = recurrent.shape[0]

    def image(self, lo, hi, bit: int, widen: float = 1e-5):
        u = self.units
        h_lo, h_hi, c_lo, c_hi = lo[:, :u], hi[:, :u], lo[:, u:], hi[:, u:]
        x = self.kernel[0] * bit + self.kernel[1] * (1 - bit) + self.bias  # the pair (bit, not bit)
        z_lo = h_lo @ self.positive + h_hi @ self.negative + x
        z_hi = h_hi @ self.positive + h_lo @ self.negative + x
        (i_lo, f_lo, g_lo, o_lo), (i_hi, f_hi, g_hi, o_hi) = np.split(z_lo, 4, axis=1), np.split(z_hi, 4, axis=1)
        kept = interval_product(sigmoid(f_lo), sigmoid(f_hi), c_lo, c_hi)
        added = interval_product(sigmoid(i_lo), sigmoid(i_hi), np.tanh(g_lo), np.tanh(g_hi))
        c_lo, c_hi = kept[0] + added[0], kept[1] + added[1]
        h_lo, h_hi = interval_product(sigmoid(o_lo), sigmoid(o_hi), np.tanh(c_lo), np.tanh(c_hi))
        return np.concatenate([h_lo, c_lo], 1) - widen, np.concatenate([h_hi, c_hi], 1) + widen

    def point(self, states, bit: int):
        return self.image(states, states, bit, widen=0)[0]


def readout_margin(lo, hi, weights, bias, parity: int, units: int):
    """Worst (logit of parity - logit of the other) over each box: exact, the readout is linear in h."""
    d = weights[:, parity] - weights[:, 1 - parity]
    return np.minimum(d * lo[:, :units], d * hi[:, :units]).sum(axis=1) + bias[parity] - bias[1 - parity]


def closure(cell, states, parity, grid: int, weights, bias, seconds: float = 60) -> dict:
    lo, hi = states.min(axis=0), states.max(axis=0)
    lo, hi = lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)
    width = (hi - lo) / grid
    region = {p: {tuple(c) for c in np.floor((states[parity == p] - lo) / width).astype(int)} for p in (0, 1)}
    occupied = {p: len(region[p]) for p in (0, 1)}
    frontier = [(p, c) for p in (0, 1) for c in sorted(region[p])]
    start, outcome = time.perf_counter(), "closed"
    while frontier:
        if time.perf_counter() - start > seconds:
            outcome = "timed out"
            break
        batch, frontier = frontier[:2000], frontier[2000:]
        for p, bit in itertools.product((0, 1), (0, 1)):
            cells = np.array([c for q, c in batch if q == p])
            if not len(cells):
                continue
            image_lo, image_hi = cell.image(lo + cells * width, lo + (cells + 1) * width, bit)
            if (image_lo < lo).any() or (image_hi > hi).any():
                return {"grid": grid, "outcome": "an image leaves the grid", "occupied": occupied}
            first = np.floor((image_lo - lo) / width).astype(int)
            last = np.minimum(np.floor((image_hi - lo) / width).astype(int), grid - 1)
            for a, b in zip(first, last, strict=True):
                for index in itertools.product(*(range(x, y + 1) for x, y in zip(a, b, strict=True))):
                    if index not in region[p ^ bit]:
                        region[p ^ bit].add(index)
                        frontier.append((p ^ bit, index))
        if len(region[0]) + len(region[1]) > MAX_CELLS:
            outcome = f"more than {MAX_CELLS} cells"
            break
    result = {"grid": grid, "outcome": outcome, "occupied": occupied, "cells": {p: len(region[p]) for p in (0, 1)}}
    if outcome == "closed":
        result["readout_ok"] = all(
            bool((readout_margin(lo + np.array(sorted(region[p])) * width, lo + (np.array(sorted(region[p])) + 1)
                                 * width, weights, bias, p, cell.units) > 0).all()) for p in (0, 1))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "model.keras")
    args = parser.parse_args(argv)
    model = read_weights(args.model)
    trajectories = random_trajectories(model, 200, 3000, np.random.default_rng(0))
    states = trajectories.states.reshape(-1, trajectories.states.shape[-1]).astype(np.float64)
    parity = trajectories.parity.ravel()
    cell = IntervalCell(model.kernel, model.recurrent_kernel, model.bias)
    weights, bias = model.dense_kernel.astype(np.float64), model.dense_bias.astype(np.float64)
    rng = np.random.default_rng(0)
    name = str(args.model.resolve().relative_to(PROJECT)) if args.model.resolve().is_relative_to(PROJECT) \
        else str(args.model)
    report: dict = {"model": name, "states": len(states), "bounding_boxes": {}}

    boxes = {}
    for p in (0, 1):
        lo, hi = states[parity == p].min(axis=0), states[parity == p].max(axis=0)
        boxes[p] = (lo - 0.05 * (hi - lo) - 1e-3, hi + 0.05 * (hi - lo) + 1e-3)
    for p, bit in itertools.product((0, 1), (0, 1)):
        lo, hi = boxes[p]
        target_lo, target_hi = boxes[p ^ bit]
        image = cell.point(lo + (hi - lo) * rng.random((100_000, len(lo))), bit)
        inside = float(((image >= target_lo) & (image <= target_hi)).all(axis=1).mean())
        report["bounding_boxes"][f"parity {p}, bit {bit}"] = {"random_points_inside": round(inside, 4)}
    for p in (0, 1):
        margin = float(readout_margin(boxes[p][0][None], boxes[p][1][None], weights, bias, p, cell.units)[0])
        report["bounding_boxes"][f"parity {p} readout worst margin"] = round(margin, 4)

    report["closure"] = [closure(cell, states, parity, grid, weights, bias) for grid in (16, 64, 256)]

    def jacobian(state, bit, step=1e-6):
        columns = [(cell.point((state + e)[None], bit)[0] - cell.point((state - e)[None], bit)[0]) / (2 * step)
                   for e in np.eye(len(state)) * step]
        return np.array(columns).T

    rho, rho_abs = [], []
    for index in rng.choice(len(states), 1000, replace=False):
        for bit in (0, 1):
            j = jacobian(states[index], bit)
            rho.append(np.abs(np.linalg.eigvals(j)).max())
            rho_abs.append(np.abs(np.linalg.eigvals(np.abs(j))).max())
    quantiles = [0, 0.5, 0.9, 0.99, 1]
    report["jacobian"] = {"quantiles": quantiles, "rho_J": np.quantile(rho, quantiles).round(3).tolist(),
                          "rho_abs_J": np.quantile(rho_abs, quantiles).round(3).tolist(),
                          "share_rho_abs_J_above_1": round(float(np.mean(np.array(rho_abs) > 1)), 4)}
    print(json.dumps(report, indent=2, sort_keys=True))
    out = STUDY / "results" / "probe.json"
    write_json(out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
