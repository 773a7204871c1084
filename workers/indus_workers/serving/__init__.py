"""The serving runtime: rows of a request checked and predicted with other requests' rows in one
forward (dynamic batching), and a weighted split between an alias's two versions. Django-free,
like the rest of the runtime; the platform's `indus.serving` puts it behind HTTP."""
