"""`make bench` (jets part): speed of the embedded jet generator and of the jet-image preprocessing.

Writes the "Jet generator" section of experiments/benchmarks.md. One worker process per measurement, so the
figures are per core; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

from anomaly_lab.benchmarks.tables import write_section
from anomaly_lab.data.jets.generator import PROCESSES, JetSelection, generate_task
from anomaly_lab.data.jets.images import JetImageConfig

HEADING = "## Jet generator (Pythia 8 + FastJet) and jet images"


def measure(n_jets: int, seed: int) -> list[dict[str, float]]:
    """Per process: selected jets/s and events/s in one process, acceptance, then image preprocessing rate."""
    rows = []
    selection = asdict(JetSelection())
    for i, process in enumerate(PROCESSES):
        start = time.perf_counter()
        p4, _, tried = generate_task((process, n_jets, seed + i, selection))
        seconds = time.perf_counter() - start
        images = JetImageConfig()
        start = time.perf_counter()
        for _ in range(20):
            images(p4)
        image_rate = 20 * len(p4) / (time.perf_counter() - start)
        rows.append({
            "process": process, "jets_per_s": n_jets / seconds, "events_per_s": tried / seconds,
            "acceptance": n_jets / tried, "constituents": float((p4[..., 0] > 0).sum(1).mean()),
            "images_per_s": image_rate,
        })  # fmt: skip
    return rows


def table(rows: list[dict[str, float]], n_jets: int) -> str:
    lines = [
        HEADING,
        "",
        f"Regenerate: `python -m anomaly_lab.benchmarks.jet_generator --n-jets {n_jets}` (part of `make bench`).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; one process (per-core figures). "
        f"{n_jets} selected jets per process, default selection (14 TeV, MPI off, pT-hat in [450, 800] GeV, "
        "leading anti-kT R = 0.8 jet with pT in [550, 650] GeV and |eta| < 2, top jets matched).",
        "",
        "| process | selected jets/s per core | events/s per core | acceptance | mean constituents | 25x25 images/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['process']} | {r['jets_per_s']:.1f} | {r['events_per_s']:.1f} | {100 * r['acceptance']:.1f} % "
        f"| {r['constituents']:.1f} | {r['images_per_s']:.0f} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jets", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("experiments/benchmarks.md"))
    args = parser.parse_args()
    text = table(measure(args.n_jets, args.seed), args.n_jets)
    write_section(args.out, HEADING, text)
    print(text)


if __name__ == "__main__":
    main()
