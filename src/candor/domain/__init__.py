"""The pure domain core: incidents, timeline, obligations … No I/O, no clock, no frameworks."""
