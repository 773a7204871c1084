"""Discovery, allow-listing and isolation of broken plugins, through fresh registries."""
import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest
from django.core.management import CommandError, call_command

from indus.plugins.contract import ContractError, Target, TargetKind, Task
from indus.plugins.manager import BUILTIN_PLUGIN, build_registry

GOOD_PLUGIN = '''
from indus.plugins.contract import Column, ColumnType, Modality, Target, TargetKind, Task
from indus.plugins.hookspecs import hookimpl

@hookimpl
def indus_tasks():
    return [Task(
        name="{name}.complaints", title="Complaint routing", description="Route complaints.",
        modality=Modality.TEXT, inputs=(Column("text", ColumnType.TEXT),),
        target=Target(TargetKind.CLASSES, "team", labels=("billing", "fraud")),
        head="{head}", backbone="minilm", metrics=("accuracy",),
    )]
'''


@pytest.fixture
def plugin_modules(tmp_path, monkeypatch):
    """Write plugin modules to a folder on sys.path and return entry points for them."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name: str, source: str) -> EntryPoint:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        # An earlier test may have imported a module of the same name: load this one.
        monkeypatch.delitem(sys.modules, name, raising=False)
        return EntryPoint(name=name, value=name, group="indus")

    return write


def good_plugin(plugin_modules, name="acme", head="classification"):
    return plugin_modules(name, GOOD_PLUGIN.format(name=name, head=head))


def test_builtin_heads_and_backbones_load():
    registry = build_registry(entry_points_=[])
    builtin = registry.plugins[BUILTIN_PLUGIN]
    assert builtin.errors == []
    assert {"classification", "ordinal", "token_classification", "ranking", "forecasting"} <= set(registry.heads)
    assert {"minilm", "tabular_mlp", "time_series_gru", "text_tabular_fusion"} == set(registry.backbones)


def test_an_installed_plugin_adds_its_tasks(plugin_modules):
    registry = build_registry(entry_points_=[good_plugin(plugin_modules)])
    assert registry.plugins["acme"].loaded
    assert registry.plugins["acme"].tasks == ["acme.complaints"]
    assert registry.tasks["acme.complaints"].target.labels == ("billing", "fraud")


def test_the_allow_list_hides_an_installed_plugin(plugin_modules):
    registry = build_registry(entry_points_=[good_plugin(plugin_modules)], allow=[])
    assert not registry.plugins["acme"].enabled
    assert "acme.complaints" not in registry.tasks


def test_an_import_error_is_named_and_the_others_still_load(plugin_modules):
    broken = plugin_modules("broken", "import not_a_real_module\n")
    registry = build_registry(entry_points_=[broken, good_plugin(plugin_modules)])
    assert registry.plugins["broken"].errors == [
        "could not import broken: ModuleNotFoundError: No module named 'not_a_real_module'"
    ]
    assert "acme.complaints" in registry.tasks


def test_a_raising_hook_is_named(plugin_modules):
    raising = plugin_modules("raising", """
        from indus.plugins.hookspecs import hookimpl

        @hookimpl
        def indus_tasks():
            raise RuntimeError("database of tasks is down")
    """)
    registry = build_registry(entry_points_=[raising, good_plugin(plugin_modules)])
    assert registry.plugins["raising"].errors == ["hook indus_tasks raised RuntimeError: database of tasks is down"]
    assert registry.plugins["acme"].loaded


def test_a_misspelt_hook_is_an_error_of_its_plugin(plugin_modules):
    misspelt = plugin_modules("misspelt", GOOD_PLUGIN.format(name="misspelt", head="classification").replace(
        "def indus_tasks():", "def indus_task():"
    ) + """
@hookimpl
def indus_backbone():
    return []
""")
    registry = build_registry(entry_points_=[misspelt, good_plugin(plugin_modules)])
    assert registry.plugins["misspelt"].errors == [
        "'indus_backbone' is not an Indus hook; did you mean 'indus_backbones'?",
        "'indus_task' is not an Indus hook; did you mean 'indus_tasks'?",
    ]
    assert not registry.plugins["misspelt"].loaded
    assert "misspelt.complaints" not in registry.tasks
    assert registry.plugins["acme"].loaded and "acme.complaints" in registry.tasks


def test_an_optional_hook_of_a_later_version_is_not_an_error(plugin_modules):
    forward = plugin_modules("forward", GOOD_PLUGIN.format(name="forward", head="classification") + """
@hookimpl(optionalhook=True)
def indus_not_yet_a_hook():
    return []
""")
    registry = build_registry(entry_points_=[forward])
    assert registry.plugins["forward"].loaded
    assert "forward.complaints" in registry.tasks


def test_a_head_whose_module_does_not_exist_is_refused_with_its_tasks(plugin_modules):
    with_bad_head = plugin_modules("badhead", GOOD_PLUGIN.format(name="badhead", head="badhead.special") + '''
from indus.plugins.contract import Head

@hookimpl
def indus_heads():
    return [Head("badhead.special", "Special", "badhead_missing.heads:SpecialHead", (TargetKind.CLASSES,))]
''')
    registry = build_registry(entry_points_=[with_bad_head])
    errors = registry.plugins["badhead"].errors
    assert any("module 'badhead_missing.heads'" in e and "cannot be found" in e for e in errors)
    assert any("task 'badhead.complaints' uses head 'badhead.special'" in e for e in errors)
    assert "badhead.complaints" not in registry.tasks


def test_two_plugins_claiming_one_task_name_are_both_named(plugin_modules):
    first = plugin_modules("first", GOOD_PLUGIN.format(name="shared", head="classification"))
    second = plugin_modules("second", GOOD_PLUGIN.format(name="shared", head="classification"))
    registry = build_registry(entry_points_=[first, second])
    assert "shared.complaints" not in registry.tasks
    for name in ("first", "second"):
        assert registry.plugins[name].errors == [
            "task 'shared.complaints' is claimed by several plugins (first, second); none of them is used"
        ]


def test_a_task_whose_target_the_head_cannot_serve_is_refused(plugin_modules):
    registry = build_registry(entry_points_=[good_plugin(plugin_modules, head="regression")])
    assert registry.plugins["acme"].errors == [
        "task 'acme.complaints' has a classes target, which head 'regression' does not support"
    ]


@pytest.mark.parametrize("build,message", [
    (lambda: Target(TargetKind.CLASSES, "y", labels=("only",)), "at least two labels"),
    (lambda: Target(TargetKind.QUANTILES, "y", quantiles=(0.5, 1.5)), "strictly between 0 and 1"),
    (lambda: Target(TargetKind.FORECAST, "y", horizon=0, time_column="t"), "positive horizon"),
])
def test_the_contract_refuses_malformed_targets(build, message):
    with pytest.raises(ContractError, match=message):
        build()


def test_the_contract_refuses_malformed_task_names():
    with pytest.raises(ContractError, match="must look like 'plugin.task'"):
        Task(name="Credit Scoring", title="", description="", modality="text", inputs=(), target=None,
             head="classification", backbone="minilm", metrics=())


@pytest.fixture
def registry_of(monkeypatch):
    def use(*entry_points):
        registry = build_registry(entry_points_=list(entry_points))
        monkeypatch.setattr("indus.plugins.management.commands.plugins.get_registry", lambda: registry)
        monkeypatch.setattr("indus.plugins.manager.get_registry", lambda: registry)
        return registry

    return use


def test_plugins_check_fails_on_a_broken_plugin(plugin_modules, registry_of, capsys):
    registry_of(plugin_modules("broken", "import not_a_real_module\n"), good_plugin(plugin_modules))
    with pytest.raises(CommandError) as failure:
        call_command("plugins", "check")
    assert failure.value.returncode == 1
    assert "broken: could not import broken" in capsys.readouterr().err


def test_plugins_list_and_show(plugin_modules, registry_of, capsys):
    registry_of(good_plugin(plugin_modules))
    call_command("plugins", "list")
    listing = capsys.readouterr().out
    assert any(line.split()[:2] == ["acme", "loaded"] for line in listing.splitlines())
    call_command("plugins", "show", "acme")
    assert "task acme.complaints: Complaint routing [text, classes target 'team'" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no plugin named 'nope'"):
        call_command("plugins", "show", "nope")


def test_the_admin_shows_plugins_and_their_errors(admin_client, plugin_modules, registry_of):
    registry_of(good_plugin(plugin_modules), plugin_modules("broken", "import not_a_real_module\n"))
    page = admin_client.get("/admin/plugins/").content.decode()
    assert "acme.complaints" in page
    assert "could not import broken" in page
