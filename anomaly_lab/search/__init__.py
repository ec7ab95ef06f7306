"""A search in time: simulated multi-detector stretches with injections at known GPS times, coincidence between
detectors, time-slide background and found injections; `python -m anomaly_lab.search simulate|analyse ...`."""
