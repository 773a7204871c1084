"""Deep checks of a registry: importing every factory a plugin names.

Importing factories pulls in torch, so this runs only where that is expected (the `plugins
check` command, a worker), never in the web process.
"""
from indus.plugins.contract import resolve_factory
from indus.plugins.manager import PluginRegistry


def factory_errors(registry: PluginRegistry) -> dict[str, list[str]]:
    """Per plugin, the factories that fail to import or are not callable."""
    errors: dict[str, list[str]] = {}
    for plugin in registry.plugins.values():
        components = [
            *(registry.heads[name] for name in plugin.heads),
            *(registry.backbones[name] for name in plugin.backbones),
            *(registry.samples[name] for name in plugin.samples),
        ]
        for component in components:
            path = getattr(component, "factory", None) or component.generator
            try:
                if not callable(resolve_factory(path)):
                    raise TypeError("it is not callable")
            except Exception as error:
                errors.setdefault(plugin.name, []).append(
                    f"{type(component).__name__.lower()} {component.name!r}: {path} does not load "
                    f"({type(error).__name__}: {error})"
                )
    return errors
