"""The scanner: a trained model slid over whole strain files (or streamed over event files), with per-window scores
and clustered triggers written atomically; `python -m anomaly_lab.scan ckpt=... input=... output=...`."""
