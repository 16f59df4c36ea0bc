"""Scoping: how far did an attack spread, and whose data did it touch?

Pure model of a log scan. The responder writes an indicators file (``indicators.py``), a scan
request names the logs (``plan.py``), an engine adapter reads the logs and hands back grouped
figures (``results.ScanAggregates``), and this package turns those into the answer
(``results.summarize``): per indicator, per account, per source IP and principal, an hourly
histogram, and the pivots to add for the next run (``pivots.py``). No I/O happens here; the
engines live in ``candor.adapters.logs``.
"""
