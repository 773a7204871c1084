"""Deterministic sample-data generators for the transport tasks.

Each is `generator(*, rows, seed) -> pyarrow.Table`: the same arguments give the same table,
a different seed a different one. numpy and pyarrow only, so a CPU worker without torch can
run them. Each docstring says what the columns mean and how the target depends on them.
"""
from indus_transport.samples.arrivals import stop_arrivals
from indus_transport.samples.incidents import incident_reports
from indus_transport.samples.traffic import sensor_readings

__all__ = ["incident_reports", "sensor_readings", "stop_arrivals"]
