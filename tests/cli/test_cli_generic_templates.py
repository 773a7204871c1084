"""`indus tasks` with a template the user picks and the columns only they can name: a forecast's
series (`--group-column`) and its time column (`--time-column`, or the only column of dates)."""
import json

import pytest

from tests.api.test_generic_templates import store_sales

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_forecast_binding_is_inferred_and_created_with_its_series_and_time_columns(indus, stored_version):
    version = stored_version(store_sales())
    options = ["credit", "--dataset-version", version.pk, "--target", "units", "--template", "indus.forecasting"]

    code, out, err = indus("tasks", "infer", *options)
    assert code == 0, err
    assert "problem (group_column)" in out and "several series" in out and "not valid" in out
    code, out, err = indus("tasks", "infer", *options, "--group-column", "shop")
    assert code == 0, err
    assert "time column: day (the only column of dates" in out and "group column: shop" in out and "valid: create" in out

    code, out, err = indus("--json", "tasks", "create", *options, "--group-column", "shop", "--time-column", "day")
    assert code == 0, err
    binding = json.loads(out)
    assert (binding["template"], binding["group_column"], binding["time_column"]) == ("indus.forecasting", "shop", "day")
    assert binding["task"]["target"]["horizon"] == 7
