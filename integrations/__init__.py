"""Integrations: what clients' systems (ERPs, waste trackers) use to automate the API.

Company API keys (``models.ApiKey``, ``authentication``), bulk and external-id access to
listings (``api``), and the portal page where a company manages its keys (``views``).
"""
