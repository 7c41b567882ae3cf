"""``export -f project -o FOLDER --force`` over a folder that is not a project exported before
(``-o ~/work --force``, ``-o . --force``): the folder was replaced whole, every file of the
user's in it deleted. ``--force`` now replaces only a project (its ``config.json`` says so); any
other folder is refused, exit 1, its files kept."""

from __future__ import annotations

from layerloom.cli import main


def test_force_never_replaces_a_folder_that_is_no_project(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "notes.txt").write_text("mine\n")
    monkeypatch.chdir(tmp_path)
    assert main(["export", "mlp-tabular", "-f", "project", "-o", "work", "--force"]) == 1
    assert capsys.readouterr().err == (
        "error: work holds files that are not a LayerLoom project (data, notes.txt), and "
        "overwriting replaces only a project exported before (its config.json says so); "
        "choose a new or empty folder\n")
    monkeypatch.chdir(work)
    assert main(["export", "mlp-tabular", "-f", "project", "-o", ".", "--force"]) == 1
    assert capsys.readouterr().err.startswith("error: . holds files that are not a LayerLoom "
                                              "project (data, notes.txt)")
    assert sorted(p.name for p in work.iterdir()) == ["data", "notes.txt"]
    assert (work / "notes.txt").read_text() == "mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["work"]  # nothing left beside it


def test_force_still_replaces_a_project(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "mlp-tabular", "-f", "project", "-o", "proj"]) == 0
    (tmp_path / "proj" / "train.py").write_text("# edited\n")
    assert main(["export", "mlp-tabular", "-f", "project", "-o", "proj", "--force"]) == 0
    assert "wrote proj" in capsys.readouterr().out
    assert (tmp_path / "proj" / "train.py").read_text() != "# edited\n"


def test_force_in_the_project_itself_says_to_run_from_above(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "mlp-tabular", "-f", "project", "-o", "proj"]) == 0
    before = sorted(p.name for p in (tmp_path / "proj").iterdir())
    monkeypatch.chdir(tmp_path / "proj")
    capsys.readouterr()
    assert main(["export", "mlp-tabular", "-f", "project", "-o", ".", "--force"]) == 1
    assert capsys.readouterr().err == (  # it said '.: Device or resource busy'
        "error: . is the folder you are in (or holds it), so it cannot be replaced from here; "
        "run the export from the folder above it, with -o proj\n")
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]
