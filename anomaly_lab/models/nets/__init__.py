"""Networks as plain torch modules, instantiated from `model.net` configs."""
