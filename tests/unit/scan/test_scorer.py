"""The scanning device and the fitted transform as the scanner applies it."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from anomaly_lab.data.transforms import Standardizer
from anomaly_lab.models.autoencoder import AutoencoderModule
from anomaly_lab.models.nets.conv1d import Conv1dAutoencoder
from anomaly_lab.scan.scorer import Scorer, resolve_device


def test_the_scanner_applies_the_fitted_standardizer_as_the_pipeline_does() -> None:
    t = Standardizer().fit(np.random.default_rng(0).normal(0.3, 2.0, (50, 64)))
    white = torch.from_numpy(np.random.default_rng(1).normal(0, 3, (4, 64)))  # float64, as the scanner whitens
    # the pipeline stores whitened windows as float32, then transforms them
    np.testing.assert_array_equal(t.as_module()(white).numpy(), t(white.numpy().astype(np.float32)))


def test_devices() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device=tpu: expected one of auto, cpu, cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device=cuda: this torch .* sees no CUDA device"):
            resolve_device("cuda")


def _trained() -> SimpleNamespace:
    torch.manual_seed(0)
    model = AutoencoderModule(Conv1dAutoencoder(1, [8, 4], [8], 3, 2, 1), optimizer=partial(torch.optim.Adam))
    return SimpleNamespace(model=model.eval(), checkpoint="test.ckpt", cfg={"trainer": {"precision": "32-true"}})


def test_onnx_runtime_scores_as_pytorch_does_batch_by_batch() -> None:
    trained = _trained()
    x = torch.randn(37, 1, 64)
    eager = Scorer.of(trained, "cpu", 16, None).scores(x)
    onnx = Scorer.of(trained, "auto", 16, "bf16-mixed", runtime="onnx")
    assert onnx.device == torch.device("cpu") and onnx.precision == "32-true"  # ONNX Runtime scores in float32
    got = onnx.scores(x)
    assert got.shape == (37,) and got.dtype == np.float64
    np.testing.assert_allclose(got, eager, rtol=1e-5, atol=1e-6)


def test_onnx_runtime_on_a_gpu_is_refused_in_one_line() -> None:
    # with a GPU: ONNX Runtime runs on the CPU only here; without one: device=cuda itself is refused
    with pytest.raises(ValueError, match="device=cuda"):
        Scorer.of(_trained(), "cuda", 16, None, runtime="onnx")
