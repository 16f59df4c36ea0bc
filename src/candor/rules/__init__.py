"""Rules and scenarios as data files."""
