"""Per-step losses reach the logs as one sample-weighted mean per epoch, as Lightning's on_epoch logging gave."""

from __future__ import annotations

import math
from functools import partial

import torch

from anomaly_lab.models.autoencoder import AutoencoderModule
from anomaly_lab.models.nets.dense import DenseAutoencoder


def _module() -> AutoencoderModule:
    return AutoencoderModule(DenseAutoencoder((4,), hidden=[3], latent_dim=2), partial(torch.optim.Adam))


def test_epoch_mean_weights_batches_by_their_samples_and_resets() -> None:
    module, logged = _module(), {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, (float(value), kw))  # type: ignore[method-assign]
    module.epoch_mean("val_loss", torch.tensor(1.0), 3)
    module.epoch_mean("val_loss", torch.tensor(4.0), 1)
    module.epoch_mean("train_loss", torch.tensor(9.0), 2)
    module.on_validation_epoch_end()
    assert logged == {"val_loss": (1.75, {"prog_bar": True})}  # (3 * 1 + 1 * 4) / 4, train's left for its epoch
    module.on_validation_epoch_end()
    assert len(logged) == 1  # reset: nothing pending, nothing logged again
    module.on_train_epoch_end()
    assert logged["train_loss"][0] == 9.0


def test_a_nan_loss_is_not_averaged_away() -> None:
    module, logged = _module(), {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, float(value))  # type: ignore[method-assign]
    module.epoch_mean("val_loss", torch.tensor(1.0), 3)
    module.epoch_mean("val_loss", torch.tensor(math.nan), 3)
    module.on_validation_epoch_end()
    assert math.isnan(logged["val_loss"])


def test_epoch_means_leave_the_checkpoint_keys_alone() -> None:
    module = _module()
    before = set(module.state_dict())
    module.epoch_mean("train_loss", torch.tensor(1.0), 2)
    assert set(module.state_dict()) == before
