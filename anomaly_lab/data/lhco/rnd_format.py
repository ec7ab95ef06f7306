"""The LHC Olympics 2020 R&D file format: stream events from it in chunks, write new files in the same layout.

A pandas DataFrame in HDF5 under key `df`, pandas "fixed" layout (h5py sees `df/block0_values`, shape (N, 2101),
and the column names in `df/axis0`): (pT, eta, phi) of up to 700 hadrons interleaved and zero-padded, then the
label (1 = signal). The black boxes have the same 2100 particle columns and no label. The public file is
compressed by PyTables: the layout is checked through pandas, and row ranges are read by h5py when it can decode
every filter of the block (twice as fast as PyTables here), else by PyTables, which reads any filter it wrote.
The format promises no particle order: the reader returns each event's particles sorted by pT, highest first, so
keeping the first K keeps the K leading ones. Anything else the reader does not expect (an empty or truncated
file, a column that is not numeric, a non-finite value, a label other than 0/1) is a one-line LhcoFormatError.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np
import pandas as pd
import tables

from anomaly_lab.atomic import atomic_path
from anomaly_lab.data.lhco.rnd_checks import first_bad, leading_first
from anomaly_lab.io import hdf5_open_failure

KEY = "df"
N_PARTICLES = 700
N_FEATURES = 3  # pT, eta, phi
PARTICLE_COLUMNS = N_PARTICLES * N_FEATURES
LABELLED_COLUMNS = PARTICLE_COLUMNS + 1
EXPECTED = f"{LABELLED_COLUMNS} columns ({N_PARTICLES} x (pT, eta, phi) + label) or {PARTICLE_COLUMNS} (black box)"


class LhcoFormatError(ValueError):
    """A file that is not in the LHC Olympics R&D format; the message names the file, the key and what was expected."""


class _Source:
    """An open R&D-format file: validated once, then read by row ranges."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        expected = f"expected an LHC Olympics R&D HDF5 file with key '{key}'"
        if not path.is_file():
            raise LhcoFormatError(f"{path}: no such file ({expected})")
        if path.stat().st_size == 0:
            raise LhcoFormatError(f"{path}: empty file ({expected})")
        try:
            self.store = pd.HDFStore(path, mode="r")
        except Exception as err:  # PyTables raises several unrelated types for a non-HDF5 file
            raise LhcoFormatError(f"{path}: {hdf5_open_failure(err, 'a pandas HDF5 file')} ({expected})") from None
        try:
            self._validate(path, key)
        except BaseException:
            self.store.close()
            raise

    def _validate(self, path: Path, key: str) -> None:
        if key not in self.store:
            raise LhcoFormatError(f"{path}: no key '{key}' (found {self.store.keys()}; expected a pandas DataFrame)")
        try:
            storer = self.store.get_storer(key)
        except (TypeError, AttributeError):  # a node pandas did not write
            storer = None
        if getattr(storer, "pandas_type", None) not in ("frame", "frame_table"):
            kind = getattr(storer, "pandas_type", "no pandas object")
            raise LhcoFormatError(f"{path}: key '{key}' holds '{kind}', expected a pandas DataFrame")
        self.key = key
        self.n_events, self.n_columns = (int(storer.nrows), len(storer.non_index_axes[0][1])) if storer.is_table else (
            int(storer.shape[0]), int(storer.shape[1]))  # fmt: skip
        if self.n_columns not in (LABELLED_COLUMNS, PARTICLE_COLUMNS):
            raise LhcoFormatError(f"{path}: key '{key}' has {self.n_columns} columns, expected {EXPECTED}")
        # one float block stored row-major is what pandas writes for the public file: read its rows directly
        self.values: Any = None
        self.h5: h5py.File | None = None
        if not storer.is_table and storer.nblocks == 1:
            node = self.store.get_node(f"{key}/block0_values")
            if getattr(node._v_attrs, "transposed", False) and node.shape == (self.n_events, self.n_columns):
                self.values = node
                self._prefer_h5py(path, key)
        self._check_dtypes(path, key)
        if self.n_events == 0:
            raise LhcoFormatError(f"{path}: key '{key}' holds no events (expected {EXPECTED})")

    def _check_dtypes(self, path: Path, key: str) -> None:
        if self.values is not None:
            dtypes = {f"{key}/block0_values": self.values.dtype}
        else:  # several blocks or the "table" layout: pandas knows each column's type from the first row
            dtypes = self.store.select(key, start=0, stop=1).dtypes.to_dict()
        bad = {name: dtype for name, dtype in dtypes.items() if getattr(dtype, "kind", "O") not in "biuf"}
        if bad:
            name, dtype = next(iter(bad.items()))
            raise LhcoFormatError(f"{path}: key '{key}' column {name!r} holds {dtype}, expected numbers ({EXPECTED})")

    def _prefer_h5py(self, path: Path, key: str) -> None:
        h5 = h5py.File(path, "r")
        plist = h5[f"{key}/block0_values"].id.get_create_plist()
        if all(h5py.h5z.filter_avail(plist.get_filter(i)[0]) for i in range(plist.get_nfilters())):
            self.h5, self.values = h5, h5[f"{key}/block0_values"]
        else:
            h5.close()

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) as an (n, columns) float array; only that slice is read from disk."""
        try:
            if self.values is not None:
                return self.values[start:stop]
            return self.store.select(self.key, start=start, stop=stop).to_numpy(np.float64)
        except (OSError, tables.HDF5ExtError) as err:  # a damaged block: say where, not HDF5's back trace
            raise LhcoFormatError(
                f"{self.path}: key '{self.key}' rows {start}..{stop - 1} cannot be read ({type(err).__name__}); "
                "expected an undamaged file"
            ) from None

    def check(self, rows: np.ndarray, start: int) -> None:
        """Raise on the first non-finite value or bad label of rows read from `start`, naming its event index."""
        bad = first_bad(rows, PARTICLE_COLUMNS)
        if bad is not None:
            row, col, what = bad
            where = f"{self.path}: key '{self.key}' row {start + row} column {col}"
            raise LhcoFormatError(f"{where} holds {float(rows[row, col])}, expected {what}")

    def close(self) -> None:
        if self.h5 is not None:
            self.h5.close()
        self.store.close()


def n_events(path: str | Path, key: str = KEY) -> int:
    """Number of events in a file, read from its metadata only; a file with none is an LhcoFormatError."""
    source = _Source(Path(path), key)
    try:
        return source.n_events
    finally:
        source.close()


def split_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(particles (n, 700, 3) float32, labels (n,) int64 or None) from raw rows of the file."""
    particles = rows[:, :PARTICLE_COLUMNS].astype(np.float32).reshape(len(rows), N_PARTICLES, N_FEATURES)
    labels = rows[:, PARTICLE_COLUMNS].astype(np.int64) if rows.shape[1] == LABELLED_COLUMNS else None
    return particles, labels


def iter_events(
    path: str | Path, chunk_size: int = 10_000, key: str = KEY, start: int = 0, stop: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield (particles (n, 700, 3) float32 as pT, eta, phi; labels (n,) int64, None for a black box) chunk by
    chunk, so memory holds one chunk (about 17 kB per event as float64) whatever the file size.

    Each event's particles come sorted by pT, highest first, zero-padded slots last, whatever the file's order.
    A chunk holding a non-finite value or a label other than 0/1 is never yielded: LhcoFormatError names the
    file, the first bad row (its event index in the file) and the column."""
    source = _Source(Path(path), key)
    try:
        stop = source.n_events if stop is None else min(stop, source.n_events)
        for lo in range(start, stop, chunk_size):
            rows = source.rows(lo, min(lo + chunk_size, stop))
            source.check(rows, lo)
            particles, labels = split_rows(rows)
            yield leading_first(particles), labels
    finally:
        source.close()


def event_rows(particles: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """Rows of the file layout (n, 2101) float64 (2100 without labels) from (n, 700, 3) particles."""
    n = len(particles)
    if particles.shape[1:] != (N_PARTICLES, N_FEATURES):
        raise ValueError(f"particles: expected shape (n, {N_PARTICLES}, {N_FEATURES}), got {particles.shape}")
    if labels is None:
        return particles.reshape(n, PARTICLE_COLUMNS).astype(np.float64)
    if len(labels) != n:
        raise ValueError(f"labels: expected {n} entries, got {len(labels)}")
    return np.concatenate([particles.reshape(n, PARTICLE_COLUMNS), np.asarray(labels).reshape(n, 1)], axis=1).astype(
        np.float64
    )


class EventWriter:
    """Append events to a new file in the R&D layout; the file appears at `path` (renamed from a temporary file)
    only when the writer closes without error, so a crash never leaves a half-written file.

    pandas writes the layout's metadata (a one-row frame), then the row data and the index are replaced by
    extendable PyTables arrays with the same attributes, which chunks are appended to.
    """

    def __init__(
        self, path: str | Path, labelled: bool = True, key: str = KEY, complevel: int = 1, complib: str = "zlib"
    ) -> None:
        self.path, self.key, self.labelled = Path(path), key, labelled
        self.n_columns = LABELLED_COLUMNS if labelled else PARTICLE_COLUMNS
        self.filters = tables.Filters(complevel=complevel, complib=complib, shuffle=True)
        self.complevel, self.complib = complevel, complib
        self.n_written = 0
        self._stack = ExitStack()

    def __enter__(self) -> EventWriter:
        tmp = self._stack.enter_context(atomic_path(self.path))
        frame = pd.DataFrame(np.zeros((1, self.n_columns)), columns=range(self.n_columns))
        frame.to_hdf(tmp, key=self.key, format="fixed", complevel=self.complevel, complib=self.complib)
        self.h5 = self._stack.enter_context(tables.open_file(tmp, mode="a"))
        group = self.h5.get_node(f"/{self.key}")
        self.values = self._extendable(group, "block0_values", tables.Float64Atom(), (0, self.n_columns), (16,))
        self.index = self._extendable(group, "axis1", tables.Int64Atom(), (0,), (4096,))
        return self

    def _extendable(self, group: tables.Group, name: str, atom: tables.Atom, shape: tuple, chunk: tuple) -> Any:
        old = group._f_get_child(name)
        attrs = {k: old._v_attrs[k] for k in old._v_attrs._f_list("user")}
        old._f_remove()
        chunkshape = chunk + shape[1:]
        arr = self.h5.create_earray(group, name, atom, shape, filters=self.filters, chunkshape=chunkshape)
        for k, v in attrs.items():
            arr._v_attrs[k] = v
        return arr

    def append(self, particles: np.ndarray, labels: np.ndarray | None = None) -> None:
        """Append (n, 700, 3) particles (pT, eta, phi, zero-padded) and, for a labelled file, their labels."""
        if (labels is not None) != self.labelled:
            raise ValueError(f"{self.path}: labels {'required' if self.labelled else 'not expected'} for this file")
        rows = event_rows(particles, labels)
        self.values.append(rows)
        self.index.append(np.arange(self.n_written, self.n_written + len(rows), dtype=np.int64))
        self.n_written += len(rows)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return self._stack.__exit__(exc_type, exc, tb)


def write_events(
    path: str | Path, particles: np.ndarray, labels: np.ndarray | None = None, chunk_size: int = 10_000, **kw
) -> Path:
    """Write events to a new R&D-format file (a black box when `labels` is None), atomically, chunk by chunk."""
    with EventWriter(path, labelled=labels is not None, **kw) as writer:
        for lo in range(0, len(particles), chunk_size):
            writer.append(particles[lo : lo + chunk_size], None if labels is None else labels[lo : lo + chunk_size])
    return Path(path)
