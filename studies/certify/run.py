"""Certify the trained model beyond the lengths sampled: find a certificate (float64 search) and check it
rigorously (interval arithmetic with outward rounding over the stored float32 weights; checker.py). Run
from the project root, with the project's environment active, after `dvc repro`:

    python -m studies.certify.run search   # writes results/certificate.json for models/model.keras
    python -m studies.certify.run check    # re-checks it from scratch; writes results/check.json
    python -m studies.certify.run table    # the docs' statement, from results/ only

The certificate is bound to the exact weights (their sha256 digest); `--model` names another file.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lstm_parity.files import write_json
from lstm_parity.pipeline import declared_path
from lstm_parity.provenance import measured_line, measured_on
from studies.certify.checker import CertificateError, check_certificate, load_weights
from studies.certify.search import search

STUDY = Path(__file__).resolve().parent
PROJECT = STUDY.parents[1]
CERTIFICATE = STUDY / "results" / "certificate.json"
CHECK = STUDY / "results" / "check.json"


def statement(check: dict) -> str:
    """What the checked certificate proves, in words, with its figures."""
    gap = check["gap_G"]
    return "\n".join([
        measured_line(check["measured_on"], ["python -m studies.certify.run check"]),
        "",
        f"**Proved** for the model file with sha256 `{check['model_sha256']}` (weights digest "
        f"`{check['weights_digest'][:16]}...`): on every input in which each 1 after the first comes at least "
        f"{gap} zeros after the one before, the model's answer after every bit is the parity of the bits so "
        f"far, at every length; in particular on every input with at most one 1. The proof covers exact "
        f"arithmetic and any implementation whose error per step is at most {check['slack']:g} in each of the "
        f"8 state coordinates. The smallest certified readout margin (the logit difference) is "
        f"{check['min_margin_lower_bound']:.3f}; the check took {check['interval_steps']:,} interval steps "
        f"in {check['seconds']:.0f} s.",
        "",
        f"**Not proved**: inputs in which two 1s come closer than {gap} zeros, which is almost every input.",
    ]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    for mode, text in (("search", f"search a certificate; write {CERTIFICATE.name}"),
                       ("check", f"re-check {CERTIFICATE.name} from scratch; write {CHECK.name}")):
        sub = modes.add_parser(mode, help=text)
        sub.add_argument("--model", type=Path, help="the .keras file (default: dvc.yaml's model)")
    modes.add_parser("table", help=f"the docs' statement, from {CHECK.name} only")
    args = parser.parse_args(argv)
    if args.mode == "table":
        print(statement(json.loads(CHECK.read_text())), end="")
        return 0
    model = args.model or PROJECT / declared_path("model", PROJECT)
    weights = load_weights(model)
    if args.mode == "search":
        certificate = search(weights)
        write_json(CERTIFICATE, certificate)
        gap = max([*certificate["start_post1_steps"], *certificate["tail_steps"].values()])
        print(f"wrote {CERTIFICATE.relative_to(PROJECT)}: gap {gap} zeros, {certificate['search']['seconds']} s")
        return 0
    started = time.perf_counter()
    try:
        report = check_certificate(weights, json.loads(CERTIFICATE.read_text()))
    except CertificateError as error:
        print(f"error: {CERTIFICATE.relative_to(PROJECT)} does not hold for {model}: {error}", file=sys.stderr)
        return 2
    report |= {"weights_digest": json.loads(CERTIFICATE.read_text())["weights_digest"],
               "seconds": round(time.perf_counter() - started, 1), "measured_on": measured_on([PROJECT])}
    write_json(CHECK, report)
    print(statement(report), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
