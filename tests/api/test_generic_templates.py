"""The generic templates beyond one label or one number: multi-label, token tagging,
forecasting and item ranking, bound to a table's own columns through the API.

Inference proposes multi-label for a target of lists and token tagging for lists of tags that
are one per word of another column; a forecast or a ranking is the user's choice of template,
with the columns only they can name. Each binding feeds a fine-tune job that passes the
platform's checks; a bad binding is a 400 naming the field and the column, storing nothing.
"""
import datetime

import numpy as np
import pyarrow as pa
import pytest
from sklearn.datasets import load_wine

from indus.bindings.models import TaskBinding
from indus.jobs.models import Job

from .test_task_bindings import BINDINGS, JOBS, client, problems_of  # noqa: F401  (a fixture, shared)

NAMES = ["Alice", "Bruno", "Chen", "Dara", "Emeka", "Farah"]
CITIES = ["Paris", "Lagos", "Lima", "Osaka", "Quito", "Tunis"]


def wine_with_traits() -> pa.Table:
    """scikit-learn's wine measurements under their own names, with each wine's tasting
    traits as a list of labels (possibly empty) derived from its measures, as a cellar's
    export would list them."""
    frame = load_wine(as_frame=True).frame.drop(columns="target")
    traits = []
    for _, row in frame.iterrows():
        traits.append([trait for trait, holds in (
            ("strong", row["alcohol"] > 13.0), ("deep colour", row["color_intensity"] > 5.0),
            ("tannic", row["proanthocyanins"] > 1.6), ("acidic", row["malic_acid"] > 2.5)) if holds])
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.append_column("traits", pa.array(traits, pa.list_(pa.string())))


def travel_sentences(rows: int = 60, *, misaligned: int = 0) -> pa.Table:
    """Pre-split sentences of people and the cities they fly to, with BIO tags; the last
    `misaligned` rows lose their final tag."""
    words, tags = [], []
    for index in range(rows):
        name, city = NAMES[index % len(NAMES)], CITIES[(index * 5) % len(CITIES)]
        sentence = [name, "flew", "to", city, "on", "Monday"] if index % 2 else ["Yesterday", name, "left", city]
        labels = ["B-PER" if word == name else "B-LOC" if word == city else "O" for word in sentence]
        words.append(sentence)
        tags.append(labels[:-1] if index >= rows - misaligned else labels)
    return pa.table({"sentence_id": [f"s{index:03d}" for index in range(rows)],
                     "words": pa.array(words, pa.list_(pa.string())), "ner": pa.array(tags, pa.list_(pa.string()))})


def store_sales(stores: int = 3, days: int = 60) -> pa.Table:
    """Daily units sold by a few shops: a weekly cycle, a trend, promotions; dates as ISO text."""
    random = np.random.default_rng(0)
    start = datetime.date(2024, 1, 1)
    rows = {"shop": [], "day": [], "promo": [], "units": []}
    for store in range(stores):
        for day in range(days):
            promo = bool(random.random() < 0.2)
            units = 20 + 5 * store + 6 * np.sin(2 * np.pi * day / 7) + 0.1 * day + 8 * promo + random.normal(0, 2)
            rows["shop"].append(f"shop-{store}")
            rows["day"].append((start + datetime.timedelta(days=day)).isoformat())
            rows["promo"].append(promo)
            rows["units"].append(float(units))
    return pa.table(rows)


def clicks(rows: int = 240) -> pa.Table:
    """Which article each reader clicked, with the reader's profile."""
    random = np.random.default_rng(1)
    readers = [f"reader-{index}" for index in range(40)]
    chosen = random.integers(0, len(readers), rows)
    return pa.table({
        "reader": [readers[index] for index in chosen],
        "age": [int(18 + (index * 7) % 50) for index in chosen],
        "device": [("app", "web")[index % 2] for index in chosen],
        "article": [f"article-{(index * 3 + int(random.integers(0, 3))) % 25}" for index in chosen],
    })


def infer(client, version, **query) -> dict:  # noqa: F811
    response = client.get(f"{BINDINGS}infer/", {"dataset_version": version.pk, **query})
    assert response.status_code == 200, response.content
    return response.json()


def bind_and_fine_tune(client, version, **body) -> tuple[dict, Job]:  # noqa: F811
    response = client.post(BINDINGS, {"dataset_version": version.pk, **body}, format="json")
    assert response.status_code == 201, response.content
    binding = response.json()
    job = client.post(JOBS, {"kind": "fine_tune", "dataset_version": version.pk, "binding": binding["id"],
                             "model_name": body["target"]}, format="json")
    assert job.status_code == 201, job.content
    return binding, Job.objects.get(pk=job.json()["id"])


def test_a_target_of_label_lists_is_proposed_multi_label_with_the_labels_read_from_the_data(client, stored_version):  # noqa: F811
    version = stored_version(wine_with_traits())

    proposal = infer(client, version, target="traits")

    assert proposal["valid"], proposal["problems"]
    assert proposal["template"] == "indus.tabular_multi_label" and "lists of labels" in proposal["template_reason"]
    assert proposal["target_inference"]["kind"] == "label_lists"
    assert sorted(proposal["labels"]) == ["acidic", "deep colour", "strong", "tannic"]
    assert "alcohol" in {entry["name"] for entry in proposal["inputs"]}
    binding, job = bind_and_fine_tune(client, version, target="traits")
    target = binding["task"]["target"]
    assert (target["kind"], sorted(target["labels"])) == ("multi_label", sorted(proposal["labels"]))
    assert (job.spec["task"], job.spec["binding_id"]) == ("indus.tabular_multi_label", binding["id"])


def test_tags_one_per_word_of_another_column_are_proposed_token_tagging(client, stored_version):  # noqa: F811
    version = stored_version(travel_sentences())

    proposal = infer(client, version, target="ner")

    assert proposal["valid"], proposal["problems"]
    assert proposal["template"] == "indus.token_tagging" and "'words'" in proposal["template_reason"]
    assert proposal["inputs"] == [{"name": "words", "type": "tokens"}]
    assert proposal["id_column"] == "sentence_id" and sorted(proposal["labels"]) == ["B-LOC", "B-PER", "O"]
    binding, job = bind_and_fine_tune(client, version, target="ner")
    assert binding["task"]["target"]["kind"] == "token_tags" and job.spec["task"] == "indus.token_tagging"


def test_a_forecast_is_the_users_choice_and_finds_its_only_column_of_dates(client, stored_version):  # noqa: F811
    version = stored_version(store_sales())

    suggested = infer(client, version, target="units")
    assert suggested["template"] == "indus.tabular_regression" and "indus.forecasting" in suggested["template_reason"]
    proposal = infer(client, version, target="units", template="indus.forecasting", group_column="shop")

    assert proposal["valid"], proposal["problems"]
    assert (proposal["time_column"], proposal["group_column"]) == ("day", "shop")
    assert "only column of dates" in proposal["time_reason"] and "series" in proposal["group_reason"]
    assert proposal["inputs"] == [{"name": "promo", "type": "boolean"}]
    roles = {column["name"]: column["role"] for column in proposal["columns"]}
    assert (roles["day"], roles["shop"]) == ("time", "group")
    binding, job = bind_and_fine_tune(client, version, target="units", template="indus.forecasting", group_column="shop")
    target = binding["task"]["target"]
    assert (target["kind"], target["time_column"], target["group_column"]) == ("forecast", "day", "shop")
    assert target["horizon"] == 7 and target["quantiles"] == [0.1, 0.5, 0.9]
    assert (binding["time_column"], binding["group_column"]) == ("day", "shop") and job.spec["binding_id"] == binding["id"]


def test_a_single_series_of_its_target_alone_can_be_forecast(client, stored_version):  # noqa: F811
    version = stored_version(store_sales(stores=1).drop_columns(["shop", "promo"]))

    binding, _ = bind_and_fine_tune(client, version, target="units", template="indus.forecasting")

    assert binding["inputs"] == [] and binding["time_column"] == "day" and binding["group_column"] == ""


def test_item_ranking_ranks_the_catalogue_for_the_named_user_or_query(client, stored_version):  # noqa: F811
    version = stored_version(clicks())

    proposal = infer(client, version, target="article", template="indus.item_ranking", group_column="reader")

    assert proposal["valid"], proposal["problems"]
    assert proposal["target_inference"]["kind"] == "items" and proposal["labels"] == []
    assert {entry["name"] for entry in proposal["inputs"]} == {"age", "device"}
    binding, job = bind_and_fine_tune(client, version, target="article", template="indus.item_ranking",
                                      group_column="reader")
    target = binding["task"]["target"]
    assert (target["kind"], target["group_column"]) == ("ranking", "reader") and job.spec["task"] == "indus.item_ranking"


def test_the_generic_templates_of_every_kind_are_listed(client):  # noqa: F811
    templates = {t["name"]: t for t in client.get("/api/v1/templates/").json()["results"]}

    kinds = {name: (templates[name]["target_kind"], templates[name]["head"]) for name in (
        "indus.tabular_multi_label", "indus.text_multi_label", "indus.token_tagging", "indus.forecasting",
        "indus.item_ranking")}
    assert kinds == {"indus.tabular_multi_label": ("multi_label", "multi_label"),
                     "indus.text_multi_label": ("multi_label", "multi_label"),
                     "indus.token_tagging": ("token_tags", "token_classification"),
                     "indus.forecasting": ("forecast", "forecasting"), "indus.item_ranking": ("ranking", "ranking")}
    assert templates["indus.forecasting"]["horizon"] == 7 and templates["indus.item_ranking"]["horizon"] is None


@pytest.mark.parametrize(("table", "body", "field", "words"), [
    (wine_with_traits, {"target": "alcohol", "template": "indus.tabular_multi_label"}, "template",
     ["'alcohol'", "list of labels", "lists of strings"]),
    (lambda: wine_with_traits().append_column("joined", pa.array(
        ["|".join(traits) for traits in wine_with_traits().column("traits").to_pylist()])),
     {"target": "joined", "template": "indus.tabular_multi_label", "inputs": ["alcohol"]}, "template",
     ["'joined'", "joined by a delimiter", "as a list"]),
    (wine_with_traits, {"target": "traits", "template": "indus.tabular_classification"}, "template",
     ["'traits'", "lists of labels", "indus.tabular_multi_label"]),
    (lambda: travel_sentences(misaligned=3), {"target": "ner", "template": "indus.token_tagging"}, "target",
     ["'ner'", "'words'", "one per word"]),
    (lambda: travel_sentences(misaligned=3), {"target": "ner"}, "target", ["'ner'", "'words'", "one per word"]),
    (lambda: store_sales().drop_columns(["day"]), {"target": "units", "template": "indus.forecasting"}, "time_column",
     ["'indus.forecasting'", "time column", "no column"]),
    (store_sales, {"target": "units", "template": "indus.forecasting"}, "group_column",
     ["'day'", "several series"]),
    (store_sales, {"target": "units", "template": "indus.forecasting", "time_column": "units"}, "time_column",
     ["'units'"]),
    (store_sales, {"target": "units", "template": "indus.forecasting", "time_column": "promo"}, "time_column",
     ["'promo'", "timestamps or dates"]),
    (store_sales, {"target": "shop", "template": "indus.forecasting"}, "template", ["'shop'", "forecasts a number"]),
    (store_sales, {"target": "units", "template": "indus.forecasting", "group_column": "shop", "labels": ["a", "b"]},
     "labels", ["takes no labels"]),
    (clicks, {"target": "article", "template": "indus.item_ranking"}, "group_column", ["user or a query"]),
    (clicks, {"target": "device", "time_column": "age"}, "time_column", ["only a forecast template"]),
])
def test_a_bad_binding_of_a_generic_template_is_a_400_naming_the_column(client, stored_version, table, body, field,  # noqa: F811
                                                                        words):
    version = stored_version(table())

    response = client.post(BINDINGS, {"dataset_version": version.pk, **body}, format="json")

    messages = " ".join(problems_of(response).get(field, []))
    assert all(word in messages for word in words), response.json()
    assert not TaskBinding.objects.exists()
