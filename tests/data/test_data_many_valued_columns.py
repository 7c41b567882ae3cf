"""A table with several text columns of too many values to one-hot (a Kaggle Titanic's Name
and Ticket) is refused naming all of them at once, with the one drop that leaves them all
out: it named the first only, so the user dropped Name, loaded the file again, and was refused
for Ticket."""

from __future__ import annotations

import pytest

from layerloom.runtime.data import DataError, load_dataset


def titanic(tmp_path):
    rows = [f'{i},{i % 2},{1 + i % 3},"Smith{i}, Mr. John",{"mf"[i % 2]},{20 + i % 50},'
            f'A/{1000 + i},{7.25 + i % 40:.2f},{"SCQ"[i % 3]}' for i in range(1, 301)]
    path = tmp_path / "titanic.csv"
    path.write_text("PassengerId,Survived,Pclass,Name,Sex,Age,Ticket,Fare,Embarked\n" +
                    "\n".join(rows) + "\n")
    return path


def test_every_column_of_too_many_values_is_named_with_one_drop(tmp_path):
    path = titanic(tmp_path)
    with pytest.raises(DataError) as refused:
        load_dataset(path, target="Survived")
    err = refused.value
    assert str(err) == (
        "titanic.csv, column 'Name': 210 different values in the training rows, too many to "
        "one-hot (more than 50), as has column 'Ticket' (210); drop them with drop=['Name', "
        "'Ticket'] (or raise max_categories), or load the file with kind='text' if one holds "
        "free text")
    assert err.column == "Name" and err.remedy == {"drop": ["Name", "Ticket"]}
    ds = load_dataset(path, target="Survived", drop=err.remedy["drop"])
    assert [c["name"] for c in ds.meta["columns"]] == [
        "PassengerId", "Pclass", "Sex", "Age", "Fare", "Embarked"]


def test_one_such_column_is_said_as_before(tmp_path):
    with pytest.raises(DataError) as refused:
        load_dataset(titanic(tmp_path), target="Survived", drop=["Ticket"])
    assert str(refused.value) == (
        "titanic.csv, column 'Name': 210 different values in the training rows, too many to "
        "one-hot (more than 50); drop the column with drop=['Name'] (or raise "
        "max_categories), or load the file with kind='text' if it holds free text")
    assert refused.value.remedy == {"drop": ["Name"]}
