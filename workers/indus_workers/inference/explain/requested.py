"""The explanations a job's spec asks for: pick the rows, read them again, explain them."""
from indus_workers.events import RunEvents
from indus_workers.inference.explain.rows import ExplanationUnsupported, explain_rows
from indus_workers.inference.explain.selection import fetch_rows, top_scoring_rows
from indus_workers.inference.parts import PartStore
from indus_workers.inference.source import InputSource
from indus_workers.inference.spec import InferenceSpec
from indus_workers.model import IndusModel


def requested_explanations(
    spec: InferenceSpec, model: IndusModel, source: InputSource, store: PartStore, events: RunEvents, *, chunk_rows: int
) -> list[dict]:
    """In the order asked for (highest score first for top k). Rows that are not in the input or
    that had an error are left out, and said so in the log."""
    total_rows = store.rows_done
    if spec.explained_rows is not None:
        wanted = list(dict.fromkeys(row for row in spec.explained_rows if row < total_rows))
        if len(wanted) < len(set(spec.explained_rows)):
            events.log(f"explanations: rows at or beyond {total_rows} are not in the input and are left out")
    else:
        try:
            wanted = top_scoring_rows(store.part_paths(), [part.first_row for part in store.parts], model.task, spec.explained_top)
        except ExplanationUnsupported as reason:
            events.log(f"explanations: {reason}")
            return []
    if not wanted:
        return []
    table, found = fetch_rows(source, wanted, chunk_rows=chunk_rows)
    if len(found) < len(wanted):
        events.log(f"explanations: {len(wanted) - len(found)} requested row(s) had errors and are left out")
    if table is None:
        return []
    ids = table.column(spec.id_column).to_pylist() if spec.id_column else None
    try:
        explanations = explain_rows(model, table, found, ids)
    except ExplanationUnsupported as reason:
        events.log(f"explanations: {reason}")
        return []
    order = {row: index for index, row in enumerate(wanted)}
    return sorted(explanations, key=lambda explanation: order[explanation["row"]])
