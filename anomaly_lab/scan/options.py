"""The scanner's command line: `key=value` arguments (Hydra's spelling, lists as `[a,b]`) into checked options."""

from __future__ import annotations

import glob
from dataclasses import dataclass, fields
from pathlib import Path

from anomaly_lab.key_values import key_values

USAGE = (
    "usage: python -m anomaly_lab.scan ckpt=<checkpoint> input=<file or [f1,f2]> output=<dir> [stride=0.0625] "
    "[threshold=<score>] [chunk_s=256] [chunk_events=10000] [device=auto|cpu|cuda] [batch_size=<n>] "
    "[precision=<run's>] [compile=false] [runtime=torch|onnx] [config=<run config.yaml>]"
)
REQUIRED = ("ckpt", "input", "output")
RUNTIMES = ("torch", "onnx")


@dataclass
class ScanOptions:
    """What to scan with which model, and how: stride in seconds (strain), block length `chunk_s` in seconds of
    strain, `chunk_events` events per chunk (event files), `compile` the model with torch.compile (a one-off cost
    paid before the timed scan), `runtime` torch or onnx (ONNX Runtime on the CPU, the model exported in memory);
    None means the run's own value or an automatic one."""

    ckpt: Path
    input: list[Path]
    output: Path
    stride: float = 0.0625
    threshold: float | None = None
    chunk_s: float = 256.0
    chunk_events: int = 10_000
    device: str = "auto"
    batch_size: int | None = None
    precision: str | None = None
    compile: bool = False
    runtime: str = "torch"
    config: Path | None = None


def input_files(value: str) -> list[Path]:
    """`a.h5`, `[a.h5,b.h5]` or a glob pattern (quoted on the shell), in the given (or sorted glob) order."""
    items = [v.strip() for v in value.strip().removeprefix("[").removesuffix("]").split(",") if v.strip()]
    if not items:
        raise ValueError("input=: expected a file, a list [f1,f2] or a glob pattern")
    out: list[Path] = []
    for item in items:
        matches = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
        if not matches:
            raise FileNotFoundError(f"input={item}: no file matches")
        for match in matches:
            if not Path(match).is_file():
                raise FileNotFoundError(f"input={match}: no such file")
            out.append(Path(match))
    return out


def parse(argv: list[str]) -> ScanOptions:
    """Checked options from `key=value` arguments; a bad one is a ValueError naming it and what was expected."""
    kinds = {f.name: str(f.type) for f in fields(ScanOptions)} | {"input": "str"}
    given = key_values(argv, kinds, USAGE)
    if "input" in given:
        given["input"] = input_files(given["input"])
    missing = [k for k in REQUIRED if k not in given]
    if missing:
        raise ValueError(f"missing {', '.join(f'{k}=' for k in missing)}; {USAGE}")
    opts = ScanOptions(**given)  # type: ignore[arg-type]
    if opts.stride <= 0 or opts.chunk_s <= 0 or opts.chunk_events < 1:
        raise ValueError(
            f"stride={opts.stride}, chunk_s={opts.chunk_s}, chunk_events={opts.chunk_events}: expected positive values"
        )
    if opts.runtime not in RUNTIMES:
        raise ValueError(f"runtime={opts.runtime}: expected one of {', '.join(RUNTIMES)}")
    return opts
