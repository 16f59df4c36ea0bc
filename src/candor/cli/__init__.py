"""The `candor` command line."""
