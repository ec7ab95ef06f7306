"""`python -m anomaly_lab.scan ckpt=<ckpt> input=<files> output=<dir> [stride=...] [threshold=...] ...`: slide a
trained GW model over whole GWOSC strain files (per-window scores and clustered triggers), or score every event of
jet / LHC Olympics files in chunks, with the run's threshold. Bad input ends with one `error: ...` line, exit 1."""

from __future__ import annotations

import sys

from anomaly_lab.data.gw.datamodule import GWDataModule
from anomaly_lab.errors import run_command
from anomaly_lab.scan.events import scan_events
from anomaly_lab.scan.options import USAGE, ScanOptions, parse
from anomaly_lab.scan.scorer import Scorer
from anomaly_lab.scan.strain import StrainScanner, window_grid
from anomaly_lab.scan.strain_scan import scan_strain
from anomaly_lab.trained import TrainedModel, load_trained


def threshold_of(trained: TrainedModel, override: float | None) -> float:
    """The threshold given on the command line, else the one the run set on validation background."""
    if override is not None:
        return override
    if trained.threshold is None:
        raise ValueError(
            f"ckpt={trained.checkpoint}: {trained.run_dir / 'metrics.json'} holds no threshold (the run did not "
            "finish its evaluation); give threshold=<score>"
        )
    return trained.threshold


def strain_scanner(trained: TrainedModel, scorer: Scorer, opts: ScanOptions) -> StrainScanner:
    """The GW run's windows at the requested stride, in blocks of `chunk_s` seconds on the scorer's device."""
    dm = trained.datamodule
    assert isinstance(dm, GWDataModule)
    grid = window_grid(dm, opts.stride)
    block = int(round(opts.chunk_s * dm.layout.fs))
    if block < grid.n_context + grid.stride:
        raise ValueError(
            f"chunk_s={opts.chunk_s}: expected at least {(grid.n_context + grid.stride) / dm.layout.fs:g} s "
            f"(the run's {dm.layout.context_s:g} s context and one stride), best many times that"
        )
    transform = dm.transform.as_module().to(scorer.device)
    scorer.warm_up((1, grid.n_window) if dm.channel_axis else (grid.n_window,))
    scanner = StrainScanner(dm, grid, block, scorer.device, transform, scorer.scores)
    scanner.warm_up()
    return scanner


def run(opts: ScanOptions) -> list[str]:
    """Load the checkpoint, scan every input file into `opts.output`; the summary lines."""
    trained = load_trained(opts.ckpt, opts.config, compile=opts.compile)
    threshold = threshold_of(trained, opts.threshold)
    scorer = Scorer.of(trained, opts.device, opts.batch_size, opts.precision, opts.runtime)
    policy = "command line" if opts.threshold is not None else trained.policy or ""
    attrs = {"checkpoint": str(trained.checkpoint), "policy": policy, "device": str(scorer.device),
             "precision": scorer.precision}  # fmt: skip
    if isinstance(trained.datamodule, GWDataModule):
        scanner = strain_scanner(trained, scorer, opts)
        return scan_strain(opts.input, scanner, opts.output, threshold, attrs)
    return scan_events(opts.input, scorer, opts.output, threshold, opts.chunk_events, attrs)


def main(argv: list[str]) -> None:
    """Parse, scan, print the summary; `-h`/`--help` prints the usage."""
    if any(a in ("-h", "--help") for a in argv):
        print(f"{__doc__.splitlines()[0]}\n{USAGE}")
        return
    for line in run(parse(argv)):
        print(line)


def cli(argv: list[str]) -> None:
    """`main` as a command: an expected error is one `error:` line and exit status 1."""
    run_command(main, argv)


if __name__ == "__main__":
    cli(sys.argv[1:])
