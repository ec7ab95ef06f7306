"""Scanner benchmark: seconds of strain scanned per second (x real time) for one detector, per device and stride.

Writes a synthetic GWOSC-layout file (Gaussian noise coloured by an analytic fit to the aLIGO design curve, every
DQ and injection bit set) and trains the gw_cnnae smoke model unless given a checkpoint, then runs the scanner
in this process on every device present (CPU, CUDA) at each stride, and records its rate beside the model's own
scoring rate on the same device (windows/s on random inputs), so a busy machine shows as both dropping.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from anomaly_lab.benchmarks.tables import write_section
from anomaly_lab.data.gw.gwosc_writer import write_gwosc_file
from anomaly_lab.data.gw.whitening import coloured_noise
from anomaly_lab.io import load_attrs
from anomaly_lab.scan.__main__ import run as scan
from anomaly_lab.scan.options import ScanOptions
from anomaly_lab.scan.scorer import Scorer
from anomaly_lab.trained import load_trained

HEADING = "## Scanner: GW strain"
GPS = 1187008000


def aligo_fit_psd(freqs: np.ndarray, f_min: float = 10.0) -> np.ndarray:
    """Ajith (2011) analytic fit to the aLIGO zero-detuned high-power PSD [1/Hz], flat below `f_min`."""
    x = np.maximum(freqs, f_min) / 245.4
    return 1e-48 * (x**-4.14 - 5 * x**-2 + 111 * (1 - x**2 + x**4 / 2) / (1 + x**2 / 2))


def write_synthetic_gwosc(path: Path, duration_s: int, fs: int = 4096, seed: int = 0) -> Path:
    """A GWOSC-layout file (H1) of coloured Gaussian noise, every data-quality and injection bit set."""
    n = duration_s * fs
    strain = coloured_noise(aligo_fit_psd(np.fft.rfftfreq(n, 1 / fs)), fs, n, np.random.default_rng(seed))
    return write_gwosc_file(path, "H1", strain, GPS, fs)


def smoke_checkpoint(root: Path) -> Path:
    """Train the gw_cnnae smoke model (one short epoch) under `root`; its last checkpoint."""
    env = os.environ | {"ANOMALY_LAB_ROOT": str(root), "WANDB_MODE": "disabled"}
    cmd = [sys.executable, "-m", "anomaly_lab", "experiment=gw_cnnae", "debug=smoke"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    (ckpt,) = root.glob("logs/**/checkpoints/last.ckpt")
    return ckpt


def model_rate(ckpt: Path, device: str, batch_size: int | None, compile: bool, runtime: str, n: int = 8192) -> float:
    """Windows per second of the model alone (random inputs already on the device, after a warm-up)."""
    trained = load_trained(ckpt, compile=compile)
    scorer = Scorer.of(trained, device, batch_size, None, runtime)
    n_window = trained.datamodule.layout.n_window
    x = torch.randn(n, 1, n_window, device=scorer.device)
    scorer.scores(x[: scorer.batch_size])
    start = time.perf_counter()
    scorer.scores(x)
    return n / (time.perf_counter() - start)


def scan_rate(path: Path, out: Path, **options: object) -> float:
    """The scanner's own rate (x real time) for the file's detector, as it records it in scores.h5."""
    scan(ScanOptions(input=[path], output=out, **options))  # type: ignore[arg-type]
    return float(next(iter(json.loads(load_attrs(out / "scores.h5")["rate"]).values())))


def machine() -> tuple[str, str]:
    """(short name for the heading, description for the text) of this machine."""
    cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    if torch.cuda.is_available():
        gpu = torch.cuda.get_device_name(0)
        return gpu, f"{gpu} beside {cpu}"
    return f"{os.cpu_count()}-core CPU", cpu


RUNTIME_LABELS = {
    (False, "torch"): "PyTorch",
    (True, "torch"): "PyTorch, torch.compile",
    (False, "onnx"): "ONNX Runtime",
}


def variants(device: str, compiles: list[bool], onnx: bool) -> list[tuple[bool, str]]:
    """(compile, runtime) pairs to measure on `device`: PyTorch eager and/or compiled, and ONNX Runtime on the CPU."""
    return [(c, "torch") for c in compiles] + ([(False, "onnx")] if onnx and device == "cpu" else [])


def run(args: argparse.Namespace) -> str:
    """Measure every (device, stride) and write this machine's section; returns the section."""
    devices = [d for d in args.devices if d == "cpu" or torch.cuda.is_available()]
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        tmp = Path(tmp)
        ckpt = args.ckpt or smoke_checkpoint(tmp / "train")
        path = write_synthetic_gwosc(tmp / f"H-H1_SYNTHETIC_4KHZ-{GPS}-{args.duration}.hdf5", args.duration)
        for device in devices:
            for compiled, runtime in variants(device, args.compile, args.onnx):
                windows_per_s = model_rate(ckpt, device, args.batch_size, compiled, runtime)
                for stride in args.strides:
                    opts = {"stride": stride, "device": device, "batch_size": args.batch_size, "compile": compiled,
                            "runtime": runtime}  # fmt: skip
                    rate = scan_rate(path, tmp / "out", ckpt=ckpt, **opts)
                    label = RUNTIME_LABELS[(compiled, runtime)]
                    rows.append((device, label, stride, rate, rate / stride / windows_per_s, windows_per_s))
    short, described = machine()
    strides = " ".join(f"{s:g}" for s in args.strides)
    compiles = " ".join(str(c).lower() for c in args.compile)
    lines = [
        f"{HEADING}, {short}",
        "",
        f"Regenerate: `python -m anomaly_lab.benchmarks.scan --duration {args.duration} --strides {strides} "
        f"--compile {compiles}{'' if args.onnx else ' --no-onnx'}`.",
        "",
        f"Machine: {described}; 1-minute load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} "
        f"at the end. One {args.duration}-s synthetic GWOSC-layout file at 4096 Hz (H1), scanned with the "
        "gw_cnnae smoke model (0.25 s windows at 2048 Hz); the rate counts the whole file's seconds over the "
        "scanner's time from reading the file to its last score (model loading and warm-up left out). "
        "'of the model' is the scanner's windows/s over the model's own windows/s on random inputs on that device.",
        "",
        "| device | model runs in | stride (s) | x real time | of the model | model windows/s |",
        "|---|---|---:|---:|---:|---:|",
        *[f"| {d} | {c} | {s:g} | {r:.0f} | {e:.0%} | {w:.0f} |" for d, c, s, r, e, w in rows],
        "",
    ]
    text = "\n".join(lines)
    write_section(args.out, f"{HEADING}, {short}", text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", type=Path, default=None, help="a gw checkpoint (default: train the smoke model)")
    parser.add_argument("--duration", type=int, default=4096, help="seconds of strain in the synthetic file")
    parser.add_argument("--strides", type=float, nargs="+", default=[0.25, 0.0625], help="strides in seconds")
    parser.add_argument("--devices", nargs="+", default=["cpu", "cuda"], help="devices to measure (when present)")
    parser.add_argument(
        "--compile",
        type=lambda v: v.lower() == "true",
        nargs="+",
        default=[False, True],
        help="torch.compile the model: false, true or both (compilation is warm-up, not timed)",
    )
    parser.add_argument("--no-onnx", dest="onnx", action="store_false", help="no ONNX Runtime rows (CPU)")
    parser.add_argument("--batch-size", type=int, default=None, help="windows per forward pass (default: per device)")
    parser.add_argument("--out", type=Path, default=Path("experiments/benchmarks.md"))
    print(run(parser.parse_args()))


if __name__ == "__main__":
    main()
