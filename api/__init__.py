"""Linli (邻里): coordinating neighbourhood volunteering."""

__version__ = "0.1.0"
