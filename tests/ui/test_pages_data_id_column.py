"""The Data page (AppTest) on a newcomer's own table: an id column among its features, which
the loader cannot one-hot. The page says what to do in its own words (the drop box, the kind
box), not in the Python API's (``drop=['customer_id']``), and one click drops the column."""

from __future__ import annotations

import pytest

from .test_pages_data import load_errors, page, texts


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def customers(n: int = 120) -> bytes:
    rows = [f"C{1000 + i},{20 + i % 50},{30000 + 173 * i},{['north', 'south', 'east'][i % 3]},"
            f"{['gold', 'silver'][i % 2]}" for i in range(n)]
    rows[5] = "C1005,,31000,west,gold"  # a missing age
    return ("customer_id,age,income,region,tier\n" + "\n".join(rows) + "\n").encode()


def upload(at):
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("customers.csv", customers(), "text/csv").run()
    return at


def test_an_id_column_is_said_in_the_pages_words_and_one_click_drops_it():
    at = upload(page("mlp-tabular").run())
    assert not at.exception
    [error] = load_errors(at)
    assert error.startswith("Could not read customers.csv: column 'customer_id': ")
    assert "too many to one-hot" in error
    assert "drop=" not in error and "kind='text'" not in error  # the API's words, not the page's
    assert "max_categories" not in error
    assert "**drop**" in error and "**kind**" in error
    button = at.button(key="data.drop_column")
    assert button.label == "Drop customer_id"
    button.click().run()
    assert not at.exception and not load_errors(at)
    assert at.multiselect(key="data.opt.customers.csv.drop").value == ["customer_id"]
    assert texts(at.metric)[:3] == ["classification", "[5] float32", "2"]  # age, income, 3 regions


def test_a_many_valued_text_column_that_is_no_id_gets_the_same_way_out():
    rows = [f"{i},town{i},{'ab'[i % 2]}" for i in range(120)]
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload(
        "towns.csv", ("size,town,label\n" + "\n".join(rows)).encode(), "text/csv").run()
    [error] = load_errors(at)
    assert error.startswith("Could not read towns.csv: column 'town': ")
    assert at.button(key="data.drop_column").label == "Drop town"


def test_a_new_version_of_the_file_keeps_the_columns_dropped_and_the_target():
    """A user who fixes their table and uploads it again under a new name kept neither: the id
    column's error came back and the target fell back to the last column."""
    at = upload(page("mlp-tabular").run())
    at.button(key="data.drop_column").click().run()
    at.selectbox(key="data.opt.customers.csv.target").set_value("region").run()
    assert not load_errors(at) and texts(at.metric)[2] == "4"  # four regions
    at.file_uploader(key="data.file").upload("customers_v2.csv", customers(130),
                                             "text/csv").run()
    assert not at.exception and not load_errors(at)
    assert at.multiselect(key="data.opt.customers_v2.csv.drop").value == ["customer_id"]
    assert at.selectbox(key="data.opt.customers_v2.csv.target").value == "region"
    assert texts(at.metric)[2] == "4"


def test_a_new_file_without_those_columns_starts_from_the_defaults():
    at = upload(page("mlp-tabular").run())
    at.button(key="data.drop_column").click().run()
    rows = "\n".join(f"{i % 7},{i % 5},{'ab'[i % 2]}" for i in range(60))
    at.file_uploader(key="data.file").upload("other.csv", f"p,q,label\n{rows}\n".encode(),
                                             "text/csv").run()
    assert not at.exception and not load_errors(at)
    assert at.multiselect(key="data.opt.other.csv.drop").value == []
    assert at.selectbox(key="data.opt.other.csv.target").value == "(default)"


def test_the_page_says_which_column_is_predicted_from_which():
    """With the target left at (default) nothing named the column the model learns to predict:
    a table whose label is not its last column trained on the wrong one unseen."""
    at = upload(page("mlp-tabular").run())
    at.button(key="data.drop_column").click().run()
    said = [c.value for c in at.caption if c.value.startswith("Predicts ")]
    assert said == ["Predicts **tier** (the last column; choose another under **target**) "
                    "from 3 columns: age, income, region. Left out: customer_id. The input's 5 "
                    "values: its 3 columns, region as 3 one-hot columns, one per category."]
    at.selectbox(key="data.opt.customers.csv.target").set_value("region").run()
    said = [c.value for c in at.caption if c.value.startswith("Predicts ")]
    assert said == ["Predicts **region** from 3 columns: age, income, tier. "
                    "Left out: customer_id. The input's 4 values: its 3 columns, tier as 2 "
                    "one-hot columns, one per category."]


def test_a_numeric_target_is_previewed_as_written_not_in_three_digits():
    """spend 1076.53 was previewed as 1.08e+03."""
    rows = "\n".join(f"{i},{i % 4},{1000 + i + 0.53}" for i in range(60))
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("spend.csv", f"a,b,spend\n{rows}\n".encode(),
                                             "text/csv").run()
    assert not load_errors(at)
    shown = set(at.dataframe[0].value.iloc[:, -1])
    assert shown and all(s.startswith("10") and s.endswith(".53") for s in shown), shown


def notes(at) -> str:
    [said] = [i.value for i in at.info if "How the values were read" in i.value]
    return said


def test_the_notes_on_how_a_table_was_read_name_the_pages_boxes_not_the_api():
    """"drop it with drop=['customer_id']" and "load it with kind=tabular and drop=['comment']"
    named options of the Python API; the page has a drop box and a kind box."""
    rows = [f"{5000 + 7 * i},{20 + i % 50},{['north', 'south'][i % 2]},{'ab'[i % 2]}"
            for i in range(60)]
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload(
        "ids.csv", ("customer_id,age,region,label\n" + "\n".join(rows)).encode(),
        "text/csv").run()
    said = notes(at)
    assert "drop=" not in said
    assert "choose it under **drop**" in said
    words = "great service slow delivery friendly staff would buy again".split()
    rows = [f"{20 + i % 50},{' '.join(words[(i + k) % 9] for k in range(6))},{'ab'[i % 2]}"
            for i in range(60)]
    at.file_uploader(key="data.file").upload(
        "notes.csv", ("age,comment,label\n" + "\n".join(rows)).encode(), "text/csv").run()
    said = notes(at)
    assert "kind=" not in said and "drop=" not in said
    assert "to train on the texts instead, set **kind** to text" in said


def test_numbers_beside_a_comment_are_a_table_and_the_comment_is_named_left_out():
    """A table of numbers with a column of comments was read as texts: the page showed a
    [64] int64 input of token ids, and the numbers were left out."""
    words = "great service slow delivery friendly staff would buy again".split()
    rows = [f"{20 + i % 50},{' '.join(words[(i + k) % 9] for k in range(6))},{'ab'[i % 2]}"
            for i in range(60)]
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload(
        "notes.csv", ("age,comment,label\n" + "\n".join(rows)).encode(), "text/csv").run()
    assert not at.exception and not load_errors(at)
    assert texts(at.metric)[1] == "[1] float32"
    said = [c.value for c in at.caption if c.value.startswith("Predicts ")]
    assert said == ["Predicts **label** (the last column; choose another under **target**) "
                    "from 1 column: age. Left out: comment."]
    assert "comment: free text (about 6 words a row), left out" in notes(at)


def test_columns_of_dates_become_numbers_said_on_the_page_and_may_still_be_dropped():
    """A table with a signup date and a last-seen time was refused as 'too many to one-hot';
    each is now made numbers, the page says which, and why the Input is wider than the file."""
    rows = [f"2024-{1 + i // 28:02d}-{1 + i % 28:02d},2024-03-01 {i % 24:02d}:{i % 60:02d}:00,"
            f"{i % 13},{'ab'[i % 2]}" for i in range(120)]
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload(
        "visits.csv", ("signup,last_seen,visits,label\n" + "\n".join(rows)).encode(),
        "text/csv").run()
    assert not at.exception and not load_errors(at)
    assert texts(at.metric)[1] == "[13] float32"  # 5 + 7 + 1
    said = " ".join(texts(at.info))
    assert "signup → 5 columns: days since 2024-01-" in said
    assert "last_seen → 7 columns: days since 2024-03-01, month (sin, cos), weekday (sin, " \
           "cos), hour (sin, cos)" in said
    caption = " ".join(texts(at.caption))
    assert "The input's 13 values: its 3 columns, signup as 5 columns of its date (days " \
           "since 2024-01-" in caption
    at.multiselect(key="data.opt.visits.csv.drop").set_value(["signup", "last_seen"]).run()
    assert not at.exception and not load_errors(at)
    assert texts(at.metric)[1] == "[1] float32"


def test_dates_whose_day_and_month_the_values_leave_open_are_asked_with_a_button_each():
    rows = [f"{1 + i % 12:02d}/{1 + (i * 5) % 12:02d}/2024,{i % 13},{'ab'[i % 2]}"
            for i in range(120)]
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload(
        "visits.csv", ("day,visits,label\n" + "\n".join(rows)).encode(), "text/csv").run()
    [error] = load_errors(at)
    assert error.startswith("Could not read visits.csv: column 'day': holds dates written with "
                            "the day and the month first ('01/01/2024' on line 2)")
    assert "**date order**" in error and "date_order='" not in error
    button = at.button(key="data.date_order.mdy")
    assert button.label == "Read 'day' month first (05/03/2024 is May 3)"
    button.click().run()
    assert not at.exception and not load_errors(at)
    assert at.text_input(key="data.opt.visits.csv.date_order.columns").value == "day:mdy"
    assert "read month first" in " ".join(texts(at.info))
