"""Found injections: a trigger (or a coincident pair) within a time tolerance of an injection's arrival time, with
Clopper-Pearson intervals on the found fraction, overall and per SNR bin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anomaly_lab.evaluation.per_signal import binomial_interval


@dataclass(frozen=True)
class Fraction:
    """k of n found, and the 95 % Clopper-Pearson interval of k / n (nan when n = 0)."""

    k: int
    n: int
    low: float
    high: float

    @classmethod
    def of(cls, found: np.ndarray) -> Fraction:
        k, n = int(np.count_nonzero(found)), len(found)
        return cls(k, n, *binomial_interval(k, n))

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else float("nan")

    def text(self) -> str:
        """`k/n = f [low, high]`, for tables."""
        return f"{self.k}/{self.n} = {self.value:.3f} [{self.low:.3f}, {self.high:.3f}]" if self.n else "0/0"


def near(times: np.ndarray, targets: np.ndarray, tolerance_s: float) -> np.ndarray:
    """For each target time, whether some time lies within `tolerance_s` of it."""
    t = np.sort(np.asarray(times, np.float64))
    targets = np.asarray(targets, np.float64)
    if not len(t):
        return np.zeros(len(targets), bool)
    i = np.searchsorted(t, targets)
    before = np.abs(targets - t[np.maximum(i - 1, 0)])
    after = np.abs(t[np.minimum(i, len(t) - 1)] - targets)
    return np.minimum(before, after) <= tolerance_s


def found_pairs(
    t_a: np.ndarray, t_b: np.ndarray, inj_a: np.ndarray, inj_b: np.ndarray, tolerance_s: float
) -> np.ndarray:
    """For each injection, whether some pair (t_a[i], t_b[i]) has both members within `tolerance_s` of the
    injection's arrival time in their detector."""
    order = np.argsort(t_a, kind="stable")
    ta, tb = np.asarray(t_a)[order], np.asarray(t_b)[order]
    lo = np.searchsorted(ta, np.asarray(inj_a) - tolerance_s, side="left")
    hi = np.searchsorted(ta, np.asarray(inj_a) + tolerance_s, side="right")
    return np.array([bool(np.any(np.abs(tb[i:j] - t) <= tolerance_s)) for i, j, t in zip(lo, hi, inj_b, strict=True)],
                    dtype=bool)  # fmt: skip


def efficiency(snr: np.ndarray, found: np.ndarray, edges: list[float]) -> list[tuple[float, float, Fraction]]:
    """(low edge, high edge, found fraction) of the injections with SNR in each bin [low, high)."""
    snr, found = np.asarray(snr), np.asarray(found, bool)
    bins = zip(edges[:-1], edges[1:], strict=True)
    return [(lo, hi, Fraction.of(found[(snr >= lo) & (snr < hi)])) for lo, hi in bins]
