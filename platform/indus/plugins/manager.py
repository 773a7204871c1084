"""Finding, loading and checking plugins, and the registry of what they provide.

`build_registry()` is pure: give it entry points and an allow-list and it returns a fresh
registry, which is what tests do. `get_registry()` is the process-wide one, built once from
the installed distributions and `settings.INDUS_PLUGINS`.

One broken plugin never stops the others: an import error, a hook that raises, a malformed
declaration, a head or backbone that does not resolve, or a task name claimed twice is
recorded against the plugin(s) concerned, and the rest load.
"""
import difflib
import functools
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

import pluggy

from indus.plugins import hookspecs
from indus.plugins.contract import Backbone, ContractError, Head, SampleDataset, Task, TaskTemplate
from indus.plugins.job_kind import JobKind

ENTRY_POINT_GROUP = "indus"
BUILTIN_PLUGIN = "indus"


@dataclass
class PluginInfo:
    name: str
    module: str
    distribution: str = ""
    version: str = ""
    enabled: bool = True
    errors: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    backbones: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    job_kinds: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.enabled and not self.errors


@dataclass
class PluginRegistry:
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    templates: dict[str, TaskTemplate] = field(default_factory=dict)
    heads: dict[str, Head] = field(default_factory=dict)
    backbones: dict[str, Backbone] = field(default_factory=dict)
    samples: dict[str, SampleDataset] = field(default_factory=dict)
    job_kinds: dict[str, JobKind] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return [f"{p.name}: {error}" for p in self.plugins.values() for error in p.errors]

    def samples_for_task(self, task_name: str) -> list[SampleDataset]:
        return [s for s in self.samples.values() if s.task == task_name]


# What each hook returns, where it goes in the registry, and the type it must be.
_COMPONENTS = (
    ("indus_heads", "heads", Head),
    ("indus_backbones", "backbones", Backbone),
    ("indus_tasks", "tasks", Task),
    ("indus_task_templates", "templates", TaskTemplate),
    ("indus_sample_datasets", "samples", SampleDataset),
    ("indus_job_kinds", "job_kinds", JobKind),
)


def installed_entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def build_registry(
    *, entry_points_: Iterable[EntryPoint] | None = None, allow: Iterable[str] | None = None
) -> PluginRegistry:
    """Load the allowed plugins (all when `allow` is None) and check what they declare."""
    allowed = None if allow is None else set(allow)
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    registry = PluginRegistry()

    from indus.plugins import builtin

    manager.register(builtin, name=BUILTIN_PLUGIN)
    registry.plugins[BUILTIN_PLUGIN] = PluginInfo(name=BUILTIN_PLUGIN, module=builtin.__name__, distribution="indus")

    for entry_point in entry_points_ if entry_points_ is not None else installed_entry_points():
        info = PluginInfo(
            name=entry_point.name,
            module=entry_point.value,
            distribution=entry_point.dist.name if entry_point.dist else "",
            version=entry_point.dist.version if entry_point.dist else "",
            enabled=allowed is None or entry_point.name in allowed,
        )
        if entry_point.name in registry.plugins:
            registry.plugins[entry_point.name].errors.append(
                f"the name is claimed by two entry points ({registry.plugins[entry_point.name].module} "
                f"and {entry_point.value}); neither is loaded twice"
            )
            continue
        registry.plugins[entry_point.name] = info
        if not info.enabled:
            continue
        try:
            manager.register(entry_point.load(), name=entry_point.name)
        except Exception as error:
            info.errors.append(f"could not import {entry_point.value}: {type(error).__name__}: {error}")

    _refuse_unknown_hooks(manager, registry)
    for hook_name, kind, expected_type in _COMPONENTS:
        _collect(manager, registry, hook_name, kind, expected_type)
    _drop_tasks_with_missing_parts(registry)
    return registry


def _refuse_unknown_hooks(manager: pluggy.PluginManager, registry: PluginRegistry) -> None:
    """A `@hookimpl` whose name no hook spec has (`indus_task` for `indus_tasks`) would be
    silently never called. pluggy's `check_pending` finds one at a time: name it against its
    plugin, unregister that plugin (half its declarations would mislead), and look again."""
    known = [name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT_NAME}_")]
    while True:
        try:
            manager.check_pending()
            return
        except pluggy.PluginValidationError as error:
            name = manager.get_name(error.plugin)
            unknown = sorted(
                hook for hook, caller in vars(manager.hook).items()
                if not hook.startswith("_") and not caller.has_spec()
                and any(impl.plugin_name == name and not impl.optionalhook for impl in caller.get_hookimpls())
            )
            for hook in unknown:
                close = difflib.get_close_matches(hook, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                registry.plugins[name].errors.append(f"{hook!r} is not an Indus hook{hint}")
            manager.unregister(name=name)


def _collect(manager, registry: PluginRegistry, hook_name: str, kind: str, expected_type: type) -> None:
    claims: dict[str, list[tuple[str, object]]] = defaultdict(list)
    for implementation in getattr(manager.hook, hook_name).get_hookimpls():
        plugin = registry.plugins[implementation.plugin_name]
        try:
            declared = list(implementation.function() or [])
        except Exception as error:
            plugin.errors.append(f"hook {hook_name} raised {type(error).__name__}: {error}")
            continue
        for item in declared:
            if not isinstance(item, expected_type):
                plugin.errors.append(f"hook {hook_name} returned {item!r}, not a {expected_type.__name__}")
                continue
            problem = _unresolvable_factory(item)
            if problem:
                plugin.errors.append(problem)
                continue
            claims[item.name].append((plugin.name, item))
    components = getattr(registry, kind)
    for name, claimants in claims.items():
        if len(claimants) > 1:
            owners = ", ".join(plugin for plugin, _ in claimants)
            for plugin, _ in claimants:
                registry.plugins[plugin].errors.append(
                    f"{expected_type.__name__.lower()} {name!r} is claimed by several plugins ({owners}); "
                    "none of them is used"
                )
            continue
        plugin, item = claimants[0]
        components[name] = item
        getattr(registry.plugins[plugin], kind).append(name)


def _unresolvable_factory(item) -> str | None:
    """Check that a head, backbone or generator module exists, without importing it."""
    path = getattr(item, "factory", None) or getattr(item, "generator", None)
    if path is None:
        return None
    module = path.split(":", 1)[0]
    if not _module_exists(module):
        return f"{type(item).__name__.lower()} {item.name!r}: module {module!r} of {path!r} cannot be found"
    return None


def _module_exists(dotted_name: str) -> bool:
    """Find a module without running it or its parent packages: the web process must not
    import a worker package just to check that a plugin's head is there. Each level asks the
    import system's finders (editable installs bring their own) with the parent's locations."""
    if dotted_name in sys.modules:
        return True
    parts = dotted_name.split(".")
    search_path = None
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        spec = next(
            (found for finder in sys.meta_path
             if hasattr(finder, "find_spec") and (found := finder.find_spec(name, search_path)) is not None),
            None,
        )
        if spec is None:
            return False
        search_path = spec.submodule_search_locations
    return True


def _drop_tasks_with_missing_parts(registry: PluginRegistry) -> None:
    # A template is checked like a task: its head must take its target kind, its backbone its modality.
    for kind, noun, target_kind in (("tasks", "task", lambda task: task.target.kind),
                                    ("templates", "template", lambda template: template.target_kind)):
        components = getattr(registry, kind)
        for name, task in list(components.items()):
            owner = next(p for p in registry.plugins.values() if name in getattr(p, kind))
            problems = []
            head = registry.heads.get(task.head)
            if head is None:
                problems.append(f"uses head {task.head!r}, which no loaded plugin provides")
            elif target_kind(task) not in head.target_kinds:
                problems.append(f"has a {target_kind(task)} target, which head {task.head!r} does not support")
            backbone = registry.backbones.get(task.backbone)
            if backbone is None:
                problems.append(f"uses backbone {task.backbone!r}, which no loaded plugin provides")
            elif task.modality not in backbone.modalities:
                problems.append(f"is {task.modality}, which backbone {task.backbone!r} cannot encode")
            if problems:
                del components[name]
                getattr(owner, kind).remove(name)
                owner.errors.extend(f"{noun} {name!r} {problem}" for problem in problems)
    for name, sample in list(registry.samples.items()):
        if sample.task not in registry.tasks:
            owner = next(p for p in registry.plugins.values() if name in p.samples)
            del registry.samples[name]
            owner.samples.remove(name)
            owner.errors.append(f"sample dataset {name!r} is for task {sample.task!r}, which is not loaded")


@functools.cache
def get_registry() -> PluginRegistry:
    """The registry of this process, built on first use from settings.INDUS_PLUGINS."""
    from django.conf import settings

    return build_registry(allow=settings.INDUS_PLUGINS)


def reset_registry() -> None:
    get_registry.cache_clear()


__all__ = ["ContractError", "PluginInfo", "PluginRegistry", "build_registry", "get_registry", "reset_registry"]
