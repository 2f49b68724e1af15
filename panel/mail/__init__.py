"""Outgoing mail: an outbox in the database, rendered templates, SMTP or file delivery."""
