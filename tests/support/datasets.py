"""Data that fits two tasks at once, and a task it does not fit: for what a version reports
after the same content is imported under several tasks."""
import io

import pyarrow as pa
import pyarrow.csv as pa_csv

# Headlines with a sentiment and reviews with stars, side by side in one table.
FITS = ("finance.news_sentiment", "retail.review_sentiment")
DOES_NOT_FIT = "retail.support_intent"  # it needs ticket_id and message


def two_task_csv(rows: int = 120) -> bytes:
    sentiments = ["negative", "neutral", "positive"]
    table = pa.table({
        "headline_id": list(range(rows)),
        "headline": [f"Shares move {i}" for i in range(rows)],
        "sentiment": [sentiments[i % 3] for i in range(rows)],
        "review_id": list(range(rows)),
        "review_text": [f"Good product {i}" for i in range(rows)],
        "stars": [i % 5 + 1 for i in range(rows)],
    })
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink)
    return sink.getvalue()
