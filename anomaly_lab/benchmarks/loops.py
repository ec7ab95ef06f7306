"""Plain PyTorch loops, the baseline of `make bench`: the study's network, loss and optimiser with the data already on
the device, in fp32, under bf16 autocast, or bf16 with torch.compile; rates in samples per second."""

from __future__ import annotations

import time
from collections.abc import Callable

import lightning as L
import torch
from torch import nn

from anomaly_lab.evaluation.scoring import autocast
from anomaly_lab.models.vae import VAEModule, kl_divergence, latent_norm

PerSample = Callable[[nn.Module, torch.Tensor], torch.Tensor]


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels, so that a clock read after it covers the work before it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def compiled(fn: Callable, compile: bool) -> Callable:
    """`fn`, compiled for fixed shapes when asked (every timed batch has one shape: the sizes divide evenly)."""
    return torch.compile(fn, dynamic=False) if compile else fn


def warmup_inputs(x: torch.Tensor, batch_size: int, compile: bool) -> torch.Tensor:
    """A warm-up call's inputs: a whole batch when compiling (the shape it must compile for), else at most 256
    samples (a first call's one-off costs, paid cheaply where a batch of 4096 takes seconds on a CPU)."""
    return x[: batch_size if compile else min(batch_size, 256)]


def per_sample_loss(module: L.LightningModule) -> PerSample:
    """The module family's per-sample training loss as a plain function of (net, x)."""
    error = module.error  # plain functions only in what gets compiled, no LightningModule
    if isinstance(module, VAEModule):
        beta = module.hparams.beta

        def vae_loss(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
            recon, mean, log_var = net(x)
            return error(x, recon) + beta * kl_divergence(mean, log_var)

        return vae_loss
    return lambda net, x: error(x, net(x))


def per_sample_score(module: L.LightningModule) -> PerSample:
    """The module family's anomaly score as a plain function of (net, x): what its `predict_step` returns."""
    error = module.error
    if isinstance(module, VAEModule):
        beta, kind = module.hparams.beta, module.hparams.score

        def vae_score(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
            recon, mean, log_var = net(x)
            recon_error, kl = error(x, recon), kl_divergence(mean, log_var)
            scores = {"reconstruction": recon_error, "kl": kl, "both": recon_error + beta * kl}
            return (latent_norm(mean) if kind == "mu2" else scores[kind]).float()

        return vae_score
    return lambda net, x: error(x, net(x)).float()


def plain_training(
    module: L.LightningModule, x: torch.Tensor, batch_size: int, epochs: int, warmup: int,
    bf16: bool = False, compile: bool = False,
) -> float:  # fmt: skip
    """Samples/s of shuffle, forward, loss, backward and the study's optimiser step over `x` (on the device) for
    `epochs` epochs, timed from the end of the first `warmup` batches (compilation happens there)."""
    if len(x) // batch_size <= warmup:
        raise ValueError(f"{len(x)} samples make no timed batch of {batch_size} after {warmup} warm-up batches")
    device, loss_of = x.device, per_sample_loss(module)
    net = module.net.to(device).train()
    optimizer = module.optimizer_factory(params=net.parameters())
    step_loss = compiled(lambda xb: loss_of(net, xb).mean(), compile)
    n, timed, start = len(x), 0, 0.0
    for epoch in range(epochs):
        order = torch.randperm(n, device=device)
        for i, lo in enumerate(range(0, n, batch_size)):
            if epoch == 0 and i == warmup:
                synchronize(device)
                start, timed = time.perf_counter(), 0
            xb = x[order[lo : lo + batch_size]]
            optimizer.zero_grad(set_to_none=True)
            with autocast(device, "bf16-mixed" if bf16 else "32-true"):
                loss = step_loss(xb)
            loss.backward()
            optimizer.step()
            timed += len(xb)
    synchronize(device)
    return timed / (time.perf_counter() - start)


@torch.inference_mode()
def plain_scoring(
    module: L.LightningModule, x: torch.Tensor, batch_size: int, warmup: int, bf16: bool = False,
    compile: bool = False,
) -> float:  # fmt: skip
    """Samples/s of scoring every sample of `x` (on the device) in batches, the scores brought back to the host,
    after `warmup` batches (compilation happens there)."""
    device, score_of = x.device, per_sample_score(module)
    net = module.net.to(device).eval()
    score = compiled(lambda xb: score_of(net, xb), compile)
    with autocast(device, "bf16-mixed" if bf16 else "32-true"):
        for _ in range(warmup):
            score(warmup_inputs(x, batch_size, compile))
        synchronize(device)
        start = time.perf_counter()
        scores = torch.cat([score(x[lo : lo + batch_size]) for lo in range(0, len(x), batch_size)]).cpu()
    return len(scores) / (time.perf_counter() - start)
