"""Which metric a search may optimise, and in which direction: only validation metrics, never a test one."""

from __future__ import annotations

from typing import Any

# metrics whose direction is known; another val_* metric takes the configured direction (default: maximise)
KNOWN_DIRECTIONS = {"val_loss": "minimize", "val_auroc": "maximize"}


def objective_direction(metric: Any, direction: Any = None) -> str:
    """The study's direction for `optimized_metric`; a ValueError for a metric that is not a validation one (the
    test set stays unseen until the search is over) or for a direction that contradicts the metric."""
    if not isinstance(metric, str) or not metric.startswith("val_"):
        raise ValueError(
            f"optimized_metric={metric}: a search optimises a validation metric (val_auroc, val_loss), never a "
            "test one; set optimized_metric=val_auroc or val_loss"
        )
    if direction is not None and not isinstance(direction, str):
        directions = list(direction)
        if len(directions) != 1:
            raise ValueError(
                f"hydra.sweeper.direction={directions}: one objective only (multi-objective is not supported)"
            )
        direction = directions[0]
    if direction is not None and direction not in ("minimize", "maximize"):
        raise ValueError(f"hydra.sweeper.direction={direction}: expected minimize or maximize")
    known = KNOWN_DIRECTIONS.get(metric)
    if direction is None:
        return known or ("minimize" if metric.endswith("loss") else "maximize")
    if known is not None and direction != known:
        raise ValueError(
            f"optimized_metric={metric} is {known}d, not {direction}d: set hydra.sweeper.direction={known}"
        )
    return direction
