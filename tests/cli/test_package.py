"""``claimnet package``: an export as a model package that, installed beside claimnet, tags by its short name."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from claimnet.cli import main
from claimnet.errors import ConfigError
from claimnet.runtime.packages import build_model_wheel
from helpers import DATA_DIR

TEXT = "Police said two people were hurt on Tuesday. The bridge may reopen in May."


@pytest.fixture(scope="module")
def model_wheel(export_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("model-wheel")
    assert main(["package", str(export_dir.parent), "--name", "tiny-test", "-o", str(out)]) == 0
    (path,) = out.glob("claimnet_tiny_test-0.1.0-py3-none-any.whl")
    return path


def test_the_model_wheel_holds_the_export_its_entry_point_and_licences(model_wheel, export_dir):
    names = set(zipfile.ZipFile(model_wheel).namelist())
    manifest = json.loads((export_dir / "claimnet.json").read_text())
    assert {f"claimnet_tiny_test/export/{f}" for f in [*manifest["files"], "claimnet.json"]} <= names
    info = "claimnet_tiny_test-0.1.0.dist-info"
    assert {f"{info}/METADATA", f"{info}/RECORD", f"{info}/licenses/MODEL_CARD.md"} <= names
    entry = zipfile.ZipFile(model_wheel).read(f"{info}/entry_points.txt").decode()
    assert "[claimnet.models]" in entry and "tiny-test = claimnet_tiny_test:export_dir" in entry
    metadata = zipfile.ZipFile(model_wheel).read(f"{info}/METADATA").decode()
    assert "Name: claimnet-tiny-test" in metadata and "Requires-Dist: claimnet>=" in metadata


def test_installed_beside_claimnet_it_tags_by_name_offline(wheel, model_wheel, tmp_path, export_dir):
    """The combined offline install: claimnet's wheel and the model's, then ClaimTagger and the CLI by name."""
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(site),
                    str(wheel), str(model_wheel)], check=True, capture_output=True, timeout=300)
    code = (f"import sys; sys.path.insert(0, {str(site)!r})\n"
            "import json, claimnet\n"
            f"assert claimnet.__file__.startswith({str(site)!r})\n"
            "from claimnet import ClaimTagger\n"
            "tagger = ClaimTagger.load('tiny-test')\n"
            f"assert str(tagger.export_dir).startswith({str(site)!r}), tagger.export_dir\n"
            f"print(json.dumps([s.label for s in tagger.tag({TEXT!r})]))\n"
            "import claimnet.cli\n"
            f"sys.exit(claimnet.cli.main(['tag', '--model', 'tiny-test', '--format', 'json', {str(DATA_DIR)!r} + "
            "'/../../README.md']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    labels = json.loads(proc.stdout.splitlines()[0])
    from claimnet import ClaimTagger

    assert labels == [s.label for s in ClaimTagger.load(export_dir).tag(TEXT)]
    assert json.loads("\n".join(proc.stdout.splitlines()[1:]))[0]["sentences"]


def test_a_bad_name_or_version_is_refused(export_dir, tmp_path):
    with pytest.raises(ConfigError, match="--name must be lower-case"):
        build_model_wheel(export_dir, "Tiny Model", "0.1.0", tmp_path, "0.1.0")
    with pytest.raises(ConfigError, match="--version must be numbers and dots"):
        build_model_wheel(export_dir, "tiny", "latest", tmp_path, "0.1.0")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_fresh_venv_installs_both_wheels_and_tags(wheel, model_wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel), str(model_wheel)],
                         capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stderr[-2000:]
    proc = subprocess.run([str(venv / "bin" / "claimnet"), "tag", "--model", "tiny-test", "-"], input=TEXT,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 2, proc.stderr[-2000:]
