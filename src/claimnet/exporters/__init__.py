"""Export formats. Each module imports its heavy dependencies (torch, onnx) lazily."""
