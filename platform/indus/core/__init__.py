"""Pieces every app shares: artifact storage and the service-layer error type."""
