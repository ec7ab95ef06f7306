"""ADC2021: Standard Model trigger-level events (MET, e, mu, jets) and four new-physics signals."""
