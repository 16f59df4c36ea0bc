"""Adapters at the edges: storage, clock, notifiers, log engines, exporters."""
