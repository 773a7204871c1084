from django.core.management.base import BaseCommand, CommandError

from indus.plugins.inspection import factory_errors
from indus.plugins.manager import get_registry


class Command(BaseCommand):
    help = "List installed plugins, show one, or check that every plugin and its factories load."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="every installed plugin, whether it is enabled and loaded")
        show = actions.add_parser("show", help="one plugin's tasks, heads, backbones and samples")
        show.add_argument("name")
        actions.add_parser("check", help="load every plugin and import its factories; exit 1 on any error")

    def handle(self, *args, action: str, **options):
        registry = get_registry()
        if action == "list":
            self._list(registry)
        elif action == "show":
            self._show(registry, options["name"])
        else:
            self._check(registry)

    def _list(self, registry):
        self.stdout.write(f"{'plugin':<14}{'distribution':<22}{'status':<10}{'tasks':>6}{'heads':>6}{'backbones':>10}")
        for plugin in registry.plugins.values():
            status = "disabled" if not plugin.enabled else "ERROR" if plugin.errors else "loaded"
            distribution = f"{plugin.distribution} {plugin.version}".strip()
            self.stdout.write(
                f"{plugin.name:<14}{distribution:<22}{status:<10}"
                f"{len(plugin.tasks):>6}{len(plugin.heads):>6}{len(plugin.backbones):>10}"
            )

    def _show(self, registry, name):
        plugin = registry.plugins.get(name)
        if plugin is None:
            raise CommandError(f"no plugin named {name!r}; installed: {', '.join(registry.plugins)}")
        self.stdout.write(f"{plugin.name} ({plugin.module}) {plugin.distribution} {plugin.version}")
        self.stdout.write(f"  enabled: {'yes' if plugin.enabled else 'no (not in INDUS_PLUGINS)'}")
        for task_name in plugin.tasks:
            task = registry.tasks[task_name]
            self.stdout.write(
                f"  task {task.name}: {task.title} [{task.modality}, {task.target.kind} target "
                f"{task.target.column!r}, head {task.head}, backbone {task.backbone}, "
                f"metrics {', '.join(task.metrics)}]"
            )
        for kind in ("heads", "backbones", "samples"):
            for item_name in getattr(plugin, kind):
                item = getattr(registry, kind)[item_name]
                self.stdout.write(f"  {kind[:-1]} {item.name}: {item.title}")
        for error in plugin.errors:
            self.stdout.write(f"  error: {error}")

    def _check(self, registry):
        problems = [f"{p.name}: {e}" for p in registry.plugins.values() for e in p.errors]
        problems += [f"{name}: {e}" for name, errs in factory_errors(registry).items() for e in errs]
        loaded = [p.name for p in registry.plugins.values() if p.loaded]
        self.stdout.write(f"loaded: {', '.join(loaded) or 'none'}; {len(registry.tasks)} tasks")
        for problem in problems:
            self.stderr.write(f"error: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} plugin problem(s)", returncode=1)
        self.stdout.write("all plugins load")
