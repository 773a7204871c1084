"""The health plugin: it loads, declaring it stays light, and its synthetic sample data is
deterministic, valid for its task, shaped as documented and learnable but not trivially."""
import re
from collections import Counter, defaultdict
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from indus.plugins.manager import build_registry
from indus_health import samples
from indus_health.clinical_vocabulary import CONDITION_PROFILES

HEALTH_TASKS = {"health.diagnosis", "health.clinical_entities", "health.readmission_risk"}


@pytest.fixture(scope="module")
def health():
    entry_point = EntryPoint(name="health", value="indus_health.plugin", group="indus")
    return build_registry(entry_points_=[entry_point], allow=None)


def test_the_plugin_loads_lightly_with_a_sample_for_every_task(health, check_plugin):
    check_plugin(health, "health", HEALTH_TASKS)


@pytest.mark.parametrize("sample_name", ["health.symptom_notes", "health.clinical_sentences", "health.discharges"])
def test_the_sample_honours_its_task(health, check_sample, sample_name):
    check_sample(health, sample_name)


# --- health.diagnosis


def test_conditions_appear_as_often_as_their_profiles_say():
    conditions = Counter(samples.symptom_notes(rows=3000, seed=3).column("condition").to_pylist())
    total_share = sum(profile.share for profile in CONDITION_PROFILES.values())
    for condition, profile in CONDITION_PROFILES.items():
        assert conditions[condition] / 3000 == pytest.approx(profile.share / total_share, abs=0.025)


def test_notes_come_in_three_voices_and_rule_symptoms_out():
    notes = samples.symptom_notes(rows=1000, seed=4).column("description").to_pylist()
    triage = sum(bool(re.match(r"\d+[mf] c/o ", note.lower())) for note in notes)
    referral = sum("year-old" in note for note in notes)
    assert 0.25 < triage / len(notes) < 0.45
    assert 0.1 < referral / len(notes) < 0.3
    # Typos may hit the word that negates, so count generously.
    negating = sum(bool(re.search(r"\b(no|denies|haven't had any)\b", note.lower())) for note in notes)
    assert 0.35 < negating / len(notes) < 0.65


def test_words_point_to_the_condition_and_the_top_three_almost_always_hold_it(health, bag_of_words_baseline):
    task = health.tasks["health.diagnosis"]
    truth, probabilities, classes = bag_of_words_baseline(task, samples.symptom_notes(rows=1500, seed=5), "description")
    ranked = classes[np.argsort(-probabilities, axis=1)]
    first = np.mean(ranked[:, 0] == truth)
    top_k = np.mean([label in row[: task.presentation.top_k] for label, row in zip(truth, ranked)])
    majority = max(np.mean(truth == label) for label in classes)
    assert majority + 0.3 < first < 0.95
    assert top_k > first + 0.05


# --- health.clinical_entities


def entity_spans(tokens: list[str], tags: list[str]) -> list[tuple[str, str]]:
    """(entity type, words) for every span, read as BIO: an I- tag must continue its type."""
    spans, previous = [], "O"
    for token, tag in zip(tokens, tags):
        position, _, entity = tag.partition("-")
        if position == "B":
            spans.append((entity, token))
        elif position == "I":
            assert previous.partition("-")[2] == entity, f"{tag} after {previous} does not continue a span"
            spans[-1] = (entity, f"{spans[-1][1]} {token}")
        previous = tag
    return spans


@pytest.fixture(scope="module")
def sentences():
    table = samples.clinical_sentences(rows=1500, seed=6)
    return list(zip(table.column("tokens").to_pylist(), table.column("tags").to_pylist()))


def test_every_tag_list_is_valid_bio_over_every_entity_type(health, sentences):
    labels = health.tasks["health.clinical_entities"].target.labels
    found = Counter()
    for tokens, tags in sentences:
        assert len(tokens) == len(tags) > 0
        assert set(tags) <= set(labels)
        found.update(entity for entity, _ in entity_spans(tokens, tags))
    declared = {label.partition("-")[2] for label in labels if label != "O"}
    assert set(found) == declared
    assert min(found.values()) > 200


def test_the_same_word_is_an_entity_in_one_context_and_not_in_another(sentences):
    tags_by_word = defaultdict(set)
    for tokens, tags in sentences:
        for token, tag in zip(tokens, tags):
            tags_by_word[token.lower()].add(tag.partition("-")[2] or "O")
    assert {"O", "SYMPTOM"} <= tags_by_word["pain"]  # chest pain, but pain clinic
    assert {"O", "DISEASE"} <= tags_by_word["depression"]  # the disease, but ST depression


def test_remembering_each_word_s_tag_is_not_enough(sentences):
    """A lookup of each word's commonest tag, learnt on half the sentences, tags most words of
    the rest right but misses entity boundaries, typos and look-alikes."""
    half = len(sentences) // 2
    tag_counts = defaultdict(Counter)
    for tokens, tags in sentences[:half]:
        for token, tag in zip(tokens, tags):
            tag_counts[token.lower()][tag] += 1
    guessed_spans = found_spans = correct_spans = 0
    for tokens, tags in sentences[half:]:
        guess = [tag_counts[t.lower()].most_common(1)[0][0] if t.lower() in tag_counts else "O" for t in tokens]
        # A lookup can emit an I- tag with no B- before it; such spans count as guessed wrong.
        truth = set(entity_spans(tokens, tags))
        guessed = {(tag.partition("-")[2], token) for token, tag in zip(tokens, guess) if tag.startswith("B-")}
        guessed_spans += len(guessed)
        found_spans += len(truth)
        correct_spans += len(truth & guessed)
    precision, recall = correct_spans / guessed_spans, correct_spans / found_spans
    assert 0.3 < 2 * precision * recall / (precision + recall) < 0.95


# --- health.readmission_risk


def test_about_one_discharge_in_eight_is_readmitted_and_follow_up_helps(health):
    task = health.tasks["health.readmission_risk"]
    table = samples.discharges(rows=4000, seed=7)
    readmitted = np.array(table.column("readmitted_30d").to_pylist()) == task.presentation.positive_label
    assert readmitted.mean() == pytest.approx(samples.READMISSION_RATE, abs=0.005)
    follow_up = table.column("follow_up_booked").to_numpy(zero_copy_only=False)
    prior = table.column("admissions_last_year").to_numpy()
    assert readmitted[follow_up].mean() < readmitted[~follow_up].mean()
    assert prior[readmitted].mean() > prior[~readmitted].mean()


def test_readmission_is_predictable_only_in_part(health, tabular_baseline):
    from sklearn.metrics import roc_auc_score

    task = health.tasks["health.readmission_risk"]
    truth, probabilities, classes = tabular_baseline(task, samples.discharges(rows=3000, seed=8))
    positive = task.presentation.positive_label
    auc = roc_auc_score(truth == positive, probabilities[:, list(classes).index(positive)])
    assert 0.65 < auc < 0.9
