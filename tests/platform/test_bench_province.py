"""The benchmark data sets (bench/bulk.py, bench/province.py): rows written with COPY must be rows the application
reads as its own — the same results the grade book computes, the same reports — and the constraints dropped for
the load must all come back and still hold. PostgreSQL only (COPY); a small province inside the test's
transaction, which rolls it back."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("COPY: PostgreSQL only")


def _constraints(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY 1",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
        return constraints + cursor.fetchall()


def test_copied_rows_take_defaults_escapes_and_the_sequence_moves_past_them():
    from bench.bulk import Loader
    from sms.org.models import Unit

    loader = Loader(log=lambda _m: None)
    ids = loader.ids(Unit, 2)
    loader.copy(
        Unit,
        ("id", "kind", "code", "name", "path", "depth"),
        [
            (ids[0], "so", "SO-T", "Sở\tthử\\nghiệm\nmới", f"{ids[0]}/", 0),
            (ids[1], "phong", "PH-T", "Phòng thử", f"{ids[0]}/{ids[1]}/", 1),
        ],
    )
    loader.finish()
    so = Unit.objects.get(pk=ids[0])
    assert so.name == "Sở\tthử\\nghiệm\nmới"  # tab, backslash and newline survive COPY's text format
    assert so.is_active is True and so.email == "" and so.dissolved_on is None  # defaults, blank, NULL
    after = Unit.objects.create(kind="so", code="SO-NEXT", name="Sở sau")
    assert after.pk > ids[1]  # the application's own inserts continue after the copied ids


def test_a_column_without_a_default_must_be_given():
    from bench.bulk import Loader
    from students.models import Student

    with pytest.raises(ValueError, match="full_name"):
        Loader(log=lambda _m: None).copy(Student, ("id", "school_id", "learner_code"), [])


def test_loading_puts_every_constraint_back_and_a_duplicate_fails_the_load():
    from bench.bulk import Loader
    from students.models import Score

    before = _constraints("students_score")
    loader = Loader(log=lambda _m: None)
    with loader.loading([Score]):
        assert len(before) > 2 and all("pkey" in str(c) for c in _constraints("students_score"))  # only the key
    assert _constraints("students_score") == before

    from sms.org.models import Unit

    unit_ids = loader.ids(Unit, 1)
    with pytest.raises(IntegrityError, match="org_unit_code"), transaction.atomic(), loader.loading([Unit]):
        loader.copy(
            Unit,
            ("id", "kind", "code", "name"),
            [(unit_ids[0], "so", "SO-DUP", "Một"), (unit_ids[0] + 1, "so", "SO-DUP", "Hai")],
        )


def test_a_small_province_reads_back_through_the_application():
    from bench import province as builder_module
    from bench.province_shape import BIG_SCHOOL_CODE, SO_USERNAME
    from sms.accounts.actors import Actor
    from sms.accounts.models import Membership
    from sms.org.models import Unit
    from students import stats
    from students.models import Score, ScoreSheet, SubjectResult
    from students.services.gradebook import refresh_sheet_results
    from teachers.models import TeachingAssignment

    args = argparse.Namespace(schools=4, students=1700, candidates=0, phongs=2, seed=7)
    builder = builder_module.Builder(args, log=lambda _m: None)
    with builder.loader.loading([Score, SubjectResult, ScoreSheet, TeachingAssignment]):
        province = builder.build()
    builder.loader.finish()

    assert len(province.schools) == 4 and len(province.learners) == 1700
    assert sum(1 for x in province.learners if x.school_id == province.schools[0].id) == 1512
    assert Score.objects.count() == builder.loader.counts["students_score"] > 100_000
    assert tuple(Unit.objects.get(code=BIG_SCHOOL_CODE).grades) == (6, 7, 8, 9)  # a school type the app knows

    # the Sở specialist's completion page counts every school's expected sheets
    so = Membership.objects.select_related("user", "unit").get(user__username=SO_USERNAME)
    report = stats.completion_report(Actor(so.user, so), 2025, 2)
    assert len(report.schools) == 4
    assert report.total.expected == TeachingAssignment.objects.filter(semester__number=2).count()

    # the semester results written with the cells are the ones the grade book computes from them
    sheet = ScoreSheet.objects.filter(school__code=BIG_SCHOOL_CODE, semester__number=1, subject__code="toan").first()
    stored = {
        r.enrolment_id: (r.average, r.passed, r.level, r.test_score)
        for r in SubjectResult.objects.filter(
            subject=sheet.subject, period="hk1", enrolment__school_class=sheet.school_class
        )
    }
    SubjectResult.objects.filter(
        subject=sheet.subject, period="hk1", enrolment__school_class=sheet.school_class
    ).delete()
    computed = {e: (r.average, r.passed, r.level, r.test_score) for e, r in refresh_sheet_results(sheet).items()}
    assert computed == stored and len(stored) == 45
    # a primary school's sheet (TT27: levels and tests) too
    primary = ScoreSheet.objects.filter(school__school_type="C1", semester__number=1).order_by("pk").first()
    rows = SubjectResult.objects.filter(
        subject=primary.subject, period="hk1", enrolment__school_class=primary.school_class
    )
    stored = {r.enrolment_id: (r.average, r.passed, r.level, r.test_score) for r in rows}
    rows.delete()
    assert {
        e: (r.average, r.passed, r.level, r.test_score) for e, r in refresh_sheet_results(primary).items()
    } == stored


def test_the_same_seed_builds_the_same_plan():
    from bench.province import plan_schools

    first = plan_schools(300, 150_000, random.Random(5))
    assert first == plan_schools(300, 150_000, random.Random(5))
    assert len(first) == 300 and sum(n for _, n in first) == 150_000 and first[0] == ("C2", 1512)
