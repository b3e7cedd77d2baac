"""The live page, JSON API and Prometheus metrics, served by `python -m edge` when [web] is on."""
