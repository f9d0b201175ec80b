"""Taxonomy, listings, the matcher and matches."""
