"""Distance correlation as a differentiable loss term: DisCo (Kasieczka & Shih, arXiv:2001.05310) adds it between
the anomaly score and a variable such as mjj, so that a cut on the score does not sculpt that variable's shape."""

from __future__ import annotations

import torch


def _centred_distances(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """|x_j - x_k| double-centred with the sample weights `w` (mean 1): the A (or B) matrix of Szekely et al."""
    d = (x[:, None] - x[None, :]).abs()
    row = (d * w[None, :]).mean(dim=1)  # weighted mean over k of d_jk
    return d - row[None, :] - row[:, None] + (row * w).mean()


def distance_correlation(a: torch.Tensor, b: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Squared distance correlation dCov^2(a, b) / sqrt(dVar^2(a) dVar^2(b)) of two per-sample batches, in [0, 1]:
    0 for independent variables (in the large-batch limit), 1 for a linear relation. Weighted as in DisCo (weights
    normalised to mean 1); 0, not NaN, when either batch is constant. Costs O(batch^2) memory."""
    a = a.flatten() if a.dtype == torch.float64 else a.flatten().float()  # half precision: n^2 sums in float32
    b = b.flatten().to(a)
    if a.shape != b.shape:
        raise ValueError(f"distance_correlation: batches of {a.numel()} and {b.numel()} samples")
    w = torch.ones_like(a) if weights is None else weights.flatten().to(a)
    w = w * (len(w) / w.sum())
    A, B = _centred_distances(a, w), _centred_distances(b, w)

    def mean2(m: torch.Tensor) -> torch.Tensor:  # sum_jk p_j p_k m_jk with p = w / n
        return ((m * w[None, :]).mean(dim=1) * w).mean()

    denom = mean2(A * A) * mean2(B * B)
    # a constant batch has dVar 0: no correlation to remove, and sqrt(0)'s gradient would be inf
    tiny = torch.finfo(denom.dtype).tiny
    return torch.where(denom > tiny, mean2(A * B) / denom.clamp_min(tiny).sqrt(), torch.zeros_like(denom))
