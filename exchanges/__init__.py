"""Exchanges: from a match to a contact, an agreement and recorded deliveries.

Sits above ``matching`` (it reads matches and listings through matching's selectors);
``matching`` never imports it.
"""
