"""Metrics for token tagging (BIO tags per word), scored on whole entities as seqeval does.

An entity counts as found only when its type and both ends match. Spans are read by seqeval's
`get_entities` in its default, conlleval-compatible mode (an I- tag without a B- before it still
starts an entity), so the numbers match `seqeval.metrics.f1_score` and its classification report.
The report itself is built from span counts with the shared counts report rather than from
seqeval's `classification_report`: the same shape as every other kind's report, and no NaN or
warnings when a set has no entity at all. Those counts add up over parts of the sentences, so a
split set merges exactly (see `partials`).
"""
from collections import Counter, defaultdict

from seqeval.metrics.sequence_labeling import get_entities

from indus.plugins.contract import Task
from indus_workers.evaluation.counts import counts_report


def _checked_sentences(truth, predictions: dict) -> tuple[list[list[str]], list[list[str]]]:
    predicted = predictions["tags"]
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predicted sentences for {len(truth)} true ones")
    for index, (true_tags, predicted_tags) in enumerate(zip(truth, predicted)):
        if len(true_tags) != len(predicted_tags):
            raise ValueError(f"sentence {index}: {len(true_tags)} true tags but {len(predicted_tags)} predicted")
    # seqeval recognises nested lists (not tuples or arrays) as sentences to keep apart
    return [list(sentence) for sentence in truth], [list(sentence) for sentence in predicted]


def _spans_by_type(sentences: list[list[str]]) -> dict[str, set[tuple[int, int]]]:
    # get_entities joins the sentences with an "O" between them, so positions are unique across
    # the whole set and the same in truth and prediction (the sentences have equal lengths).
    spans = defaultdict(set)
    for entity_type, start, end in get_entities(sentences):
        spans[entity_type].add((start, end))
    return spans


def token_tags_partial(task: Task, truth, predictions: dict) -> dict:
    """Per entity type [found, predicted, true] span counts, and the tokens and matching tokens.
    Spans never cross a sentence, so the counts of sentences split into parts add up."""
    truth, predicted = _checked_sentences(truth, predictions)
    true_spans, predicted_spans = _spans_by_type(truth), _spans_by_type(predicted)
    entity_counts = {
        kind: [len(true_spans[kind] & predicted_spans[kind]), len(predicted_spans[kind]), len(true_spans[kind])]
        for kind in sorted(true_spans.keys() | predicted_spans.keys())
    }
    matching_tokens = sum(
        true_tag == predicted_tag
        for true_tags, predicted_tags in zip(truth, predicted)
        for true_tag, predicted_tag in zip(true_tags, predicted_tags)
    )
    return {
        "entity_counts": entity_counts,
        "tokens": sum(len(sentence) for sentence in truth),
        "matching_tokens": int(matching_tokens),
    }


def token_tags_scores(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    entity_types = sorted(partial["entity_counts"])
    found, predicted, actual = zip(*(partial["entity_counts"][kind] for kind in entity_types)) if entity_types else ((), (), ())
    report = counts_report(entity_types, found, predicted, actual)
    micro, tokens = report["averages"]["micro"], partial["tokens"]
    metrics = {
        "seqeval_f1": micro["f1"],
        "seqeval_precision": micro["precision"],
        "seqeval_recall": micro["recall"],
        "token_accuracy": partial["matching_tokens"] / tokens if tokens else None,
    }
    return metrics, report


def tag_counts(task: Task, truth) -> dict:
    """The truth's mergeable state for the baseline: each tag's count, in first-seen order."""
    return {"tag_counts": dict(Counter(tag for sentence in truth for tag in sentence))}


def majority_tag_baseline(task: Task, truth_partial: dict) -> dict:
    """Tagging every word with the commonest tag (nearly always "O"): it finds no entity, yet its
    token accuracy is often above 0.8, which is why token accuracy alone says little."""
    counts = Counter(truth_partial["tag_counts"])
    if not counts:
        return {"strategy": "majority_tag", "tag": None, "token_accuracy": None}
    tag, count = counts.most_common(1)[0]
    return {"strategy": "majority_tag", "tag": tag, "token_accuracy": count / counts.total()}
