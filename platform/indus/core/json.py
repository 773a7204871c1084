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
