"""Reflex state: every event that reads or changes data resolves the session on the server."""
