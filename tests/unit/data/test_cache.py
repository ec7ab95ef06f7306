"""The dataset cache is keyed by config: equal configs share an entry built once, and a failed build leaves none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.cache import cached, config_key


def test_cache_key_follows_the_config() -> None:
    assert config_key({"a": 1, "b": [1, 2]}) == config_key({"b": [1, 2], "a": 1})
    assert config_key({"a": 1}) != config_key({"a": 2})


def test_cache_builds_once_and_never_leaves_a_partial_file(tmp_path: Path) -> None:
    calls = []

    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"x": np.arange(3)}

    first = cached(tmp_path, "t", {"a": 1}, build)
    second = cached(tmp_path, "t", {"a": 1}, build)
    assert len(calls) == 1 and np.array_equal(first["x"], second["x"])

    class Unstorable:
        pass

    with pytest.raises(TypeError):
        cached(tmp_path, "t", {"a": 2}, lambda: {"x": np.array([Unstorable()])})
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"t-{config_key({'a': 1})}.h5"]
