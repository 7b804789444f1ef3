"""The GPU check: training and tagging throughput on one NVIDIA GPU against the standard recipe and the HF pipeline.

    python -m benchmarks gpu [--out benchmarks/results/gpu-NAME.json]     # on a GPU machine, under 5 minutes
    python -m benchmarks gpu --dry --out /tmp/gpu.json                    # the same code on CPU, tiny shapes

Self-contained for a lent machine without network: randomly initialised
MiniLM- and mpnet-shaped models (throughput does not depend on the weights), a
WordPiece tokenizer trained in seconds on the bundled corpus (so sentence
lengths in tokens are realistic), and only torch, transformers and tokenizers
(onnxruntime's CUDA provider is timed if it is installed, recorded as not
available otherwise). Measured, each against its baseline on the same device:

* training: claimnet's recipe (bf16 autocast, length-grouped dynamic padding)
  against the standard one (fp32, every sentence padded to 128), sentences/s;
* tagging: torch bf16 on length-sorted batches, and onnxruntime CUDA, against
  ``transformers.pipeline("text-classification")`` on the same GPU;
* a one-GPU ``torchrun`` DDP step over NCCL (gloo in dry mode).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "data" / "claimnet-wikinews" / "train.jsonl"
SHAPES = {  # the encoders claimnet trains: all-MiniLM-L6-v2 (the default) and all-mpnet-base-v2 (model=mpnet)
    "minilm": {"kind": "bert", "num_hidden_layers": 6, "hidden_size": 384, "num_attention_heads": 12,
               "intermediate_size": 1536},
    "mpnet": {"kind": "mpnet", "num_hidden_layers": 12, "hidden_size": 768, "num_attention_heads": 12,
              "intermediate_size": 3072},
}
DRY_SHAPE = {"num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}


def sentences(limit: int) -> list[str]:
    out = []
    with open(TRAIN, encoding="utf-8") as fh:
        for line in fh:
            article = json.loads(line)
            out += [article["text"][s["start"]:s["end"]] for s in article["sentences"]]
            if len(out) >= limit:
                break
    return out[:limit]


def tokenizer_for(texts: list[str], vocab_size: int, folder: Path):
    """A BERT-style WordPiece tokenizer trained on the corpus, saved where transformers loads it."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
    fast.save_pretrained(folder)
    return fast


def build(shape: dict, vocab_size: int, device):
    from transformers import BertConfig, BertForSequenceClassification, MPNetConfig, MPNetForSequenceClassification

    sizes = {k: v for k, v in shape.items() if k != "kind"}
    if shape.get("kind") == "mpnet":
        model = MPNetForSequenceClassification(MPNetConfig(vocab_size=vocab_size, num_labels=4, **sizes))
    else:
        model = BertForSequenceClassification(BertConfig(vocab_size=vocab_size, num_labels=4, **sizes))
    return model.to(device)


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def batches(tok, texts: list[str], size: int, pad_to: int | None, device):
    """Length-grouped dynamic padding (pad_to None) or fixed padding, as tensors on the device."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if pad_to is None else range(len(texts))
    order = list(order)
    out = []
    for start in range(0, len(order), size):
        chunk = [texts[i] for i in order[start:start + size]]
        enc = tok(chunk, truncation=True, max_length=128, return_tensors="pt",
                  padding="max_length" if pad_to else "longest")
        out.append({k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask")})
    return out


def train_speed(model, data, precision: str, device, steps: int) -> float:
    """Sentences/s over ``steps`` AdamW steps (after 2 warm-up steps)."""
    import torch

    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=5e-5)
    labels = {id(b): torch.randint(0, 4, (b["input_ids"].shape[0],), device=device) for b in data}
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
    done, elapsed = 0, 0.0
    for step in range(steps + 2):
        batch = data[step % len(data)]
        if step == 2:
            sync(device)
            started = time.perf_counter()
        with autocast:
            loss = model(**batch, labels=labels[id(batch)]).loss
        loss.backward()
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        if step >= 2:
            done += batch["input_ids"].shape[0]
    sync(device)
    elapsed = time.perf_counter() - started
    return done / elapsed


def tag_speed(model, data, device, precision: str, rounds: int) -> float:
    import torch

    model.eval()
    n = sum(b["input_ids"].shape[0] for b in data)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
    times = []
    with torch.inference_mode(), autocast:
        for _ in range(rounds + 1):
            sync(device)
            started = time.perf_counter()
            for batch in data:
                model(**batch).logits.float().softmax(-1).cpu()
            sync(device)
            times.append(time.perf_counter() - started)
    return n / statistics.median(times[1:])


def pipeline_speed(model, folder: Path, texts: list[str], device, rounds: int) -> float:
    from transformers import AutoTokenizer, pipeline

    model.eval()
    pipe = pipeline("text-classification", model=model, tokenizer=AutoTokenizer.from_pretrained(folder),
                    device=device, top_k=None)
    times = []
    for _ in range(rounds + 1):
        started = time.perf_counter()
        pipe(texts, truncation=True, batch_size=64)
        times.append(time.perf_counter() - started)
    return len(texts) / statistics.median(times[1:])


def onnx_cuda_speed(model, data, folder: Path, dry: bool) -> dict:
    """onnxruntime's CUDA provider on the fp32 graph (CPU provider in dry mode), or why it cannot run here."""
    try:
        import onnxruntime as ort
        import torch
    except ImportError as exc:
        return {"available": False, "why": f"onnxruntime is not installed ({exc})"}
    provider = "CPUExecutionProvider" if dry else "CUDAExecutionProvider"
    if provider not in ort.get_available_providers():
        return {"available": False, "why": f"{provider} not in {ort.get_available_providers()} "
                                           "(onnxruntime-gpu is not installed)"}
    path = folder / "model.onnx"
    cpu_model = model.float().cpu().eval()
    sample = {k: v[:2].cpu() for k, v in data[0].items()}
    try:
        torch.onnx.export(cpu_model, (sample["input_ids"], sample["attention_mask"]), str(path),
                          input_names=["input_ids", "attention_mask"], output_names=["logits"], dynamo=False,
                          dynamic_axes={"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"}})
    except Exception as exc:  # noqa: BLE001  (an exporter that cannot run here is a finding, not a crash)
        return {"available": False, "why": f"torch.onnx.export failed: {type(exc).__name__}: {exc}"[:300]}
    session = ort.InferenceSession(str(path), providers=[provider])
    feeds = [{k: v.cpu().numpy() for k, v in b.items()} for b in data]
    n = sum(f["input_ids"].shape[0] for f in feeds)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        for f in feeds:
            session.run(None, f)
        times.append(time.perf_counter() - started)
    return {"available": True, "provider": provider, "sentences_per_s": round(n / statistics.median(times[1:]), 1)}


def ddp_step() -> None:
    """One DDP step in a torchrun worker: NCCL on a GPU, gloo on CPU; prints one JSON line."""
    import torch
    import torch.distributed as dist

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if backend == "nccl" else torch.device("cpu")
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(16, 4).to(device),
                                                      device_ids=[device.index] if backend == "nccl" else None)
    loss = model(torch.randn(8, 16, device=device)).square().mean()
    loss.backward()
    value = torch.ones(1, device=device)
    dist.all_reduce(value)
    print(json.dumps({"backend": backend, "world_size": dist.get_world_size(), "all_reduce": float(value),
                      "loss": float(loss)}))
    dist.destroy_process_group()


def torchrun_smoke(timeout: int) -> dict:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1", __file__,
           "--ddp-step"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result = {"ok": proc.returncode == 0 and bool(lines), "seconds": round(time.perf_counter() - started, 1)}
    if lines:
        result.update(json.loads(lines[-1]))
    if not result["ok"]:
        result["stderr"] = proc.stderr[-1500:]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry", action="store_true", help="CPU, tiny shapes, a few steps: the code path, no figures")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--ddp-step", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ddp_step:
        ddp_step()
        return
    import warnings

    import torch

    warnings.filterwarnings("ignore", module=r"(torch\.onnx|transformers)\..*")  # the exporter's tracing notes
    device = torch.device("cuda" if torch.cuda.is_available() and not args.dry else "cpu")
    if device.type != "cuda" and not args.dry:
        raise SystemExit("benchmarks gpu: no CUDA device here; --dry runs the same code on CPU")
    started = time.perf_counter()
    texts = sentences(64 if args.dry else 4096)
    vocab = 500 if args.dry else 30522
    steps, rounds = (3, 1) if args.dry else (40, 3)
    report: dict = {"dry": args.dry, "machine": {
        "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None, "cpu": platform.processor(),
        "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version()}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tok = tokenizer_for(texts, vocab, folder)
        dynamic = batches(tok, texts, 32, None, device)
        padded = batches(tok, texts, 32, 128, device)
        tag_batches = batches(tok, texts, 64, None, device)
        for name, shape in SHAPES.items():
            shape = {**shape, **DRY_SHAPE} if args.dry else shape
            torch.manual_seed(0)
            row = {"shape": shape}
            model = build(shape, vocab, device)
            row["train_claimnet_bf16_sentences_per_s"] = round(train_speed(model, dynamic, "bf16", device, steps), 1)
            model = build(shape, vocab, device)
            row["train_standard_fp32_pad128_sentences_per_s"] = round(train_speed(model, padded, "fp32", device,
                                                                                  steps), 1)
            row["train_speedup"] = round(row["train_claimnet_bf16_sentences_per_s"]
                                         / row["train_standard_fp32_pad128_sentences_per_s"], 2)
            row["tag_torch_bf16_sentences_per_s"] = round(tag_speed(model, tag_batches, device, "bf16", rounds), 1)
            row["tag_pipeline_sentences_per_s"] = round(pipeline_speed(model, folder, texts, device, rounds), 1)
            row["tag_speedup"] = round(row["tag_torch_bf16_sentences_per_s"] / row["tag_pipeline_sentences_per_s"], 2)
            row["tag_onnxruntime"] = onnx_cuda_speed(model, tag_batches, folder, args.dry)
            report[name] = row
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()
    report["torchrun"] = torchrun_smoke(120 if args.dry else 300)
    report["seconds"] = round(time.perf_counter() - started, 1)
    slug = (report["machine"]["gpu"] or "cpu-dry").lower().replace(" ", "-")
    out = args.out or ROOT / "benchmarks" / "results" / f"gpu-{slug}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    for name in SHAPES:
        r = report[name]
        print(f"{name}: train {r['train_claimnet_bf16_sentences_per_s']} sentences/s ({r['train_speedup']}x the "
              f"standard recipe), tag {r['tag_torch_bf16_sentences_per_s']} ({r['tag_speedup']}x the pipeline); "
              f"onnxruntime: {r['tag_onnxruntime'].get('sentences_per_s', 'not available')}")
    print(f"torchrun {report['torchrun'].get('backend')}: {'ok' if report['torchrun']['ok'] else 'FAILED'}; "
          f"{report['seconds']} s -> {out}")


if __name__ == "__main__":
    main()
