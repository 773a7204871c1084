"""Indus plugin for retail and e-commerce.

Four tasks, all served by the platform's built-in heads and backbones: star ratings from
product reviews, next-item recommendation from a shop's interaction log, daily demand
forecasting per store and product, and routing customer-service messages by intent. Each
comes with a deterministic sample generator (`indus_retail.samples`) so that a new project
can try the task before it uploads its own data.

Importing this package, or `indus_retail.plugin`, imports no torch.
"""
