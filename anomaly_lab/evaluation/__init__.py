"""Evaluation: scoring, threshold policies, metrics and reference scorers; one result object per run."""
