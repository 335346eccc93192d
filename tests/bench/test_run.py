"""bench/run.py's pure parts: the markdown the docs embed, rendered from small results dicts, and the
README's generated blocks against the committed results. Nothing here measures."""
from __future__ import annotations

import pytest

from bench import run as bench
from lstm_parity.metrics import PASS_BAR
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


def seeds_results(recipe: str = "default", overrides: dict | None = None, passes: tuple = (True, False)) -> dict:
    runs = [{"seed": seed, "heldout": 1.0 if ok else 0.5, "length_1000": 0.998 if ok else 0.49, "passes": ok}
            for seed, ok in enumerate(passes)]
    return {"recipe": recipe, "overrides": overrides or {}, "bar": PASS_BAR, "runs": runs,
            "passed": sum(passes), "measured_on": MEASURED_ON, "params": {"train": TRAIN}}


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


def test_seeds_is_one_table_in_a_fixed_order_whatever_the_files_order():
    results = [seeds_results("post"), seeds_results("default", {"units": 1}), seeds_results()]
    text = bench.seeds_markdown(results)
    assert text == bench.seeds_markdown(list(reversed(results)))
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == ["python bench/run.py seeds --seeds 2",
                                                  "python bench/run.py seeds --set units=1 --seeds 2",
                                                  "python bench/run.py seeds --recipe post --seeds 2"]
    assert rows[0].endswith("| 1/2 | 1.000 0.500 | 0.998 0.490 |")
    assert "| command | recipe | pass | held-out accuracy, seeds 0..1 | length-1000 accuracy, seeds 0..1 |" in text
    # One commit and machine for all three: one measured line naming the three commands.
    assert text.count("Measured on commit") == 1


def test_seeds_of_different_ranges_do_not_share_a_table():
    with pytest.raises(SystemExit, match="different seeds"):
        bench.seeds_markdown([seeds_results(passes=(True,)), seeds_results("post")])


@pytest.mark.parametrize(("train", "text"), [
    (TRAIN, "4 units, Adam 0.02, batch 128, stop at accuracy 0.999 and confidence 0.99 or after 10 epochs"),
    ({**TRAIN, **bench.POST_RECIPE, "jit_compile": True}, "1 unit, Adam 0.001, batch 128, 10 epochs, XLA on"),
    ({**TRAIN, "target_confidence": None, "supervision": "final"},
     "4 units, Adam 0.02, batch 128, stop at accuracy 0.999 or after 10 epochs, final supervision"),
])
def test_recipe_text(train, text):
    assert bench.recipe_text(train) == text


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


@pytest.mark.parametrize("kind", ["compare", "seeds", "scale"])
def test_tables_render_from_the_committed_results_the_same_every_time(kind):
    folder = PROJECT / "bench" / "results"
    assert bench.results_markdown(kind, folder) == bench.results_markdown(kind, folder)
