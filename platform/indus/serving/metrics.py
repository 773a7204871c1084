"""The serving process's Prometheus metrics, exported at /metrics beside KServe's own."""
from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "indus_serving_requests", "prediction requests answered, by model, version and HTTP status",
    ["model", "version", "status"],
)
LATENCY = Histogram(
    "indus_serving_request_seconds", "time from a prediction request's arrival to its answer",
    ["model"], buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_ROWS = Histogram(
    "indus_serving_batch_rows", "rows computed together in one forward",
    ["model", "version"], buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
QUEUE_ROWS = Gauge("indus_serving_queue_rows", "rows waiting for a forward", ["model", "version"])
LOADED_MODELS = Gauge("indus_serving_loaded_models", "model versions held in memory")
LOADED_BYTES = Gauge("indus_serving_loaded_bytes", "bytes of weights the loaded versions hold")
LOGGED_ROWS = Counter("indus_serving_logged_rows", "served rows kept for the request log (stored at the next flush)", ["model"])
LOG_DROPPED_ROWS = Counter(
    "indus_serving_logged_rows_dropped",
    "sampled rows the request log did not keep: past the alias's hourly bound (hourly_bound), past the "
    "process's buffer (buffer_full), or lost when storing them failed (store_failed)",
    ["model", "reason"],
)
