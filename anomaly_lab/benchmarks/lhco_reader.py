"""LHC Olympics reader benchmark: our streaming reader and preprocessing against raw h5py and pandas reads.

Writes a file of synthetic events in the R&D layout (as large as the public file: generating a million events
with Pythia would take hours here), reads it whole in chunks each way in a fresh process, and records events
per second and the process's peak RSS in experiments/benchmarks.md. The file lives in a temporary directory
that is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from anomaly_lab.data.lhco.rnd_format import N_PARTICLES, EventWriter

HEADING = "## LHC Olympics reader"


def synthetic_events(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, 700, 3) pT-ordered, zero-padded (pT, eta, phi) and labels (10 % signal, as in the R&D file).

    Multiplicities follow our Pythia background (mean about 530 of 700 slots, a fifth of events full); values
    are float32-precise, like the detector-level floats the public file stores as float64.
    """
    counts = np.clip(rng.normal(560, 150, n), 50, N_PARTICLES).astype(int)
    pt = np.sort(rng.exponential(5.0, (n, N_PARTICLES)).astype(np.float32), axis=1)[:, ::-1]
    eta = rng.normal(0.0, 2.0, (n, N_PARTICLES)).astype(np.float32)
    phi = rng.uniform(-np.pi, np.pi, (n, N_PARTICLES)).astype(np.float32)
    particles = np.stack([pt, eta, phi], axis=-1)
    particles[np.arange(N_PARTICLES)[None, :] >= counts[:, None]] = 0.0
    return particles, (rng.random(n) < 1 / 11).astype(np.int64)


def write_synthetic(path: Path, n: int, chunk: int = 10_000, seed: int = 0) -> float:
    """Write `n` synthetic events with our writer; returns events per second written."""
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    with EventWriter(path) as writer:
        for lo in range(0, n, chunk):
            writer.append(*synthetic_events(min(chunk, n - lo), rng))
    return n / (time.perf_counter() - start)


def _peak_rss_mb() -> float:
    """This process's peak resident set in MB: VmHWM, which starts afresh at exec (getrusage's maximum would
    carry over the RSS of the parent that spawned us)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux, bytes on macOS


def read_ours(path: str, chunk: int, preprocess: bool) -> int:
    """Stream with `iter_events`; with `preprocess`, scale each chunk as the DataModule does (fit on the first)."""
    from anomaly_lab.data.lhco.rnd_format import iter_events
    from anomaly_lab.data.transforms import ParticleScaler

    scaler, n = ParticleScaler(), 0
    for particles, _ in iter_events(path, chunk):
        if preprocess:
            if scaler.state is None:
                scaler.fit(particles)
            scaler(particles)
        n += len(particles)
    return n


def read_h5py(path: str, chunk: int) -> int:
    """Raw rows by h5py slicing of `df/block0_values` (only for filters h5py knows, zlib here)."""
    import h5py

    with h5py.File(path, "r") as f:
        values = f["df/block0_values"]
        for lo in range(0, len(values), chunk):
            values[lo : lo + chunk]
        return len(values)


def read_pandas(path: str, chunk: int) -> int:
    """Raw frames by `pd.read_hdf(path, "df", start=, stop=)`, the way public example scripts read the file."""
    import pandas as pd

    with pd.HDFStore(path, "r") as store:
        total = int(store.get_storer("df").shape[0])
    for lo in range(0, total, chunk):
        pd.read_hdf(path, "df", start=lo, stop=lo + chunk)
    return total


def _timed(reader: Callable[..., int], *args: object) -> tuple[float, float, float]:
    """Run one reader; (events per second, peak RSS in MB before reading, peak RSS in MB after)."""
    before = _peak_rss_mb()
    start = time.perf_counter()
    n = reader(*args)
    return n / (time.perf_counter() - start), before, _peak_rss_mb()


def measure(reader: Callable[..., int], *args: object, fresh_process: bool = True) -> tuple[float, float, float]:
    """`_timed` in a fresh process, so that peak RSS belongs to this reader alone."""
    if not fresh_process:
        return _timed(reader, *args)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_timed, reader, *args).result()


READERS = [
    ("h5py slicing of df/block0_values (raw float64 rows)", read_h5py, ()),
    ("pandas read_hdf(start, stop) (raw DataFrames)", read_pandas, ()),
    ("ours: iter_events (float32 particles, labels)", read_ours, (False,)),
    ("ours: iter_events + ParticleScaler ((N, 700, 4) float32)", read_ours, (True,)),
]


def run(n: int, chunk: int, out: Path, tmp_dir: str | None = None, fresh_process: bool = True) -> str:
    """Write, read each way, delete the file and write the benchmark section; returns the section."""
    load_before, start = os.getloadavg()[0], time.perf_counter()
    with tempfile.TemporaryDirectory(dir=tmp_dir, prefix="lhco-bench-") as tmp:
        path = Path(tmp) / "events_synthetic.h5"
        write_rate = write_synthetic(path, n, chunk)
        size_gb = path.stat().st_size / 1e9
        rows = [
            (name, measure(reader, str(path), chunk, *extra, fresh_process=fresh_process))
            for name, reader, extra in READERS
        ]
    load_after, minutes = os.getloadavg()[0], (time.perf_counter() - start) / 60
    raw_gb = n * (3 * N_PARTICLES + 1) * 8 / 1e9
    lines = [
        HEADING,
        "",
        f"Regenerate: `python -m anomaly_lab.benchmarks.lhco_reader --n {n} --chunk {chunk}` "
        f"({minutes:.0f} minutes here).",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, shared with other work "
        f"(1-minute load average {load_before:.1f} at the start, {load_after:.1f} at the end). "
        f"{n} synthetic events in the R&D layout (700 x (pT, eta, phi) + label, float64, {raw_gb:.1f} GB raw, "
        f"{size_gb:.1f} GB on disk with zlib level 1 + shuffle), made and written by our `EventWriter` at "
        f"{write_rate:.0f} events/s; synthetic because a million Pythia events would take hours here. Each reader "
        f"runs in a fresh process over the whole file in chunks of {chunk} events; peak RSS is that process's "
        "maximum resident set (after imports / after the read), bounded by the chunk, not the file.",
        "",
        "| reader | events/s | peak RSS after imports (MB) | peak RSS after the read (MB) |",
        "|---|---:|---:|---:|",
        *[f"| {name} | {rate:.0f} | {before:.0f} | {after:.0f} |" for name, (rate, before, after) in rows],
        "",
    ]
    text = "\n".join(lines)
    from anomaly_lab.benchmarks.tables import write_section  # imports torch: kept out of the reader processes

    write_section(out, HEADING, text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_100_000, help="events in the synthetic file (the R&D file: 1.1 M)")
    parser.add_argument("--chunk", type=int, default=10_000, help="events per read")
    parser.add_argument("--tmp-dir", default=None, help="where the temporary file goes (default: the system's)")
    parser.add_argument("--out", type=Path, default=Path("experiments/benchmarks.md"))
    args = parser.parse_args()
    print(run(args.n, args.chunk, args.out, args.tmp_dir))


if __name__ == "__main__":
    main()
