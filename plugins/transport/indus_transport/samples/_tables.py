"""Turning generated pieces (one dict of numpy columns per sensor or trip) into one table."""
import numpy as np
import pyarrow as pa


def stacked(pieces: list[dict[str, np.ndarray]], schema: pa.Schema, *, rows: int | None = None) -> pa.Table:
    """The pieces one after another, in the schema's columns and types, cut to `rows`."""
    return pa.table(
        {field.name: pa.array(np.concatenate([piece[field.name] for piece in pieces])[:rows], field.type) for field in schema},
        schema=schema,
    )
