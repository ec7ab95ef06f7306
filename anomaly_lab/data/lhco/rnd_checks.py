"""Checks behind the LHC Olympics R&D reader: why a file does not open, the first bad value of a chunk, pT order."""

from __future__ import annotations

import numpy as np

FEATURES = ("pT", "eta", "phi")


def first_bad(rows: np.ndarray, particle_columns: int) -> tuple[int, int, str] | None:
    """(row, column, what that column should hold) of the first value in row-major order that is not finite, or of
    a label other than 0 and 1 (the column after the particles); None when every value is good."""
    bad = ~np.isfinite(rows)
    if rows.shape[1] > particle_columns:
        label = rows[:, particle_columns]
        bad[:, particle_columns] |= (label != 0) & (label != 1)
    bad_rows = np.flatnonzero(bad.any(axis=1))
    if not len(bad_rows):
        return None
    row = int(bad_rows[0])
    col = int(np.flatnonzero(bad[row])[0])
    n = len(FEATURES)
    what = "a label 0 or 1" if col == particle_columns else f"a finite {FEATURES[col % n]} of particle {col // n}"
    return row, col, what


def leading_first(particles: np.ndarray) -> np.ndarray:
    """(n, m, 3) particles with each event's real particles sorted by pT (feature 0) descending, ties in file order,
    and all-zero padding slots after them; the array itself when it is already in that order."""
    padding = ~particles.any(axis=2)
    key = np.where(padding, np.inf, -particles[..., 0])
    if (key[:, 1:] >= key[:, :-1]).all():
        return particles
    order = np.argsort(key, axis=1, kind="stable")
    return np.take_along_axis(particles, order[..., None], axis=1)
