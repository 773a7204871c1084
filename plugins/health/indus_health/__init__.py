"""Indus health plugin: triage diagnosis from symptom notes, clinical entity tagging and
30-day readmission risk.

`indus_health.plugin` declares the tasks and their sample datasets (it imports neither numpy
nor torch); `indus_health.samples` generates the synthetic, never real, patient data.
"""
