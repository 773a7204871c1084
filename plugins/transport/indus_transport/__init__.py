"""Indus plugin for transport: road traffic and public transit.

Three tasks, all served by the platform's built-in heads and backbones: forecasting hourly
traffic flow at road sensors, predicting how late a bus or tram will reach its next stop, and
sorting control-room incident reports by type. Each comes with a deterministic sample
generator (`indus_transport.samples`).

Importing this package, or `indus_transport.plugin`, imports no torch.
"""
