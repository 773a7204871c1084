"""The model serving process (`manage.py serve`): KServe's ModelServer with the platform's tokens,
roles and aliases. Its app has no models; `server` (torch, KServe) is imported by that process only."""
