"""`indus tasks`: bindings of a template to a table's own columns, against a live server."""
import json

import pytest

from tests.api.test_task_bindings import clinical_table

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_binding_is_inferred_created_listed_and_shown(indus, stored_version):
    version = stored_version(clinical_table(120))

    code, out, err = indus("tasks", "infer", "credit", "--dataset-version", version.pk, "--target", "diagnosis",
                           "--input", "mean radius:number", "--input", "worst area")
    assert code == 0, err
    assert "template: indus.tabular_classification" in out and "binary" in out
    roles = {column: next(line for line in out.splitlines() if line.startswith(f"{column} "))[len(column):].split()[0]
             for column in ("mean radius", "worst area", "mean texture", "diagnosis")}
    assert roles == {"mean radius": "input", "worst area": "input", "mean texture": "left_out", "diagnosis": "target"}
    assert "valid: create it" in out

    code, out, err = indus("--json", "tasks", "create", "credit", "--dataset-version", version.pk,
                           "--target", "diagnosis", "--input", "mean radius:number", "--input", "worst area",
                           "--positive-label", "benign")
    assert code == 0, err
    binding = json.loads(out)
    assert [i["name"] for i in binding["inputs"]] == ["mean radius", "worst area"]
    assert binding["positive_label"] == "benign"

    code, out, err = indus("tasks", "list", "credit")
    assert code == 0 and out.splitlines()[1].split()[:2] == [str(binding["id"]), "indus.tabular_classification"], err
    code, out, err = indus("--json", "tasks", "show", "credit", binding["id"])
    assert code == 0 and json.loads(out)["task"]["target"]["column"] == "diagnosis", err


def test_a_refused_binding_prints_the_column_and_exits_3(indus, stored_version):
    version = stored_version(clinical_table(60))

    code, out, err = indus("tasks", "create", "credit", "--dataset-version", version.pk, "--target", "diagnosis",
                           "--input", "mean radius:text")
    assert code == 3 and "'mean radius'" in err and "text input" in err
