"""`python -m anomaly_lab ...` runs the training and evaluation flow."""

from anomaly_lab.train import main

if __name__ == "__main__":
    main()
