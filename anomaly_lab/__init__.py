"""anomaly_lab: autoencoder anomaly detection studies for particle and gravitational-wave physics."""

__version__ = "0.1.0"
