"""The scanning device and the fitted transform as the scanner applies it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anomaly_lab.data.transforms import Standardizer
from anomaly_lab.scan.scorer import affine_transform, resolve_device


def test_a_standardizer_is_applied_as_its_scale_and_offset() -> None:
    t = Standardizer().fit(np.random.default_rng(0).normal(0.3, 2.0, (50, 64)))
    scale, offset = affine_transform(t, 64)
    x = np.random.default_rng(1).normal(0, 3, (4, 64))
    np.testing.assert_allclose(scale * x + offset, t(x), rtol=1e-6, atol=1e-6)


def test_a_transform_that_is_not_one_scale_and_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="one scale and offset"):
        affine_transform(lambda x: np.tanh(x), 64)
    with pytest.raises(ValueError, match="one scale and offset"):
        affine_transform(lambda x: x * np.arange(x.shape[-1]), 64)  # per-sample scales


def test_devices() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device=tpu: expected one of auto, cpu, cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device=cuda: this torch .* sees no CUDA device"):
            resolve_device("cuda")
