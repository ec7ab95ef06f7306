"""Gravitational-wave strain: design-PSD noise or GWOSC files, whitened windows, BBH injections."""
