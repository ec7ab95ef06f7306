"""Models: one LightningModule per autoencoder family; networks are plain nn.Modules passed in by config."""
