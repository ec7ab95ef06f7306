"""Top-vs-QCD jet images: the Top Quark Tagging file format, a Pythia 8 + FastJet generator, a DataModule."""
