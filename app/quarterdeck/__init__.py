"""Quarterdeck: engineers own the roadmap; Quarterdeck keeps the score."""

__version__ = "0.1.0"
