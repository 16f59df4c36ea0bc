"""Transports that carry outbox messages: SMTP and signed webhooks."""
