"""The demo region: fictional firms at real industrial sites in Satakunta, Finland.

``data`` reads and checks ``data/demo/*.json``; ``services.demo_region_load`` writes it.
"""
