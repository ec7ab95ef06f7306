"""The scanner's outputs, written to temporary files renamed when complete: `scores.h5`, appended block by block
(memory holds one block, not the scan), readable and verified by `anomaly_lab.io.load_arrays`; `triggers.csv`."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from anomaly_lab.atomic import atomic_path, write_text_atomic
from anomaly_lab.io import crc32, write_record

CHUNK_ROWS = 16384


class ScoresWriter:
    """Growing 1-D datasets in a new HDF5 file that appears at `path` only when the writer closes without error,
    with the integrity record (shape, dtype, CRC-32 per dataset) that `load_arrays` verifies. `rows`: rows appended;
    `attrs`: set before closing, written as the file's attributes."""

    def __init__(self, path: str | Path, columns: Mapping[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.columns = {name: np.dtype(dtype) for name, dtype in (columns or {}).items()}
        self.crc: dict[str, int] = {}
        self.rows = 0
        self.attrs: dict[str, Any] = {}
        self._stack = ExitStack()

    def __enter__(self) -> ScoresWriter:
        tmp = self._stack.enter_context(atomic_path(self.path))
        self.h5 = self._stack.enter_context(h5py.File(tmp, "w"))
        for name, dtype in self.columns.items():
            self._create(name, dtype)
        return self

    def _create(self, name: str, dtype: np.dtype) -> None:
        self.h5.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(CHUNK_ROWS,))
        self.columns[name], self.crc[name] = dtype, 0

    def append(self, rows: Mapping[str, np.ndarray]) -> None:
        """Append equal-length 1-D arrays, one per column; the first call fixes the columns when none were given."""
        if not self.columns:
            for name, values in rows.items():
                self._create(name, np.asarray(values).dtype)
        if set(rows) != set(self.columns):
            raise ValueError(f"{self.path}: rows for {sorted(rows)}, expected exactly {sorted(self.columns)}")
        lengths = {len(v) for v in rows.values()}
        if len(lengths) != 1:
            raise ValueError(f"{self.path}: columns of unequal lengths {sorted(lengths)}")
        for name, values in rows.items():
            values = np.ascontiguousarray(values, dtype=self.columns[name])
            ds = self.h5[name]
            n = ds.shape[0]
            ds.resize((n + len(values),))
            ds[n:] = values
            self.crc[name] = crc32(values, self.crc[name])
        self.rows += lengths.pop()

    def add(self, name: str, values: np.ndarray) -> None:
        """A dataset written whole (e.g. the trigger list), recorded like the growing ones."""
        values = np.ascontiguousarray(values)
        self.h5.create_dataset(name, data=values)
        self.columns[name] = values.dtype
        self.crc[name] = crc32(values)

    def _finish(self) -> None:
        for key, value in self.attrs.items():
            self.h5.attrs[key] = value
        write_record(self.h5, self.crc)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        if exc_type is None:
            self._finish()
        return self._stack.__exit__(exc_type, exc, tb)


def write_csv(path: str | Path, columns: Mapping[str, np.ndarray]) -> Path:
    """A CSV with one column per entry, in order, floats at full precision (GPS times need it), atomically."""
    names = list(columns)
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(names)
    for row in zip(*(np.asarray(columns[n]).tolist() for n in names), strict=True):
        out.writerow(row)
    return write_text_atomic(path, text.getvalue())
