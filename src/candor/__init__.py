"""Candor: a workbench for handling security incidents from routine to breach."""

__version__ = "0.1.0"
