"""The demo region: fictional firms at real industrial sites in Satakunta, Finland.

``data`` reads and checks ``data/demo/*.json``; ``services.demo_region_load`` writes it;
``demo_step`` is matching's step of ``manage.py load_demo`` (``symbiosis.demo``).
"""

from matching.demo.step import demo_step

__all__ = ["demo_step"]
