"""Writes of the agency app, one module per area; each function runs in one transaction."""
