"""The original register's pure rules (TT21/2019, exams-diplomas.md "Diplomas and certificates"): entry numbers,
serial numbers, the 75-day deadline."""

import datetime as dt

import pytest

from exams import rules


@pytest.mark.parametrize(
    ("kind", "year", "number", "book", "label"),
    [
        ("thpt", 2026, 1, "original", "00001/THPT/2026"),
        ("thpt", 2026, 123, "original", "00123/THPT/2026"),
        ("thcs", 2026, 123, "original", "00123/THCS/2026"),  # same number, another type: told apart
        ("thcs", 2027, 123, "original", "00123/THCS/2027"),  # and another year
        ("completion", 2026, 7, "original", "00007/CNHT/2026"),
        ("thpt", 2026, 7, "copy", "00007/BS-THPT/2026"),
        ("thpt", 2026, 123456, "original", "123456/THPT/2026"),
    ],
)
def test_entry_labels_tell_type_year_and_book_apart(kind, year, number, book, label):
    assert rules.entry_label(kind, year, number, book=book) == label


def test_entry_numbers_start_at_one():
    with pytest.raises(ValueError):
        rules.entry_label("thpt", 2026, 0)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("a 0012345", "A 0012345"),
        ("  TN   0012345 ", "TN 0012345"),
        ("THPT/2019-12", "THPT/2019-12"),
        ("b.01", "B.01"),
    ],
)
def test_serials_are_stored_in_one_form(text, stored):
    assert rules.normalise_serial(text) == stored


@pytest.mark.parametrize("text", ["", "   ", None, "Số 12", "#123", "A" * 31, "-12"])
def test_bad_serials_are_refused_in_vietnamese(text):
    with pytest.raises(ValueError, match="[Ss]ố hiệu"):
        rules.normalise_serial(text)


@pytest.mark.parametrize(
    ("first", "count", "serials"),
    [
        ("A 0099", 3, ["A 0099", "A 0100", "A 0101"]),
        ("0012345", 2, ["0012345", "0012346"]),
        ("TN 09", 1, ["TN 09"]),
        ("TN 09", 0, []),
        ("X-7", 3, ["X-7", "X-8", "X-9"]),
    ],
)
def test_serials_count_up_in_the_order_the_blanks_are_filled(first, count, serials):
    assert rules.serial_sequence(first, count) == serials


@pytest.mark.parametrize(
    ("first", "count", "message"),
    [("A 98", 3, "vượt quá 2 chữ số"), ("ABC", 2, "kết thúc bằng chữ số"), ("X-9", 2, "vượt quá 1 chữ số")],
)
def test_serial_sequences_that_cannot_be_made(first, count, message):
    with pytest.raises(ValueError, match=message):
        rules.serial_sequence(first, count)


@pytest.mark.parametrize(
    ("decision", "deadline"),
    [
        (dt.date(2026, 6, 30), dt.date(2026, 9, 13)),  # 75 days: 0 in June + 31 + 31 + 13
        (dt.date(2026, 12, 20), dt.date(2027, 3, 5)),  # over the new year: 11 + 31 + 28 + 5
    ],
)
def test_diplomas_are_due_within_75_days_of_the_decision(decision, deadline):
    assert rules.issue_deadline(decision) == deadline


@pytest.mark.parametrize(
    ("decision", "issued_on", "problem"),
    [
        (dt.date(2026, 6, 30), dt.date(2026, 6, 29), "trước ngày ký quyết định"),
        (dt.date(2026, 6, 30), dt.date(2026, 6, 30), None),
        (dt.date(2026, 6, 30), dt.date(2026, 12, 30), None),  # late: the issuer's duty, shown as overdue
        (None, dt.date(2020, 1, 1), None),  # a past register without the decision's date
    ],
)
def test_issue_date_after_the_decision(decision, issued_on, problem):
    result = rules.issue_date_problem(decision, issued_on)
    assert (result is None) if problem is None else (problem in result)


@pytest.mark.parametrize(
    ("relation", "deceased", "authorisation", "allowed"),
    [
        ("holder", False, False, True),
        ("representative", False, True, True),
        ("representative", False, False, False),
        ("parent", False, False, False),
        ("parent", True, False, True),
        ("spouse", True, False, True),
        ("sibling", False, False, False),
        ("heir", True, False, True),
        ("friend", False, True, False),
    ],
)
def test_who_may_ask_for_a_copy_from_the_register(relation, deceased, authorisation, allowed):
    problem = rules.copy_request_problem(relation, holder_deceased=deceased, authorisation=authorisation)
    assert (problem is None) is allowed
