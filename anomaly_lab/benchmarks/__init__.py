"""Benchmarks (`make bench`): our paths against plain PyTorch loops, generator and reader rates."""
