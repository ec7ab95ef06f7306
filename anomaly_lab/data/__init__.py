"""Datasets: one LightningDataModule per dataset, with public-format readers and embedded generators."""
