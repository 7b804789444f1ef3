"""Round trip through a real Label Studio: export-tasks -> annotate -> export -> import gives back the labels.

    .venv/bin/python -m benchmarks labelstudio_roundtrip [--model EXPORT] [--articles FILE.jsonl] [--port 8093]

Label Studio stays out of claimnet's environment: on first use this script makes
``.venv-labelstudio/`` and installs ``label-studio`` and ``label-studio-sdk`` there
(``--ls-python`` uses another interpreter that has them). It starts Label Studio
on loopback with its own SQLite in a temporary folder, creates a project from
``claimnet data labelstudio-config``, imports ``claimnet data export-tasks`` for
the articles (the bundled dev split by default) through the SDK, turns every
prediction into an annotation, exports the project as JSON through the API,
imports that with ``claimnet data import --from labelstudio`` and compares each
sentence's label with the prediction it started from. Exit 0 when all agree.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLAIMNET = [sys.executable, "-m", "claimnet.cli"]

# Runs inside Label Studio's environment: project, tasks, annotations from predictions, export.
SDK_SCRIPT = r"""
import json, sys
from label_studio_sdk import LabelStudio
url, token, config_path, tasks_path, out_path = sys.argv[1:6]
ls = LabelStudio(base_url=url, api_key=token)
project = ls.projects.create(title="claimnet round trip", label_config=open(config_path).read())
tasks = json.load(open(tasks_path))
ls.projects.import_tasks(id=project.id, request=tasks, return_task_ids=True)
made = 0
for task in ls.tasks.list(project=project.id, fields="all"):
    predictions = task.predictions or []
    if not predictions:
        continue
    result = predictions[0]["result"] if isinstance(predictions[0], dict) else predictions[0].result
    ls.annotations.create(id=task.id, result=result, was_cancelled=False, ground_truth=False)
    made += 1
chunks = ls.projects.exports.download_sync(id=project.id, export_type="JSON", download_all_tasks=True)
data = b"".join(chunks) if not isinstance(chunks, (bytes, bytearray)) else chunks
open(out_path, "wb").write(data)
print(json.dumps({"project": project.id, "tasks": len(tasks), "annotations_created": made}))
"""


def ensure_label_studio(python: str | None) -> str:
    if python:
        return python
    venv = ROOT / ".venv-labelstudio"
    py = venv / "bin" / "python"
    if not py.exists():
        print("Installing label-studio and label-studio-sdk into .venv-labelstudio/ (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "label-studio", "label-studio-sdk"], check=True)
    return str(py)


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 240) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if proc.poll() is not None:
            raise RuntimeError(f"label-studio exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"label-studio did not answer {url}/health within {seconds:.0f} s")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "outputs" / "latest" / "export"))
    parser.add_argument("--articles", default=str(ROOT / "data" / "claimnet-wikinews" / "dev.jsonl"))
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--ls-python", help="a Python that has label-studio and label-studio-sdk")
    args = parser.parse_args()
    ls_python = ensure_label_studio(args.ls_python)
    ls_bin = str(Path(ls_python).parent / "label-studio")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config, tasks, exported, back = tmp / "config.xml", tmp / "tasks.json", tmp / "export.json", tmp / "back.jsonl"
        config.write_text(run([*CLAIMNET, "data", "labelstudio-config", "--model", args.model]).stdout)
        run([*CLAIMNET, "data", "export-tasks", args.articles, "--model", args.model, "-o", str(tasks)])
        token = secrets.token_hex(20)
        env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(tmp / "ls-data"),
               "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true"}
        url = f"http://127.0.0.1:{args.port}"
        log = open(tmp / "label-studio.log", "w")
        proc = subprocess.Popen([ls_bin, "start", "--no-browser", "--port", str(args.port),
                                 "--internal-host", "127.0.0.1",
                                 "--username", "roundtrip@claimnet.local", "--password", secrets.token_hex(8),
                                 "--user-token", token, "--enable-legacy-api-token"],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            startup = wait_healthy(url, proc)
            print(f"Label Studio answered /health after {startup:.0f} s", flush=True)
            sdk = run([ls_python, "-c", SDK_SCRIPT, url, token, str(config), str(tasks), str(exported)], env=env)
            print("SDK:", sdk.stdout.strip().splitlines()[-1], flush=True)
        except Exception:
            log.flush()
            print((tmp / "label-studio.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        imported = run([*CLAIMNET, "data", "import", "--from", "labelstudio", str(exported), "-o", str(back),
                        "--strict", "--model", args.model])
        print(imported.stderr.strip())
        given = {t["data"]["id"]: [r["value"]["labels"][0] for r in t["predictions"][0]["result"]]
                 for t in json.loads(tasks.read_text())}
        got = {}
        for line in back.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            got[record["id"]] = [s["label"] for s in record["sentences"]]
        sentences = sum(len(v) for v in given.values())
        same = sum(a == b for k in given for a, b in zip(given[k], got.get(k, [])))
        whole = sum(given[k] == got.get(k) for k in given)
        print(f"round trip: {len(given)} tasks, {sentences} sentences; identical labels {same}/{sentences}; "
              f"articles identical {whole}/{len(given)}")
        return 0 if same == sentences and whole == len(given) else 1


if __name__ == "__main__":
    sys.exit(main())
