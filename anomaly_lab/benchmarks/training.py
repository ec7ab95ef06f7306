"""`make bench`: the study's Lightning training and the pipeline's scorer against plain PyTorch loops (fp32, bf16,
bf16 + torch.compile) for the gw, jets and LHCO networks, on the CPU or the GPU at hand, as ratios from one run.

Writes one section of experiments/benchmarks.md per device (the GPU one only when run on a GPU) and, with --json,
every row. Inputs are random, of each study's input shape. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from anomaly_lab.benchmarks.networks import NETWORKS, UNITS, composed, forward_flops, input_shape, random_inputs
from anomaly_lab.benchmarks.networks import build_module as _build
from anomaly_lab.benchmarks.paths import Settings, run_alternately, scoring_measures, training_measures
from anomaly_lab.benchmarks.speed_tables import Row, full_table, summary_table, write_json
from anomaly_lab.benchmarks.tables import write_section

CPU_HEADING = "## 1-D CNN autoencoder (gw_cnnae network)"  # the CPU section's heading since the first benchmark
GPU_HEADING = "## Training and scoring on"
DEFAULTS = {"cpu": {"n": 1024, "score_n": 2048, "large_batch": 0, "score_warmup": 1, "repeats": 3},
            "cuda": {"n": 32768, "score_n": 131072, "large_batch": 1024, "score_warmup": 3, "repeats": 2}}  # fmt: skip
# on the CPU the lighter networks get this many times --n and --score-n, so that each timed run lasts seconds there too
CPU_SCALE = {"gw": 1, "jets": 6, "lhco": 4, "lhco_cnnae": 4}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; sizes left unset take the device's defaults (DEFAULTS)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: the GPU when there is one")
    p.add_argument("--networks", default="gw,jets,lhco", help=f"comma-separated, from {','.join(NETWORKS)}")
    p.add_argument("--n", type=int, help="training samples per epoch (CPU 1024 x CPU_SCALE, GPU 32768)")
    p.add_argument("--score-n", type=int, help="samples scored, in whole batches (CPU 2048 x CPU_SCALE, GPU 131072)")
    p.add_argument("--epochs", type=int, default=2, help="training epochs, the first `--warmup` batches untimed")
    p.add_argument("--warmup", type=int, default=3, help="untimed training batches (compilation happens there)")
    p.add_argument("--score-warmup", type=int, help="untimed scoring calls (CPU 1, GPU 3)")
    p.add_argument("--batch-size", type=int, help="training batch (default: the study's data.batch_size)")
    p.add_argument("--large-batch", type=int, help="a second training batch, 0 for none (CPU none, GPU 1024)")
    p.add_argument("--score-batch", type=int, help="scoring batch (default: the study's data.score_batch_size)")
    p.add_argument("--repeats", type=int, help="alternating repeats of every path, the median kept (CPU 3, GPU 2)")
    p.add_argument("--all-paths", action="store_true", help="bf16 and compiled paths on the CPU; compiled training of "
                   "ours and at every batch")  # fmt: skip
    p.add_argument("--budget-s", type=float, help="start no new path after this many seconds (rows say what was cut)")
    p.add_argument("--out", type=Path, default=Path("experiments/benchmarks.md"))
    p.add_argument("--json", type=Path, help="also write every row here")
    args = p.parse_args(argv)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: torch sees no GPU here")
    for key, value in DEFAULTS[args.device].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.networks = [name.strip() for name in args.networks.split(",") if name.strip()]
    unknown = [name for name in args.networks if name not in NETWORKS]
    if unknown or not args.networks:
        p.error(f"--networks: unknown {unknown}; expected names from {list(NETWORKS)}")
    return args


def command(args: argparse.Namespace) -> str:
    """The command line that repeats this run (sizes written out, so other defaults cannot change it)."""
    parts = ["python -m anomaly_lab.benchmarks.training", f"--device {args.device}",
             f"--networks {','.join(args.networks)}", f"--n {args.n}", f"--epochs {args.epochs}",
             f"--warmup {args.warmup}", f"--repeats {args.repeats}"]  # fmt: skip
    for flag in ("score_n", "score_warmup", "batch_size", "large_batch", "score_batch"):
        value = getattr(args, flag)
        if value is not None:
            parts.append(f"--{flag.replace('_', '-')} {value}")
    return " ".join(parts + (["--all-paths"] if args.all_paths else []))


def _rounded_up(n: int, multiple: int) -> int:
    return max(multiple, -(-n // multiple) * multiple)


def to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """`x` on `device`, where the plain paths read it (a test without a GPU swaps this for a fake)."""
    return x.to(device)


def measure_network(
    name: str, args: argparse.Namespace, device: torch.device, tmp: str, deadline: float,
    publish: Callable[[list[Row]], None] = lambda rows: None,
) -> list[Row]:  # fmt: skip
    """Every path of one network, timed alternately (scoring first, then training at the study's batch, then at the
    larger one, so that a cut run keeps the most wanted); one row each; `publish` gets the rows after every path."""
    cfg = composed(name, device.type, tmp)
    batches = [args.batch_size or int(cfg.data.batch_size), *([args.large_batch] if args.large_batch else [])]
    score_batch = args.score_batch or int(cfg.data.get("score_batch_size", 4096))
    scale = CPU_SCALE.get(name, 1) if device.type == "cpu" else 1
    # whole batches only (one shape for a compiled path), and more than the warm-up at every batch
    n = _rounded_up(max(args.n * scale, (args.warmup + 1) * max(batches)), math.lcm(*batches))
    x = random_inputs(cfg, n)
    xs = random_inputs(cfg, _rounded_up(args.score_n * scale, score_batch), seed=1)
    x_dev, xs_dev = to_device(x, device), to_device(xs, device)
    s = Settings(args.epochs, args.warmup, args.score_warmup, args.all_paths or device.type == "cuda", args.all_paths)
    measures = scoring_measures(cfg, xs, xs_dev, score_batch, device, s)
    measures += [m for i, b in enumerate(batches) for m in training_measures(cfg, x, x_dev, b, device, s, i > 0)]
    common = {"network": name, "experiment": NETWORKS[name], "unit": UNITS[name], "input_shape": list(input_shape(cfg)),
              "device": device.type, "study_precision": str(cfg.trainer.precision),
              "forward_flops": forward_flops(_build(cfg, 0), input_shape(cfg))}  # fmt: skip

    def rows(rates: list[list[float]], errors: list[str | None]) -> list[Row]:
        return [
            {**common, "task": m.task, "path": m.path, "kind": m.kind, "batch": m.batch, "twin": m.twin,
             "study": m.study, "samples": len(x if m.task == "training" else xs), "rates": r, "error": e,
             "samples_per_s": float(np.median(r)) if r and e is None else None}
            for m, r, e in zip(measures, rates, errors, strict=True)
        ]  # fmt: skip

    if s.full:
        import torch._dynamo

        torch._dynamo.reset()  # each network compiles afresh
    return rows(*run_alternately(measures, args.repeats, name, deadline, lambda *state: publish(rows(*state))))


def describe(args: argparse.Namespace, rows: list[Row], seconds: float) -> list[str]:
    """What was run and how it was timed, for the lines above the tables."""
    samples = {(r["network"], r["task"]): r["samples"] for r in rows}
    shapes = {r["network"]: tuple(r["input_shape"]) for r in rows}
    listed = "; ".join(f"{name} {shape}: {samples[name, 'training']} training samples, {samples[name, 'scoring']} "
                       "scored" for name, shape in shapes.items())  # fmt: skip
    particles = any(r["experiment"].startswith("lhco") for r in rows)
    masked = " Particle lists carry the 0/1 mask the ParticleScaler appends." if particles else ""
    return [
        f"Random inputs of each study's input shape ({listed}).{masked} Training: {args.epochs} epochs, timed after "
        f"{args.warmup} warm-up batches; scoring at the study's scoring batch after {args.score_warmup} warm-up "
        f"call(s); compilation happens in the warm-up. Rates: the median of {args.repeats} repeats, the paths "
        "alternated; ratios: the median of each repeat's ratio, so that a drift in machine load between repeats "
        f"cancels. This run took {seconds:.0f} s.",
        "",
        "Ours: the study's Lightning Trainer built from its composed config (trainer group, callbacks without "
        "checkpointing and early stopping, the CSV logger to a temporary directory, validation off) on the "
        "DataModules' `tensor_loader` over host tensors; scoring with `score_inputs` from host tensors, as the "
        "pipeline calls it. Plain: the same network, loss and Adam in a hand-written loop with the data already on "
        "the device. Diagnostic: our Trainer without callbacks, logger or progress bar. TFLOP/s: forward FLOPs "
        "(torch's FlopCounterMode) x samples/s, x 3 for training.",
    ]


def section(args: argparse.Namespace, rows: list[Row], seconds: float, load: tuple[float, float]) -> tuple[str, str]:
    """(heading prefix, text) of this device's section of benchmarks.md; `load`: 1-minute load averages (start, now)."""
    if args.device == "cuda":
        heading = f"{GPU_HEADING} {torch.cuda.get_device_name()}"
        regenerate = f"Regenerate on a machine with this GPU: `{command(args)}`."
        machine = (f"Card: {torch.cuda.get_device_name()}, torch {torch.__version__} (CUDA {torch.version.cuda}), "
                   f"{os.cpu_count()} CPU cores. The study's `trainer=gpu` trains in {rows[0]['study_precision']}, "
                   "and the pipeline scores at the trainer's precision.")  # fmt: skip
        title = heading
    else:
        heading = CPU_HEADING
        regenerate = f"Regenerate: `make bench` (runs `{command(args)}`)."
        machine = (f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
                   f"{torch.__version__}, {torch.get_num_threads()} threads, CPU (`trainer=cpu`: 32-true); 1-minute "
                   f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end.")  # fmt: skip
        title = f"{CPU_HEADING}: Lightning path vs plain PyTorch loop"
    lines = [title, "", regenerate, "", machine, "", *describe(args, rows, seconds), "",
             *summary_table(rows), "", "Every path:", "", *full_table(rows), ""]  # fmt: skip
    return heading, "\n".join(lines)


def configure_compile() -> None:
    """Compiled paths keep one static shape each, and many networks and repeats must not exhaust dynamo's cache."""
    import torch._dynamo

    config = torch._dynamo.config
    config.automatic_dynamic_shapes = False
    key = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"  # renamed in torch 2.6
    setattr(config, key, max(64, getattr(config, key)))


def write_outputs(args: argparse.Namespace, rows: list[Row], seconds: float, load: float) -> str:
    """Rewrite this device's section of `--out` (and `--json`) with the rows so far; returns the section's text."""
    heading, text = section(args, rows, seconds, (load, os.getloadavg()[0]))
    write_section(args.out, heading, text)
    if args.json:
        meta: dict[str, Any] = {"command": command(args), "device": args.device, "torch": torch.__version__,
                                "seconds": seconds}  # fmt: skip
        if args.device == "cuda":
            meta["card"] = torch.cuda.get_device_name()
        write_json(args.json, meta, rows)
    return text


def main(argv: list[str] | None = None) -> list[Row]:
    """Measure every network, rewriting this device's section (and the JSON) after every path, so that a run cut
    short (a time limit) keeps what it measured."""
    args = parse_args(argv)
    device = torch.device(args.device)
    if args.all_paths or device.type == "cuda":
        configure_compile()
    rows: list[Row] = []
    start, load = time.perf_counter(), os.getloadavg()[0]
    deadline = start + (args.budget_s if args.budget_s is not None else math.inf)
    with tempfile.TemporaryDirectory(prefix="anomaly_lab_bench_") as tmp:
        for name in args.networks:
            if time.perf_counter() > deadline:
                print(f"[bench] {name}: not run, --budget-s {args.budget_s:g} spent", file=sys.stderr)
                continue
            done = list(rows)

            def publish(current: list[Row], done: list[Row] = done) -> None:
                write_outputs(args, done + current, time.perf_counter() - start, load)

            rows = done + measure_network(name, args, device, tmp, deadline, publish)
    if rows:
        print(write_outputs(args, rows, time.perf_counter() - start, load))
    return rows


if __name__ == "__main__":
    main()
