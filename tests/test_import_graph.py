"""The apps under platform/indus depend on each other one way: no import cycle between them, and
`jobs` (the state machine every kind uses) imports no app that declares a kind. Every import
counts, at the top of a module or inside a function: a deferred import is still a dependency."""
import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import indus

PACKAGE = Path(indus.__file__).parent
APPS = sorted(path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists())
KIND_APPS = {"training", "inference", "evaluation", "datasets", "registry"}


def imported_apps(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # `from indus import jobs`
    return {parts[1] for parts in (name.split(".") for name in names)
            if len(parts) > 1 and parts[0] == "indus" and parts[1] in APPS}


def app_graph() -> dict[str, dict[str, list[str]]]:
    """{app: {app it imports: [the modules that import it]}}."""
    graph = defaultdict(lambda: defaultdict(list))
    for app in APPS:
        for path in sorted((PACKAGE / app).rglob("*.py")):
            for other in imported_apps(path) - {app}:
                graph[app][other].append(str(path.relative_to(PACKAGE.parent)))
    return graph


def shortest_cycle(graph, start: str) -> list[str] | None:
    """The shortest chain of imports that leads from an app back to itself, or None."""
    paths, frontier = {}, [start]
    while frontier:
        following = []
        for app in frontier:
            for other in sorted(graph.get(app, {})):
                if other == start:
                    chain = [start]
                    while app != start:
                        chain.insert(1, app)
                        app = paths[app]
                    return [*chain, start]
                if other not in paths:
                    paths[other] = app
                    following.append(other)
        frontier = following
    return None


def cycles(graph) -> list[list[str]]:
    """The shortest cycle through each app that is on one, each cycle once."""
    found = []
    for app in APPS:
        cycle = shortest_cycle(graph, app)
        if cycle and not any(set(cycle) == set(other) for other in found):
            found.append(cycle)
    return found


def test_the_graph_sees_the_apps_and_their_imports():
    # The check below means something only if the graph is real: training uses jobs and datasets.
    graph = app_graph()
    assert {"jobs", "training", "datasets", "api", "plugins"} <= set(APPS)
    assert {"jobs", "datasets"} <= set(graph["training"])


def test_no_import_cycle_between_apps():
    graph = app_graph()
    described = [
        " -> ".join(cycle) + " (" + "; ".join(
            f"{app} imports {other} in {', '.join(graph[app][other])}" for app, other in pairwise(cycle)
        ) + ")"
        for cycle in cycles(graph)
    ]
    assert not described, "\n".join(described)


def test_jobs_imports_no_app_that_declares_a_kind():
    graph = app_graph()
    assert not {app: modules for app, modules in graph["jobs"].items() if app in KIND_APPS}
