"""Inference backends: run a batch of token ids through the exported model.

``onnx`` needs only onnxruntime (the base install); ``torch`` needs torch and
transformers (``claimnet[train]``) and is imported only when chosen.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.errors import ConfigError, ModelLoadError
from claimnet.runtime.encoding import TOKENIZER_FILE

# The one definition of the runtime's choices and of the export's model files.
BACKENDS = ("auto", "onnx", "torch")
PRECISIONS = ("auto", "fp32", "int8", "bf16")
ONNX_FILES = {"fp32": "onnx/model.onnx", "int8": "onnx/model.int8.onnx"}
INT8_NODE_PREFIX = "int8/"  # names the nodes the int8 export adds to a graph (a profile tells them from the model's)
# An article-level export (model.kind "article"): a sentence encoder per precision, and one contextualiser.
ARTICLE_FILES = {"fp32": "onnx/encoder.onnx", "int8": "onnx/encoder.int8.onnx"}
CONTEXTUALISER_FILE = "onnx/contextualiser.onnx"
WEIGHTS_FILE = "model.safetensors"
TORCH_FILES = ("config.json", WEIGHTS_FILE)
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # what an encoder may take, in graph order
DEFAULT_BATCH_SIZE = {"onnx": 16, "torch": 32}  # fastest on length-sorted test batches (2-core CPU)
INT8_GROUP = 8  # equal-length sentences per int8 call: fastest of 1-16 on the test split (2-core CPU)
INT8_BATCH = 256  # what the tagger hands the int8 backend at a time, regrouped by length


class TorchBackend:
    """The Hugging Face export run by torch (GPU when present; bf16 autocast where fast)."""

    name = "torch"

    def __init__(self, export_dir: str | Path, precision: str, num_threads: int | None) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification
        except ImportError:
            raise ConfigError(
                "backend 'torch' needs torch and transformers, which the base install leaves out: "
                "install claimnet with its train extra (pip install \"/path/to/claimnet[train]\"), "
                "or use backend='onnx'."
            ) from None

        from claimnet.runtime.environment import resolve_precision

        if num_threads:
            torch.set_num_threads(num_threads)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if precision == "int8":
            raise ConfigError("precision 'int8' needs the ONNX backend; use backend='onnx' or 'auto'.")
        on_gpu = self.device == "cuda"
        self.precision = resolve_precision(precision, on_gpu, on_gpu and torch.cuda.is_bf16_supported())
        if self.precision == "fp16":
            self.precision = "bf16" if self.device == "cpu" else "fp16"
        self.model = AutoModelForSequenceClassification.from_pretrained(str(export_dir)).to(self.device).eval()
        self.output_width = int(self.model.config.num_labels)
        self._torch = torch
        self.input_names = list(model_inputs(self.model))

    def __call__(self, batch: Mapping[str, np.ndarray]) -> np.ndarray:
        torch = self._torch
        inputs = {k: torch.from_numpy(batch[k]).to(self.device) for k in self.input_names}
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)
        autocast = torch.autocast(self.device, dtype=dtype or torch.float32, enabled=dtype is not None)
        with torch.inference_mode(), autocast:
            logits = self.model(**inputs).logits
        return logits.float().cpu().numpy()


def model_inputs(model) -> tuple[str, ...]:
    """The inputs a Hugging Face model takes: ``token_type_ids`` only where it does (MPNet, RoBERTa-style: not)."""
    takes = inspect.signature(model.forward).parameters
    return tuple(name for name in MODEL_INPUTS if name in takes)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity): what a thread count should follow."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def cpu_session(path: Path, intra_op_threads: int, profile_prefix: str | None = None):
    """An onnxruntime CPU session for one graph, and the width of its output's last axis (None when dynamic).

    ``profile_prefix``: record every kernel's time (onnxruntime's profiler, written at ``end_profiling()``).
    """
    import onnxruntime as ort

    from claimnet.runtime.privacy import telemetry_off

    telemetry_off()

    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"{path}: onnxruntime cannot load it ({exc})") from None
    width = session.get_outputs()[0].shape[-1]
    return session, width if isinstance(width, int) else None


class OnnxBackend:
    """The ONNX export run by onnxruntime: no torch, transformers or Hydra.

    int8 runs without padding: the batch's sentences of equal token length go
    together, up to ``INT8_GROUP`` per call, one thread per call and the calls
    spread over ``num_threads`` threads. Token-wise scales make a row's result
    independent of the rows beside it, and with no padding the call computes
    exactly what a lone sentence gets. On 2 cores one sentence per call measured
    1.3-1.5x padded batches of 16, and equal-length groups of 8 a further 1.24x
    (``benchmarks/runtimes.py``). fp32 keeps padded batches (equal or faster there).
    """

    name = "onnx"

    def __init__(self, export_dir: str | Path, precision: str, num_threads: int | None,
                 graphs: Mapping[str, str] = ONNX_FILES) -> None:

        self.precision = precision
        self.workers = num_threads or available_cores()
        self.unpadded = precision == "int8"
        # the tagger's batch: a large one gives the equal-length groups room to fill
        self.batch_size = INT8_BATCH if self.unpadded else DEFAULT_BATCH_SIZE["onnx"]
        self.graph = Path(export_dir) / graphs[precision]
        self.intra_op_threads = 1 if self.unpadded else (num_threads or 0)
        self.session, self.output_width = cpu_session(self.graph, self.intra_op_threads)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self._pool = None
        if self.unpadded and self.workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="claimnet-onnx")

    def _run(self, feed: Mapping[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, dict(feed))[0].astype(np.float32)

    def __call__(self, batch: Mapping[str, np.ndarray]) -> np.ndarray:
        feed = {name: batch[name] for name in self.input_names}
        if not self.unpadded:
            return self._run(feed)
        groups = equal_length_groups(batch["attention_mask"].sum(axis=1), INT8_GROUP)
        calls = [{name: value[rows, :length] for name, value in feed.items()} for rows, length in groups]
        results = self._pool.map(self._run, calls) if self._pool and len(calls) > 1 else map(self._run, calls)
        out = None
        for (rows, _), result in zip(groups, results):
            if out is None:
                out = np.empty((len(feed["input_ids"]), *result.shape[1:]), dtype=np.float32)
            out[rows] = result
        return out


def equal_length_groups(lengths: np.ndarray, size: int) -> list[tuple[np.ndarray, int]]:
    """Row indices of equal ``lengths``, at most ``size`` per group, with their length.

    Longest first, so the threads that take the calls in turn finish close together.
    """
    groups = []
    for length in sorted(set(lengths.tolist()), reverse=True):
        rows = np.flatnonzero(lengths == length)
        groups += [(rows[lo : lo + size], int(length)) for lo in range(0, len(rows), size)]
    return groups


def torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("transformers") is not None


def gpu_present() -> bool:
    # Without importing torch (the ONNX runtime must not load it): a GPU driver and torch.
    import shutil

    return shutil.which("nvidia-smi") is not None and torch_available()


def why_no_int8(manifest: Mapping[str, Any]) -> str:
    """Why an export has no int8 graph, in words (the check's figures, or how it was exported)."""
    figures = manifest.get("int8")
    if isinstance(figures, Mapping) and figures.get("included") is False:
        if isinstance(figures.get("reason"), str):
            return f"the export-time check left it out ({figures['reason']})"
        return (f"the export-time check left it out (it lost {figures.get('macro_f1_drop', 0):.4f} "
                f"{figures.get('split')} macro-F1 against fp32, more than the {figures.get('max_drop')} allowed)")
    return "it was exported without one (export.int8=false or export.onnx=false)"


def onnx_graphs(manifest: Mapping[str, Any]) -> Mapping[str, str]:
    """The ONNX model file per precision for this export's kind (the encoder, for an article model)."""
    return ARTICLE_FILES if manifest["model"].get("kind") == "article" else ONNX_FILES


def onnx_external_data(files: Mapping[str, Any], precision: str, graphs: Mapping[str, str] = ONNX_FILES) -> list[str]:
    """The external-data files of an ONNX graph (``onnx/model.onnx.data`` …), which onnxruntime reads with it.

    Graphs over 2 GB keep their weights beside them, named after the graph; they
    are checksummed and verified like the graph itself.
    """
    prefix = graphs[precision] + "."
    return sorted(name for name in files if name.startswith(prefix))


def choose_backend(manifest: Mapping[str, Any], backend: str, precision: str) -> tuple[str, str, list[str]]:
    """Resolve ``auto`` choices; return (backend, precision, files the backend reads)."""
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {list(BACKENDS)}. Got {backend!r} instead.")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {list(PRECISIONS)}. Got {precision!r} instead.")
    files = manifest["files"]
    graphs = onnx_graphs(manifest)
    onnx_available = [p for p, f in graphs.items() if f in files]
    if precision == "int8" and "int8" not in onnx_available:
        raise ModelLoadError(f"this export has no int8 model ({graphs['int8']}): {why_no_int8(manifest)}; "
                             "use precision 'auto' or 'fp32'")
    article = graphs is ARTICLE_FILES
    if article and backend == "torch":
        raise ConfigError("an article-level export runs on the ONNX backend (its encoder and contextualiser "
                          "graphs); use backend='onnx' or 'auto'.")
    if article and backend == "auto":
        backend = "onnx"
    if backend == "auto":
        if onnx_available and precision in ("auto", *onnx_available) and not gpu_present():
            backend = "onnx"
        elif torch_available():
            backend = "torch"
        elif onnx_available:
            backend = "onnx"
        else:
            raise ModelLoadError(
                "this export has no ONNX model and torch is not installed; "
                "install claimnet[train] or export with ONNX"
            )
    if backend == "onnx":
        if precision in ("auto",):
            precision = "int8" if "int8" in onnx_available else "fp32"
        if precision == "bf16":
            raise ConfigError("precision 'bf16' needs the torch backend; use backend='torch'.")
        if precision not in onnx_available:
            raise ModelLoadError(
                f"this export has no {graphs[precision]} (ONNX {precision}); "
                f"it has {[graphs[p] for p in onnx_available] or 'no ONNX model'}"
            )
        extra = [CONTEXTUALISER_FILE] if article else []
        return backend, precision, [graphs[precision], *onnx_external_data(files, precision, graphs), *extra,
                                    TOKENIZER_FILE]
    return backend, precision, [*TORCH_FILES, TOKENIZER_FILE]


def load_backend(export_dir: str | Path, backend: str, precision: str, num_threads: int | None,
                 graphs: Mapping[str, str] = ONNX_FILES):
    if backend == "onnx":
        return OnnxBackend(export_dir, precision, num_threads, graphs)
    return TorchBackend(export_dir, precision, num_threads)


class ContextualiserGraph:
    """An article model's contextualiser graph: one window of sentence vectors -> logits (tiny: one thread)."""

    def __init__(self, export_dir: str | Path) -> None:
        self.session, self.output_width = cpu_session(Path(export_dir) / CONTEXTUALISER_FILE, 1)

    def __call__(self, vectors: np.ndarray, paragraph: np.ndarray) -> np.ndarray:
        """Logits (sentences, labels) for one window: ``vectors`` (sentences, width), ``paragraph`` (sentences,)."""
        feed = {"vectors": vectors[None].astype(np.float32), "paragraph": paragraph[None].astype(np.int64)}
        return self.session.run(None, feed)[0][0].astype(np.float32)
