"""bench/run.py's pure parts: the markdown the docs embed, rendered from small results dicts, and the
README's generated blocks against the committed results. Nothing here measures."""
from __future__ import annotations

import pytest

from bench import run as bench
from lstm_parity.pipeline import locked_stages
from tests.conftest import PROJECT

MEASURED_ON = {"commit": "0123456789abcdef", "modified": False, "machine": {"cores": 2, "cpu": "Test CPU"},
               "versions": {"python": "3.11.9", "tensorflow": "2.21.0", "keras": "3.13.0", "dvc": "3.67.1",
                            "numpy": "2.3.0"}}
TRAIN = {"units": 4, "epochs": 10, "batch_size": 128, "learning_rate": 0.02, "target_accuracy": 0.999,
         "target_confidence": 0.99, "check_every": 25, "jit_compile": False, "supervision": "per_step"}


def stage(name: str, wall_s: float, peak_rss_mb: int, **extra) -> dict:
    return {"stage": name, "wall_s": wall_s, "peak_rss_mb": peak_rss_mb, **extra}


def compare_results() -> dict:
    return {
        "measured_on": MEASURED_ON, "params": {"train": TRAIN}, "speedup": 5.0,
        "baseline": {"total_s": 50.0, "peak_rss_mb": 1300, "import_s": 2.0, "generate_s": 10.0, "train_s": 34.0,
                     "demo_s": 4.0, "heldout_accuracy": 1.0},
        "pipeline": {"repro_wall_s": 10.0, "repro_peak_rss_mb": 700, "reached_target": True,
                     "stages": [stage("generate_train", 0.2, 50), stage("train", 6.0, 600, fit_s=2.5)],
                     "epochs_to_target": 0.25, "seconds_to_target": 2.5, "train_sequence_steps_per_s": 448000,
                     "generate_train_bits_per_s": 25_000_000, "accuracy": {"heldout": 1.0, "length_100": 0.9995},
                     "confidence": {"heldout": 0.99652, "length_100": 0.99}},
    }


def test_compare_lists_the_stages_in_run_order_under_a_measured_line():
    lines = bench.compare_markdown(compare_results()).splitlines()
    assert lines[0] == ("Measured on commit 0123456 (Test CPU, 2 cores; Python 3.11.9, TensorFlow 2.21.0, "
                        "Keras 3.13.0, DVC 3.67.1, NumPy 2.3.0), `python bench/run.py compare`.")
    assert lines[2:5] == ["| run | wall s | peak RSS MB |", "|---|---:|---:|",
                          "| post's script, end to end | 50.0 | 1300 |"]
    assert lines[7:9] == ["| &nbsp; `generate_train` | 0.2 | 50 |", "| &nbsp; `train` | 6.0 | 600 |"]
    assert "**5.0x**" in lines[10] and "4.48e+05 sequence steps/s" in lines[10]
    assert lines[11].endswith("the pipeline heldout 1.0000, length_100 0.9995 (confidence 0.9965, 0.9900).")
    assert lines[12].startswith("- The train stage spent 3.5 s of its 6.0 s outside fitting")


def test_predict_is_a_line_of_whole_process_timings_and_refuses_results_without_them():
    results = compare_results()
    results["pipeline"]["predict"] = [{"bits": 7, "wall_s": 0.234, "peak_rss_mb": 43},
                                      {"bits": 1_000_000, "wall_s": 0.31, "peak_rss_mb": 48}]
    assert bench.predict_markdown(results) == (
        "`lstm-parity predict` runs the model in numpy, without TensorFlow: 7 bits in 0.23 s (43 MB) and 1,000,000 "
        "bits in 0.31 s (48 MB), each a whole process (commit 0123456, `python bench/run.py compare`).\n")
    with pytest.raises(SystemExit, match="no predict timings"):
        bench.predict_markdown(compare_results())


def test_scale_sums_up_memory_from_the_points():
    def point(count, seq_len, train_mb):
        return {"count": count, "seq_len": seq_len, "bits": count * seq_len, "generate_train_bits_per_s": count,
                "stages": [stage(name, 1.0, train_mb if name == "train" else 40)
                           for name in ("generate_train", "generate_heldout", "train", "evaluate")]}

    results = {"measured_on": MEASURED_ON, "disk_write_bytes_per_s": 4e8,
               "points": [point(1000, 50, 800), point(100_000, 50, 830), point(100, 5000, 1300)]}
    text = bench.scale_markdown(results)
    assert "| 100,000 | 50 | 5e+06 | 1.0 / 40 | 1.0 / 40 | 1.0 / 830 | 1.0 / 40 |" in text
    assert text.endswith("- Training's peak RSS: 800 MB at count 1,000 and 830 MB at count 100,000 (seq_len 50); "
                         "1300 MB at seq_len 5,000.\n")


def test_pipeline_stages_follow_dvc_yaml_with_dvc_lock_commands():
    stages = locked_stages(PROJECT)
    assert [s.name for s in stages] == ["check_params", "generate_train", "generate_heldout", "generate_lengths",
                                        "train", "evaluate", "explain", "report", "plots_page"]
    train = next(s for s in stages if s.name == "train")
    assert bench.stage_argv(train, PROJECT / "p.yaml", PROJECT / "t.json")[-4:] == [
        "--params", str(PROJECT / "p.yaml"), "--timings", str(PROJECT / "t.json")]
    report = next(s for s in stages if s.name == "report")
    assert not report.reads_params  # report takes no --params


@pytest.mark.parametrize("kind", ["compare", "scale"])
def test_tables_render_from_the_committed_results_the_same_every_time(kind):
    folder = PROJECT / "bench" / "results"
    assert bench.results_markdown(kind, folder) == bench.results_markdown(kind, folder)
