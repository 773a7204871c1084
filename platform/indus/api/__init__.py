"""REST API wiring under /api/v1/."""
