"""The one output writer: whole or not at all, through symlinks, in place for pipes, ``-`` for standard output."""

from __future__ import annotations

import errno
import os
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimnet.runtime.files import open_output, write_text


class Boom(Exception):
    pass


@given(old=st.text(max_size=200), new=st.text(max_size=200), fail_at=st.one_of(st.none(), st.integers(0, 5)))
def test_a_target_is_either_as_it_was_or_wholly_new(tmp_path_factory, old, new, fail_at):
    folder = tmp_path_factory.mktemp("out")
    target = folder / "out.txt"
    target.write_bytes(old.encode("utf-8"))
    pieces = [new[i:i + 40] for i in range(0, len(new), 40)] or [""]
    try:
        with open_output(target) as fh:
            for i, piece in enumerate(pieces):
                if fail_at is not None and i == fail_at:
                    raise Boom
                fh.write(piece)
        assert target.read_bytes().decode("utf-8") == new
    except Boom:
        assert target.read_bytes().decode("utf-8") == old
    assert sorted(p.name for p in folder.iterdir()) == ["out.txt"]  # no temporary file left


def test_a_full_disk_leaves_the_target_untouched(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(OSError) as info, open_output(target) as fh:
        fh.write("new")
        raise OSError(errno.ENOSPC, "No space left on device", str(target))
    assert info.value.errno == errno.ENOSPC and target.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


def test_a_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_text("old")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_dash_is_standard_output(capsys):
    write_text("-", "to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"


def test_a_pipe_is_written_in_place(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_text(fifo, "through the pipe")
    reader.join(timeout=10)
    assert got == ["through the pipe"] and fifo.exists() and not fifo.is_file()


def test_data_import_writes_to_standard_output_with_dash(tmp_path, capsys):
    from claimnet.cli import main
    from helpers import FIXTURES

    assert main(["data", "import", "--from", "csv", str(FIXTURES / "tools" / "sentences.csv"), "-o", "-",
                 "--columns", "article_id=doc,sentence=text,label=tag"]) == 0
    out = capsys.readouterr().out
    assert out.strip() and all(line.startswith('{"id"') for line in out.splitlines())
    assert not (tmp_path / "-").exists() and not os.path.exists("-")
