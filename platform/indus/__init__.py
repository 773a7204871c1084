"""Indus control plane.

The package root imports nothing, so that the plugin API (`indus.plugins.hookspecs`,
`indus.plugins.contract`) and the HTTP-only `indus` command load without Django or Celery.
Celery processes name the app module itself (`celery -A indus.celery`); Django processes load
it when the apps are ready (`indus.core.apps`).
"""
