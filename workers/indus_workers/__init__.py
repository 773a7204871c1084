"""The Indus ML runtime. It knows nothing of Django: plain specs in, artifacts and metrics out."""
