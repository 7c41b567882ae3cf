"""The loader's messages at the command line name the flag to type, not the Python option:
``--data-option drop=customer_id`` for ``drop=['customer_id']``, and several columns as JSON
in quotes, as the shell keeps it (``drop=['signup']`` typed at a shell reaches the program as
``drop=[signup]``, no column of that name). ``train`` takes such a list, as ``validate``
does; it took one column only. The Data page keeps its own words."""

from __future__ import annotations

import shlex

from layerloom.cli import main
from layerloom.cli.data_words import cli_words

ROWS = 80


def customers(tmp_path):
    """Sign-up and last-seen dates written day and month first, none over 12: which is the
    day is asked, not guessed."""
    rows = [f"{1000 + i},{1 + i % 12:02d}/{1 + i % 12:02d}/2023,{1 + (i * 5) % 12:02d}/"
            f"{1 + i % 12:02d}/2024,{i % 9 * 1.5},{'ab'[i % 3 > 0]}" for i in range(ROWS)]
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,signup,last_seen,amount,label\n" + "\n".join(rows) + "\n")
    return path


def suggested(line: str) -> list[str]:
    """The flag a message tells one to type, split as a shell splits it."""
    start = line.index("--data-option")
    return shlex.split(" ".join(line[start:].split(" ")[:2]))


def test_the_messages_say_what_to_type_and_it_works(tmp_path, capsys):
    path = customers(tmp_path)
    assert main(["validate", "mlp-tabular", "--dataset", str(path)]) == 1
    error = capsys.readouterr().err
    assert "set --data-option date_order=dmy if the day comes first (05/03/2024 is 5 March) " \
           "or --data-option date_order=mdy if the month does" in error
    assert "date_order='" not in error  # no Python wording left
    flag = suggested(error)
    assert flag == ["--data-option", "date_order=dmy"]
    main(["validate", "mlp-tabular", "--dataset", str(path), *flag])
    notes = capsys.readouterr().err
    assert "customer_id: a different whole number on every row, named like an id: as a " \
           "feature it only adds noise; drop it with --data-option drop=customer_id unless" \
           in notes
    assert main(["train", "mlp-tabular", "--set", "features=11", "--set", "classes=2",
                 "--dataset", str(path), "--epochs", "1", "--no-record", "--home",
                 str(tmp_path), *flag, "--data-option", "drop=customer_id"]) == 0
    assert "holds dates written" not in capsys.readouterr().err  # both read: 5 + 5 + 1


def test_several_columns_to_drop_are_json_in_quotes():
    assert cli_words("drop them with drop=['signup', 'last_seen'], or give") == \
        "drop them with --data-option 'drop=[\"signup\", \"last_seen\"]', or give"


def test_other_options_in_command_line_words():
    assert cli_words("drop the column with drop=['city'] (or raise max_categories), or load "
                     "the file with kind='text' if it holds free text") == \
        ("drop the column with --data-option drop=city (or raise it with --data-option "
         "max_categories=N), or load the file with --data-option kind=text if it holds free "
         "text")
    assert cli_words("load it with kind=tabular and drop=['my review']") == \
        "load it with --data-option kind=tabular and --data-option 'drop=my review'"
    assert cli_words("choose the column that holds the labels with target=NAME") == \
        "choose the column that holds the labels with --data-option target=NAME"
    assert cli_words("(CLI: --data-option kind=text --data-option text_column=c)") == \
        "(CLI: --data-option kind=text --data-option text_column=c)"  # already so: kept


def test_the_data_page_keeps_its_own_words():
    from layerloom.ui.pages.data import page_words

    assert page_words("id: drop it with drop=['id'] unless") == \
        "id: choose it under **drop** unless"
