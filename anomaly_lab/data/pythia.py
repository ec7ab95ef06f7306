"""What the embedded Pythia 8 generators share: the settings every task starts from, its seed, a Pythia instance
made from settings, and fixed tasks run in order over spawned worker processes behind one progress bar."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from multiprocessing import get_context
from typing import Any

import numpy as np
from rich.progress import Progress

log = logging.getLogger(__name__)
MAX_SEED = 900_000_000  # Pythia's Random:seed range; 0 would mean "seed from the clock"


def common_settings(sqrt_s: float, mpi: bool, seed: int) -> list[str]:
    """Beams, multiparton interactions on or off, the task's seed, and no per-event printout."""
    return [
        f"Beams:eCM = {sqrt_s}",
        f"PartonLevel:MPI = {'on' if mpi else 'off'}",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
        "Next:numberCount = 0",
        "Print:quiet = on",
    ]


def task_seed(seed: int, process_index: int, task_index: int) -> int:
    """A task's Pythia seed from (run seed, process, task index) only, whatever the other tasks are."""
    state = np.random.SeedSequence([seed, process_index, task_index]).generate_state(1)[0]
    return int(state % MAX_SEED) + 1


def start_pythia(settings: Sequence[str], what: str) -> Any:
    """An initialised Pythia from `settings`; a setting Pythia rejects or a failed start is an error naming `what`."""
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    for s in settings:
        if not pythia.readString(s):
            raise ValueError(f"Pythia rejected the setting {s!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise for {what}")
    return pythia


def run_in_order(
    worker: Callable[[Any], Any], payload: Sequence[Any], sizes: Sequence[int], description: str, n_workers: int
) -> Iterator[Any]:
    """`worker(item)` for each item, results in payload order, in up to `n_workers` spawned processes (in this one
    when 1); the progress bar advances by each item's size (its events), and a log line marks every 10 %."""
    total, done, logged = sum(sizes), 0, 0
    with Progress(transient=True) as progress, ExitStack() as stack:
        bar = progress.add_task(description, total=total)
        if n_workers <= 1:
            results: Iterator[Any] = map(worker, payload)
        else:
            pool = stack.enter_context(get_context("spawn").Pool(min(n_workers, len(payload))))
            results = pool.imap(worker, payload)
        for size, result in zip(sizes, results, strict=True):
            progress.advance(bar, size)
            done += size
            if done * 10 // total > logged:  # for runs without a terminal
                logged = done * 10 // total
                log.info("%s: generated %d of %d", description, done, total)
            yield result
