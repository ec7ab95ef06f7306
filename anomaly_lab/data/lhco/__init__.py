"""LHC Olympics 2020 R&D dijets: the public file format, an embedded Pythia 8 generator, features and a DataModule."""
