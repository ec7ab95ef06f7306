"""Export of a trained model to one self-contained file (ONNX or TorchScript) that scores raw samples, with the
fitted preprocessing inside and the run's threshold in its metadata: `python -m anomaly_lab.export ckpt=...`."""
