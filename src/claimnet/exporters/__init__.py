"""Export: Hugging Face files, ONNX and int8 with its quality check, manifest writing, the model card.

Submodules import torch, transformers and onnx lazily, so importing the package is cheap.
"""
