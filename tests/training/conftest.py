import pyarrow as pa
import pytest


@pytest.fixture
def headlines():
    """Rows that fit finance.news_sentiment."""
    labels = ["negative", "neutral", "positive"] * 40
    return pa.table({
        "headline_id": list(range(len(labels))),
        "headline": [f"Shares {'fall' if y == 'negative' else 'rise' if y == 'positive' else 'hold'} today" for y in labels],
        "sentiment": labels,
    })
