"""A run's artifacts: figures, metrics.json, scores.h5 and report.md."""
