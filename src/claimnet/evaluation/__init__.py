"""Evaluation: metrics, baselines, gates, reports, and the speed measurements of the benchmark."""
