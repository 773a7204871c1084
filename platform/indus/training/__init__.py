"""Fine-tuning jobs: checking a request, driving the worker runtime, registering the model."""
