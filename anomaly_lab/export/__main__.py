"""`python -m anomaly_lab.export ckpt=<file> format=onnx|torchscript [output=<file>] [config=<run config>]`."""

from anomaly_lab.export.cli import main

if __name__ == "__main__":
    main()
