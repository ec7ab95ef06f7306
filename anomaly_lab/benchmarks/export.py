"""`make bench`: scoring rate and batch-1 latency of one network per dataset run three ways: eager PyTorch (the
pipeline: numpy transform, then the model's predict_step), the exported TorchScript file and the exported ONNX file
under ONNX Runtime. Untrained weights (speed does not depend on them), transforms fitted on random valid samples.

Writes its section of experiments/benchmarks.md; with CUDA, the same rows on the GPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from anomaly_lab.benchmarks.loops import synchronize
from anomaly_lab.benchmarks.tables import write_section
from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.export.formats import load_scorer, needs_onnx, write
from anomaly_lab.export.graph import ScoringGraph
from anomaly_lab.export.samples import random_samples, sample_shape
from anomaly_lab.models.base import LossModule

CONFIG_DIR = Path(__file__).resolve().parents[2] / "conf"
HEADING = "## Exported scoring: eager PyTorch, TorchScript, ONNX Runtime"
Scorer = Callable[[np.ndarray], np.ndarray]


def untrained(experiment: str) -> tuple[LossModule, AnomalyDataModule, tuple[int, ...]]:
    """The experiment's model with random weights and its data module, the transform fitted on random samples."""
    # imported here: the timing functions below also run where only torch and the models are installed
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from anomaly_lab.config import register_schemas

    register_schemas()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=[f"experiment={experiment}"])
    torch.manual_seed(0)
    model, dm = instantiate(cfg.model).eval(), instantiate(cfg.data)
    shape = sample_shape(dm)
    dm.transform.fit(random_samples(dm.transform, shape, 256, seed=1))
    return model, dm, shape


def eager(model: LossModule, dm: AnomalyDataModule, device: str) -> Scorer:
    """The training pipeline's scoring: numpy transform, channel axis, predict_step in inference mode."""
    model = model.to(device)

    def score(raw: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(dm.transform(raw)).to(device)
        x = x.unsqueeze(1) if dm.channel_axis else x
        with torch.inference_mode():
            return model.predict_step((x, x), 0).cpu().numpy()

    return score


def exported(model: LossModule, dm: AnomalyDataModule, shape: tuple[int, ...], folder: Path) -> dict[str, Path]:
    """The scoring graph written in both formats (on the CPU; a file runs on either device)."""
    graph = ScoringGraph(dm.transform.as_module(), model.cpu(), dm.channel_axis)
    example = torch.from_numpy(random_samples(dm.transform, shape, 4, seed=2))
    return {fmt: write(fmt, graph, example, folder / f"model.{ext}", {}) for fmt, ext in (("torchscript", "pt"),
            ("onnx", "onnx"))}  # fmt: skip


def rate(score: Scorer, raw: np.ndarray, batch: int, device: str) -> float:
    """Samples per second scoring `raw` in batches of `batch`, after one warm-up batch."""
    score(raw[:batch])
    synchronize(torch.device(device))
    start = time.perf_counter()
    for lo in range(0, len(raw), batch):
        score(raw[lo : lo + batch])
    synchronize(torch.device(device))
    return len(raw) / (time.perf_counter() - start)


def latency(score: Scorer, raw: np.ndarray, calls: int, device: str, warmup: int) -> tuple[float, float]:
    """Median and 99th percentile, in microseconds, of scoring one sample (raw in, score out), after `warmup`
    calls (TorchScript's profiling executor runs some 40 slow calls before it settles on a batch size)."""
    for i in range(warmup):
        score(raw[i % len(raw) : i % len(raw) + 1])
    times = []
    for i in range(calls):
        one = raw[i % len(raw) : i % len(raw) + 1]
        start = time.perf_counter()
        score(one)
        synchronize(torch.device(device))
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e6), float(np.percentile(times, 99) * 1e6)


def scorers(model: LossModule, dm: AnomalyDataModule, files: dict[str, Path], device: str) -> dict[str, Scorer]:
    """The three ways to score on `device`; ONNX Runtime only where it has a provider for it."""
    out = {"eager PyTorch": eager(model, dm, device), "TorchScript": load_scorer(files["torchscript"], device)}
    if device == "cpu" or "CUDAExecutionProvider" in needs_onnx("onnxruntime").get_available_providers():
        out["ONNX Runtime"] = load_scorer(files["onnx"], device)
    return out


def measure(experiment: str, args: argparse.Namespace, devices: list[str]) -> list[str]:
    """Table rows for one experiment's network on every device: the best of `args.repeats` interleaved repeats of
    each runtime (the highest rate, the lowest median and p99), so that other load on the machine, which only ever
    slows a repeat down, does not decide the ranking."""
    model, dm, shape = untrained(experiment)
    raw = random_samples(dm.transform, shape, args.batch * args.batches, seed=3)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = exported(model, dm, shape, Path(tmp))
        for device in devices:
            runtimes = scorers(model, dm, files, device)
            runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runtimes}
            for _ in range(args.repeats):
                for name, score in runtimes.items():
                    median, p99 = latency(score, raw, args.calls, device, args.warmup)
                    runs[name].append((rate(score, raw, args.batch, device), median, p99))
            for name, got in runs.items():
                speed, median, p99 = max(g[0] for g in got), min(g[1] for g in got), min(g[2] for g in got)
                rows.append(f"| {experiment} | {device} | {name} | {speed:,.0f} | {median:,.0f} | {p99:,.0f} |")
    return rows


def machine() -> str:
    """CPU model, cores, library versions, the GPU when present, and the load (other work skews the p99)."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        cpu = names[0] if names else cpu
    ort = needs_onnx("onnxruntime")
    gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"
    load = f", load average {os.getloadavg()[0]:.1f} at the start" if hasattr(os, "getloadavg") else ""
    return (
        f"{cpu}, {os.cpu_count()} cores ({torch.get_num_threads()} torch threads){gpu}{load}; torch "
        f"{torch.__version__}, onnxruntime {ort.__version__} (providers: {', '.join(ort.get_available_providers())})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", nargs="+", default=["gw_cnnae", "jets_cae", "lhco_vae"])
    parser.add_argument("--batch", type=int, default=256, help="samples per call for the scoring rate")
    parser.add_argument("--batches", type=int, default=4, help="timed batches per rate")
    parser.add_argument("--calls", type=int, default=200, help="timed batch-1 calls per latency")
    parser.add_argument("--warmup", type=int, default=100, help="untimed batch-1 calls before them")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the best one is reported")
    parser.add_argument("--out", type=Path, default=Path("experiments/benchmarks.md"))
    args = parser.parse_args()
    devices = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    rows = [row for experiment in args.experiments for row in measure(experiment, args, devices)]
    cmd = (
        f"python -m anomaly_lab.benchmarks.export --experiments {' '.join(args.experiments)} --batch {args.batch} "
        f"--batches {args.batches} --calls {args.calls} --warmup {args.warmup} --repeats {args.repeats}"
    )
    notes = []
    if "cuda" in devices and not any("| cuda | ONNX Runtime |" in r for r in rows):
        notes = ["", "ONNX Runtime has no CUDA provider here (the CPU build of onnxruntime): no ONNX rows on the GPU."]
    lines = [
        HEADING, "", f"Regenerate: `make bench` (runs `{cmd}`).", "", f"Machine: {machine()}.", "",
        "Each experiment's network with random weights, raw samples in (the fitted transform inside the exported "
        f"graphs), one score per sample out. Rate: {args.batches} batches of {args.batch}; latency: {args.calls} "
        f"calls with one sample after {args.warmup} untimed ones; the best of {args.repeats} interleaved repeats. "
        "Eager PyTorch is the pipeline's scoring (numpy transform, then predict_step).",
        *notes, "",
        "| network | device | runtime | samples/s (batch) | batch-1 median (µs) | batch-1 p99 (µs) |",
        "|---|---|---|---:|---:|---:|", *rows, "",
    ]  # fmt: skip
    write_section(args.out, HEADING, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
