"""Tasks: what each script runs (train, export, evaluate, benchmark), orchestration only.

Each task takes a composed ``DictConfig``; ``scripts/*.py`` are thin ``@hydra.main``
wrappers around them and tests call them directly.
"""
