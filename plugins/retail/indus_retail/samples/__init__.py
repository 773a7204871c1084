"""Deterministic sample-data generators for the retail tasks.

Each is `generator(*, rows, seed) -> pyarrow.Table`: the same arguments always give the same
table, and a different seed a different one. They need numpy and pyarrow only, so a CPU
worker without torch can run them. Each function's docstring says what its columns mean and
how the target depends on the features.
"""
from indus_retail.samples.demand import store_sales
from indus_retail.samples.interactions import shop_interactions
from indus_retail.samples.reviews import product_reviews
from indus_retail.samples.support import support_messages

__all__ = ["product_reviews", "shop_interactions", "store_sales", "support_messages"]
