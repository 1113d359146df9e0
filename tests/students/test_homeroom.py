"""The homeroom teacher's assessments: conduct (TT22 Art. 8; hạnh kiểm of TT58/TT26) or, in
primary, qualities and competencies (TT27 Art. 6–7) — validation, who may write, only changed
rows written, history, constant queries, the grid page and the API (issue 5, acceptance 5)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sms.accounts.roles import Role
from sms.org.models import SchoolClass
from sms.org.rules import SchoolType
from sms.org.services import create_school_year
from students.models import HomeroomAssessment
from students.services.homeroom import save_homeroom
from students.services.workflow import WorkflowError
from tests.makers import students as makers
from tests.world import api_client, make_school, web_client

from .test_workflow_setup import build_book


@pytest.fixture
def book(world):
    return build_book(world, learners=4)


def _rows(enrolments, **values):
    return [{"enrolment": e.pk, **values} for e in enrolments]


def test_homeroom_teacher_saves_conduct_with_history(book):
    actor = book.actor("homeroom")
    result = save_homeroom(
        actor,
        book.side.klass,
        book.semester,
        [
            {"enrolment": book.enrolments[0].pk, "conduct": "tot", "comment": "Ngoan, chăm học"},
            {"enrolment": book.enrolments[1], "conduct": "Khá", "comment": ""},
            {"enrolment": book.enrolments[2].pk, "conduct": "chưa đạt"},
        ],
    )
    assert result == {"created": 3, "updated": 0}
    stored = dict(HomeroomAssessment.objects.values_list("enrolment_id", "conduct"))
    assert stored == {book.enrolments[0].pk: "tot", book.enrolments[1].pk: "kha", book.enrolments[2].pk: "chua_dat"}
    history = HomeroomAssessment.history.all()
    assert history.count() == 3
    assert {h.history_user_id for h in history} == {actor.user.pk}
    assert {h.history_membership_id for h in history} == {actor.membership.pk}


def test_a_bad_value_names_row_and_field_and_nothing_is_saved(book):
    first, second = book.enrolments[:2]
    with pytest.raises(WorkflowError) as caught:
        save_homeroom(
            book.actor("homeroom"),
            book.side.klass,
            book.semester,
            [{"enrolment": first.pk, "conduct": "tot"}, {"enrolment": second.pk, "conduct": "Giỏi"}],
        )
    message = caught.value.message
    assert "Dòng 2" in message and second.student.full_name in message and "kết quả rèn luyện" in message
    assert "Tốt, Khá, Đạt hoặc Chưa đạt" in message
    assert caught.value.errors == [
        {
            "row": 2,
            "field": "conduct",
            "message": f"Dòng 2 ({second.student.full_name}): “Giỏi” không hợp lệ; chọn Tốt, Khá, Đạt hoặc Chưa đạt",
        }  # fmt: skip
    ]
    assert not HomeroomAssessment.objects.exists()


def test_a_learner_of_another_class_is_refused(book, world):
    stranger = makers.enrolment(world.b)
    with pytest.raises(WorkflowError, match="không phải học sinh của lớp này"):
        save_homeroom(
            book.actor("homeroom"), book.side.klass, book.semester, [{"enrolment": stranger.pk, "conduct": "tot"}]
        )


def test_only_changed_rows_are_written(book):
    actor, klass = book.actor("homeroom"), book.side.klass
    save_homeroom(actor, klass, book.semester, _rows(book.enrolments, conduct="tot", comment="Tốt"))
    before = HomeroomAssessment.history.count()
    assert save_homeroom(actor, klass, book.semester, _rows(book.enrolments, conduct="tot", comment="Tốt")) == {
        "created": 0,
        "updated": 0,
    }
    rows = _rows(book.enrolments, conduct="tot", comment="Tốt")
    rows[1]["conduct"] = "dat"
    assert save_homeroom(actor, klass, book.semester, rows) == {"created": 0, "updated": 1}
    assert HomeroomAssessment.history.count() == before + 1
    last = HomeroomAssessment.history.latest("history_date")
    assert last.conduct == "dat" and last.history_type == "~" and last.enrolment_id == book.enrolments[1].pk
    # blank rows of learners never assessed create nothing
    newcomer = makers.enrolment(book.side)
    assert save_homeroom(actor, klass, book.semester, [{"enrolment": newcomer.pk, "conduct": "", "comment": ""}]) == {
        "created": 0,
        "updated": 0,
    }


@pytest.mark.parametrize("who", ["subject_teacher", "principal", "school_admin", "other_principal", "student"])
def test_only_the_homeroom_teacher_assesses(book, who):
    with pytest.raises(WorkflowError) as caught:
        save_homeroom(book.actor(who), book.side.klass, book.semester, _rows(book.enrolments, conduct="tot"))
    assert caught.value.status == 403
    assert not HomeroomAssessment.objects.exists()


def test_an_approved_assessment_is_not_changed(book):
    actor = book.actor("homeroom")
    save_homeroom(actor, book.side.klass, book.semester, _rows(book.enrolments[:1], conduct="tot"))
    HomeroomAssessment.objects.update(approved=True)
    with pytest.raises(WorkflowError, match="đã được hiệu trưởng duyệt"):
        save_homeroom(actor, book.side.klass, book.semester, _rows(book.enrolments[:1], conduct="kha"))


def test_a_semester_of_another_year_is_refused(book, world):
    with pytest.raises(WorkflowError, match="Học kỳ không thuộc năm học"):
        save_homeroom(
            book.actor("homeroom"),
            book.side.klass,
            world.b.year.semesters.first(),
            _rows(book.enrolments, conduct="tot"),
        )


def test_saving_takes_a_constant_number_of_queries(book):
    actor, klass = book.actor("homeroom"), book.side.klass
    more = [makers.enrolment(book.side) for _ in range(8)]
    with CaptureQueriesContext(connection) as few:
        save_homeroom(actor, klass, book.semester, _rows(book.enrolments[:2], conduct="tot"))
    with CaptureQueriesContext(connection) as many:
        save_homeroom(actor, klass, book.semester, _rows(book.enrolments[2:] + more, conduct="kha"))
    assert len(few) == len(many)
    with CaptureQueriesContext(connection) as update_few:
        save_homeroom(actor, klass, book.semester, _rows(book.enrolments[:2], conduct="dat"))
    with CaptureQueriesContext(connection) as update_many:
        save_homeroom(actor, klass, book.semester, _rows(book.enrolments[2:] + more, conduct="dat", comment="Cố gắng"))
    assert len(update_few) == len(update_many)


# --- other rule sets ------------------------------------------------------------------------------------------


def test_primary_assesses_qualities_and_competencies(world):
    side = make_school(world.phong1, "C1X", "Trường Tiểu học Xuân", SchoolType.C1)
    assert side.klass.grade == 1
    actor = world.actor(side.m(Role.TEACHER))
    semester = side.year.semesters.get(number=1)
    learner = makers.enrolment(side)
    save_homeroom(
        actor,
        side.klass,
        semester,
        [
            {
                "enrolment": learner.pk,
                "qualities": {"cham_chi": "tot", "trung_thuc": "Đạt"},
                "competencies": {"tu_chu_tu_hoc": "can_co_gang", "tinh_toan": "tot"},
                "comment": "Em tiến bộ",
            }
        ],
    )
    row = HomeroomAssessment.objects.get()
    assert row.qualities == {"cham_chi": "tot", "trung_thuc": "dat"}
    assert row.competencies == {"tu_chu_tu_hoc": "can_co_gang", "tinh_toan": "tot"}
    with pytest.raises(WorkflowError) as caught:
        save_homeroom(
            actor,
            side.klass,
            semester,
            [
                {"enrolment": learner.pk, "conduct": "tot"},
                {"enrolment": learner.pk, "qualities": {"yeu_nuoc": "xuat_sac"}},
            ],
        )
    assert "tiểu học" in caught.value.message
    with pytest.raises(WorkflowError) as caught:
        save_homeroom(actor, side.klass, semester, [{"enrolment": learner.pk, "qualities": {"yeu_nuoc": "xuat_sac"}}])
    assert "Yêu nước" in caught.value.message and "Tốt, Đạt hoặc Cần cố gắng" in caught.value.message
    with pytest.raises(WorkflowError, match="không có trong danh mục"):
        save_homeroom(actor, side.klass, semester, [{"enrolment": learner.pk, "competencies": {"bay": "tot"}}])
    row.refresh_from_db()
    assert row.qualities == {"cham_chi": "tot", "trung_thuc": "dat"}


@pytest.mark.parametrize(("start_year", "rule_set"), [(2019, "tt58"), (2020, "tt26")])
def test_legacy_years_use_hanh_kiem(world, start_year, rule_set):
    side = world.a
    year = create_school_year(side.school, start_year)
    klass = SchoolClass.objects.create(
        school=side.school, school_year=year, grade=9, name="9A", homeroom_teacher=side.m(Role.TEACHER).user
    )
    from students.selectors import rule_set_of

    assert rule_set_of(klass) == rule_set
    student = makers.student(side)
    from students.models import Enrolment

    enrolment = Enrolment.objects.create(school=side.school, student=student, school_year=year, school_class=klass)
    actor = world.actor(side.m(Role.TEACHER))
    semester = year.semesters.get(number=2)
    save_homeroom(actor, klass, semester, [{"enrolment": enrolment.pk, "conduct": "Trung bình"}])
    assert HomeroomAssessment.objects.get().conduct == "tb"
    with pytest.raises(WorkflowError, match="Tốt, Khá, Trung bình hoặc Yếu"):
        save_homeroom(actor, klass, semester, [{"enrolment": enrolment.pk, "conduct": "chua_dat"}])


# --- pages and API ------------------------------------------------------------------------------------------------


def _grid(book):
    return reverse("students:class-homeroom", kwargs={"pk": book.side.klass.pk}) + f"?semester={book.semester.pk}"


def test_grid_page_saves_and_shows(book):
    url = _grid(book)
    homeroom = web_client(book.side.m(Role.TEACHER))
    page = homeroom.get(url).content.decode()
    first, second = book.enrolments[:2]
    assert f'name="conduct_{first.pk}"' in page and "<caption>" in page
    assert f'aria-label="Kết quả rèn luyện của {first.student.full_name}"' in page
    data = {"semester": book.semester.pk}
    for e in book.enrolments:
        data[f"conduct_{e.pk}"] = ""
        data[f"comment_{e.pk}"] = ""
    data[f"conduct_{first.pk}"] = "tot"
    data[f"comment_{first.pk}"] = "Chăm ngoan"
    response = homeroom.post(url, data, follow=True)
    assert "Đã lưu đánh giá của 1 học sinh" in response.content.decode()
    assert HomeroomAssessment.objects.get().comment == "Chăm ngoan"
    data[f"conduct_{second.pk}"] = "gioi"
    response = homeroom.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Dòng 2" in page and second.student.full_name in page
    assert HomeroomAssessment.objects.count() == 1


def test_grid_is_read_only_for_the_principal_and_closed_to_others(book):
    save_homeroom(book.actor("homeroom"), book.side.klass, book.semester, _rows(book.enrolments[:1], conduct="kha"))
    page = web_client(book.side.m(Role.PRINCIPAL)).get(_grid(book)).content.decode()
    assert "Khá" in page and 'name="conduct_' not in page and "Chỉ xem" in page
    response = web_client(book.side.m(Role.PRINCIPAL)).post(_grid(book), {"semester": book.semester.pk})
    assert response.status_code == 302 and not HomeroomAssessment.objects.filter(conduct="").exists()
    assert web_client(book.side.m("teacher2")).get(_grid(book)).status_code == 403
    assert web_client(book.side.m(Role.STUDENT)).get(_grid(book)).status_code == 404
    assert web_client(book.world.b.m(Role.PRINCIPAL)).get(_grid(book)).status_code == 404


def test_learners_see_their_assessment_once_approved(book):
    save_homeroom(book.actor("homeroom"), book.side.klass, book.semester, _rows(book.enrolments, conduct="tot"))
    mine = HomeroomAssessment.objects.get(enrolment=book.learner)
    other = HomeroomAssessment.objects.get(enrolment=book.enrolments[1])
    student = web_client(book.side.m(Role.STUDENT))
    assert student.get(mine.get_absolute_url()).status_code == 404
    HomeroomAssessment.objects.update(approved=True)
    page = student.get(mine.get_absolute_url()).content.decode()
    assert "Tốt" in page and "Lịch sử thay đổi" not in page
    assert student.get(other.get_absolute_url()).status_code == 404
    staff_page = web_client(book.side.m(Role.TEACHER)).get(mine.get_absolute_url()).content.decode()
    assert "Lịch sử thay đổi" in staff_page


def test_api_bulk_save(book):
    url = f"/api/students/classes/{book.side.klass.pk}/homeroom/"
    body = {"semester": book.semester.pk, "rows": _rows(book.enrolments[:2], conduct="tot", comment="Tốt")}
    response = api_client(book.side.m(Role.TEACHER)).post(url, body, format="json")
    assert response.status_code == 200 and response.json() == {"created": 2, "updated": 0}
    response = api_client(book.side.m("teacher2")).post(url, body, format="json")
    assert response.status_code == 403
    bad = {"semester": book.semester.pk, "rows": [{"enrolment": book.enrolments[0].pk, "conduct": "gioi"}]}
    response = api_client(book.side.m(Role.TEACHER)).post(url, bad, format="json")
    assert response.status_code == 400 and response.json()["rows"][0]["field"] == "conduct"
    assert api_client(book.world.b.m(Role.PRINCIPAL)).post(url, body, format="json").status_code == 404
    listing = api_client(book.side.m(Role.PRINCIPAL)).get("/api/students/homeroom/").json()
    assert {row["conduct"] for row in listing["results"]} == {"tot"}
