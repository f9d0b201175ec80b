"""The agency's pages, one module per area (review queue, dashboard, firms, staff)."""
