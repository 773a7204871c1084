"""Turning values from data files and metrics into what strict JSON can carry."""
import base64
import datetime
import decimal
import math


def json_safe(value):
    """NaN and infinities become None; dates ISO strings; decimals strings (no precision is
    lost); bytes base64. Containers are walked; anything else is returned as it is."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


# A non-finite float in a stored intermediate (a part's partial result, merged later) cannot be
# dropped the way `json_safe` drops it for display: the merge needs it back. It is stored as a
# one-key object that no JSON-ready value of ours has, and restored when read.
NON_FINITE = "$non_finite"


def non_finite_marked(value):
    """value with each NaN or infinite float replaced by {NON_FINITE: "nan" | "inf" | "-inf"},
    storable in a PostgreSQL json column (which refuses NaN and Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else {NON_FINITE: repr(value)}
    if isinstance(value, dict):
        return {key: non_finite_marked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [non_finite_marked(item) for item in value]
    return value


def non_finite_restored(value):
    """The inverse of `non_finite_marked`: the marked floats back."""
    if isinstance(value, dict):
        if len(value) == 1 and NON_FINITE in value:
            return float(value[NON_FINITE])
        return {key: non_finite_restored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [non_finite_restored(item) for item in value]
    return value
