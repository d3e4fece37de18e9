"""Gatehouse: open, self-hosted security and workplace platform."""

__version__ = "0.1.0"
