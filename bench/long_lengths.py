"""The default model at lengths 10^4, 10^5 and 10^6 (200 sequences each), evaluated in column segments
with the LSTM state carried (stages/inference.py): accuracy, confidence, wall seconds and peak RSS. Run
from the project root, with the project's environment active and a trained model (`dvc repro`):

    python bench/long_lengths.py              # the table; writes bench/results/long_lengths.json
    python bench/long_lengths.py segments     # seconds per step by segment length, at length 10^5

Each evaluation runs in its own process under /usr/bin/time (wall seconds include importing Keras and
compiling the loop; peak RSS is the whole process's). The sets are made as the pipeline makes a length
set (stages.parity.generate_chunks, stream STREAM_LENGTH, evaluate.seed 0), written once to a cache
folder (default /tmp/parity-long-lengths, 400 MB at 10^6) and read back segment by segment.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
RESULTS = PROJECT / "bench" / "results"
LENGTHS = (10_000, 100_000, 1_000_000)
COUNT, SEED = 200, 0


def write_set(folder: Path, count: int, length: int, seed: int) -> None:
    """bits.npy and targets.npy of a length set, as the generate stage makes them, chunk by chunk."""
    from stages.parity import STREAM_LENGTH, generate_chunks

    tmp = folder.with_name(folder.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    header = {"descr": "|u1", "fortran_order": False, "shape": (count, length)}
    with open(tmp / "bits.npy", "wb") as bits_out, open(tmp / "targets.npy", "wb") as targets_out:
        for out in (bits_out, targets_out):
            np.lib.format.write_array_header_1_0(out, header)
        for bits, targets in generate_chunks(count, length, seed, STREAM_LENGTH):
            bits_out.write(bits.data)
            targets_out.write(targets.data)
    tmp.rename(folder)


def evaluate(model_path: Path, folder: Path, segment_steps: int | None) -> dict:
    """The child process: evaluate one set; the seconds exclude start-up (import, model load)."""
    from stages import inference
    from stages.model import load_model

    model = load_model(model_path)
    bits, targets = inference.NpyColumns(folder / "bits.npy"), inference.NpyColumns(folder / "targets.npy")
    count, length = bits.shape
    start = time.perf_counter()
    result = inference.evaluate_columns(model, inference.paired_columns(bits, targets), count, length,
                                        segment_steps)
    seconds = time.perf_counter() - start
    segment_steps = segment_steps or inference.default_segment_steps(count)
    return {**inference.summarise(result, length), "evaluate_s": round(seconds, 2), "segment_steps": segment_steps,
            "us_per_step": round(seconds / length * 1e6, 2)}


def timed_child(model: Path, folder: Path, segment_steps: int | None) -> dict:
    cmd = [sys.executable, __file__, "child", "--model", str(model), "--set", str(folder)]
    if segment_steps is not None:
        cmd += ["--segment-steps", str(segment_steps)]
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %M", *cmd], cwd=PROJECT,
                                env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr[-3000:]}")
        wall, rss_kb = report.read().split()[-2:]
    return {**json.loads(result.stdout.splitlines()[-1]), "wall_s": float(wall),
            "peak_rss_mb": round(int(rss_kb) / 1024)}


def ensure_set(cache: Path, length: int) -> Path:
    folder = cache / f"length_{length}_count_{COUNT}_seed_{SEED}"
    if not folder.is_dir():
        write_set(folder, COUNT, length, SEED)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="table", choices=["table", "segments", "child"])
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "model.keras")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/parity-long-lengths"))
    parser.add_argument("--set", type=Path, help="(child) the set's folder")
    parser.add_argument("--segment-steps", type=int, default=None)
    args = parser.parse_args(argv)
    if args.mode == "child":
        print(json.dumps(evaluate(args.model, args.set, args.segment_steps)))
        return 0
    if args.mode == "segments":
        folder = ensure_set(args.cache, 100_000)
        rows = [timed_child(args.model, folder, steps) for steps in (1024, 4096, 8192, 32768, 100_000)]
        print(f"{'segment':>8} {'us/step':>8} {'evaluate s':>10} {'wall s':>7} {'peak MB':>8}")
        for r in rows:
            print(f"{r['segment_steps']:>8} {r['us_per_step']:>8} {r['evaluate_s']:>10} {r['wall_s']:>7} "
                  f"{r['peak_rss_mb']:>8}")
        out = RESULTS / "long_lengths_segments.json"
    else:
        rows = [timed_child(args.model, ensure_set(args.cache, length), args.segment_steps)
                for length in LENGTHS]
        print(f"{'length':>9} {'count':>5} {'accuracy':>8} {'step acc':>8} {'confidence':>10} {'wall s':>7} "
              f"{'eval s':>7} {'peak MB':>8}")
        for r in rows:
            print(f"{r['length']:>9} {r['count']:>5} {r['accuracy']:>8.4f} {r['step_accuracy']:>8.4f} "
                  f"{r['confidence']:>10.4f} {r['wall_s']:>7} {r['evaluate_s']:>7} {r['peak_rss_mb']:>8}")
        out = RESULTS / "long_lengths.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"model": str(args.model.relative_to(PROJECT)) if args.model.is_relative_to(PROJECT)
                               else str(args.model), "rows": rows}, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
