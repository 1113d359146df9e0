"""The public exam-scores lookup (Circular 53/2012 Art. 14.8; exams/portal_scores.py): exam + candidate number +
(birth date or the lookup code of the admission ticket) → the published marks and admission outcome, answered from
the portal's store that the exams services write when results are published and when they change.

The round is the Sở's grade-10 admission of ``test_admission.build_round``: Toán ×2 and Ngữ văn, three THPT schools,
c1…c8 numbered TS001…TS008 (born 0n/01/2011), c9 directly admitted without a number, c10 withdrawn.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import Candidate, CandidateScore, Exam, ExamKind, ExamSubject
from exams.services import admission, candidates, portal_scores, publication, setup
from sms.portal import store
from sms.portal.models import LookupLog, PublishedRecord
from tests.world import web_client

from .test_admission import build_round

D = Decimal
URL = "/cong/diem-thi/"
FUTURE = dt.timedelta(days=2)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean(settings):
    cache.clear()
    settings.PORTAL_ORIGINS = ["https://sgd.thunghiem.edu.vn"]
    settings.PORTAL_RATE_PER_IP = 60
    settings.PORTAL_MISSES_PER_IDENTIFIER = 10
    settings.SMS_TRUSTED_PROXY_COUNT = 0
    yield
    cache.clear()


def allocated(world):
    r = build_round(world)
    admission.run_allocation(world.actor(r.chair), r.exam)
    return r


@pytest.fixture
def r(world):
    """The round allocated and published now through the service."""
    r = allocated(world)
    publication.schedule_publication(world.actor(r.chair), r.exam)
    return r


def ask(exam, number, secret, *, ip="203.0.113.5", client=None, **extra):
    """A JSON lookup, as the portal sends it."""
    body = {"exam": str(getattr(exam, "pk", exam)), "number": number, "secret": secret}
    return (client or Client()).post(URL, json.dumps(body), content_type="application/json", REMOTE_ADDR=ip, **extra)


def ask_page(exam, number, secret, *, ip="203.0.113.5"):
    """The embedded page's form, submitted."""
    body = {"exam": str(getattr(exam, "pk", exam)), "number": number, "secret": secret}
    return Client().post(URL, body, REMOTE_ADDR=ip, HTTP_ACCEPT="text/html")


def items(response) -> list[dict]:
    data = response.json()
    return data["result"]["items"] if data["found"] else []


def check_clean() -> None:
    """``manage.py portal_rebuild --check`` finds the store equal to the tables."""
    out = io.StringIO()
    call_command("portal_rebuild", portal_scores.KIND, "--check", stdout=out)
    assert out.getvalue().strip() == f"{portal_scores.KIND}: missing 0, stale 0, stray 0"


def later(monkeypatch, delta: dt.timedelta) -> None:
    """The clock moved ``delta`` on (the store compares publication times with ``timezone.now()``)."""
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() + delta)


# --- what a lookup answers ---------------------------------------------------------------------------------------


def test_published_marks_and_outcome_by_birth_date_or_lookup_code(r):
    c1 = r.c["c1"]
    by_birth = ask(r.exam, "ts001", "01/01/2011")
    assert by_birth.status_code == 200
    [item] = items(by_birth)
    assert item == {
        "exam": {
            "id": r.exam.pk,
            "name": "Tuyển sinh lớp 10 năm học 2026-2027",
            "kind": "admission_10",
            "kind_display": "Tuyển sinh lớp 10",
            "unit": r.exam.unit.name,
            "published_at": timezone.localtime(Exam.objects.get(pk=r.exam.pk).results_publish_at).isoformat(),
        },
        "number": "TS001",
        "full_name": "Thí Sinh C1",
        "birth_date": "2011-01-01",
        "school": c1.school.name,
        "class_name": "",
        "subjects": [
            {"code": "toan", "name": "Toán", "coefficient": "2.0", "score": "9.00", "absent": False},
            {"code": "van", "name": "Ngữ văn", "coefficient": "1.0", "score": "9.00", "absent": False},
        ],
        "admission": {
            "score": "27.00",
            "priority_points": None,
            "bonus_points": None,
            "decided": True,
            "status": "admitted",
            "status_display": "Trúng tuyển",
            "school": "Trường THPT Xuân Hoà",
            "choice": 1,
            "direct": False,
        },
    }
    # the code printed on the ticket opens it too, typed in any case and with spaces; so does an ISO date
    for secret in (c1.lookup_code, f" {c1.lookup_code.lower()} ", "2011-01-01", "1/1/2011"):
        assert items(ask(r.exam, "TS001", secret)) == [item], secret
    # the number typed with spaces or in lower case is the same number
    assert items(ask(r.exam, " ts 001 ", "01/01/2011")) == [item]
    check_clean()


@pytest.mark.parametrize(
    ("name", "number", "secret", "subjects", "admission"),
    [
        # priority +1, not admitted (NV2 needs 19,5)
        ("c7", "TS007", "07/01/2011", [("Ngữ văn", "5"), ("Toán (hệ số 2)", "4,5")], {"Điểm ưu tiên": "1",
         "Điểm xét tuyển": "15", "Kết quả": "Không trúng tuyển"}),
        # absent from Ngữ văn
        ("c8", "TS008", "08/01/2011", [("Ngữ văn", "Vắng thi"), ("Toán (hệ số 2)", "7")], {"Điểm xét tuyển": "—",
         "Kết quả": "Vắng thi"}),
        # bonus +0,5, admitted at NV1 of Y
        ("c4", "TS004", "04/01/2011", [("Ngữ văn", "7"), ("Toán (hệ số 2)", "7")], {"Điểm khuyến khích": "0,5",
         "Điểm xét tuyển": "21,5", "Kết quả": "Trúng tuyển", "Trúng tuyển vào": "Trường THPT Yên Lạc",
         "Trúng tuyển theo": "Nguyện vọng 1"}),
    ],
)  # fmt: skip
def test_the_page_shows_marks_with_a_decimal_comma_and_the_outcome_in_words(
    r, name, number, secret, subjects, admission
):
    response = ask_page(r.exam, number, secret)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h2>Kết quả tra cứu</h2>" in page
    assert f'<h3 id="thi-sinh-1">Thí Sinh {name.upper()} – số báo danh {number}</h3>' in page
    assert f'<tr><th scope="row">Ngày sinh</th><td>{secret}</td></tr>' in page
    for subject, shown in subjects:
        assert f'<tr><th scope="row">{subject}</th><td>{shown}</td></tr>' in page
    for label, shown in admission.items():
        cell = f"<strong>{shown}</strong>" if label == "Kết quả" else shown
        assert f'<tr><th scope="row">{label}</th><td>{cell}</td></tr>' in page
    assert ("Chúc mừng thí sinh đã trúng tuyển" in page) == (admission["Kết quả"] == "Trúng tuyển")
    # the form is shown again, empty: nothing typed is echoed into it
    assert 'name="number"' in page and f'value="{number}"' not in page


def test_only_numbered_candidates_still_in_the_exam_are_published(r):
    stored = set(PublishedRecord.objects.filter(kind=portal_scores.KIND).values_list("key", flat=True))
    assert stored == {f"{r.exam.pk}/TS00{n}" for n in range(1, 9)}
    # c10 withdrew (TS099); c9 was admitted directly without a number
    assert ask(r.exam, "TS099", "01/03/2011").json()["found"] is False
    assert ask(r.exam, "", "01/02/2011").status_code == 400


# --- only published data, at the announced moment -----------------------------------------------------------------


def test_nothing_before_the_publication_time_though_the_store_has_it(world, monkeypatch):
    r = allocated(world)
    at = timezone.now() + FUTURE
    publication.schedule_publication(world.actor(r.chair), r.exam, at)
    # loaded ahead of the moment...
    rows = PublishedRecord.objects.filter(kind=portal_scores.KIND)
    assert rows.count() == 8 and set(rows.values_list("visible_from", flat=True)) == {at}
    check_clean()
    # ...but answering like an unknown number until then, and the exam is not offered yet
    before = ask(r.exam, "TS001", "01/01/2011")
    unknown = ask(r.exam, "TS777", "01/01/2011")
    assert before.json() == {"found": False, "message": unknown.json()["message"]}
    assert before.content == unknown.content
    assert str(r.exam.pk) not in exam_choices()

    later(monkeypatch, FUTURE + dt.timedelta(minutes=1))
    assert items(ask(r.exam, "TS001", "01/01/2011"))[0]["admission"]["status"] == "admitted"
    assert exam_choices() == {str(r.exam.pk): f"{r.exam.name} – {r.exam.unit.name}"}


def exam_choices() -> dict[str, str]:
    """The exams the form offers, as its JSON description lists them."""
    described = Client().get(URL, HTTP_ACCEPT="application/json").json()
    exam_field = next(f for f in described["fields"] if f["name"] == "exam")
    return {c["value"]: c["label"] for c in exam_field["choices"]}


def test_moving_and_cancelling_the_moment_rewrites_and_removes(world, monkeypatch):
    r = allocated(world)
    chair = world.actor(r.chair)
    first = timezone.now() + FUTURE
    publication.schedule_publication(chair, r.exam, first)
    moved = first + dt.timedelta(days=1)
    publication.schedule_publication(chair, r.exam, moved)
    assert set(PublishedRecord.objects.filter(kind=portal_scores.KIND).values_list("visible_from", flat=True)) == {
        moved
    }
    check_clean()
    later(monkeypatch, FUTURE + dt.timedelta(hours=1))  # past the first moment, before the moved one
    assert ask(r.exam, "TS001", "01/01/2011").json()["found"] is False
    monkeypatch.undo()

    publication.cancel_publication(chair, r.exam)
    assert not PublishedRecord.objects.filter(kind=portal_scores.KIND).exists()
    check_clean()


def test_an_unpublished_exams_candidate_answers_like_an_unknown_number(world):
    r = allocated(world)  # marked, matched and allocated: everything but published
    hidden = ask(r.exam, "TS001", "01/01/2011")
    unknown = ask(r.exam, "TS777", "01/01/2011")
    nothing = ask(999_999, "TS001", "01/01/2011")
    assert hidden.status_code == unknown.status_code == nothing.status_code == 200
    assert hidden.content == unknown.content == nothing.content
    assert hidden.json()["found"] is False
    assert not PublishedRecord.objects.filter(kind=portal_scores.KIND).exists()
    assert exam_choices() == {}
    check_clean()


def test_a_schools_own_exam_is_not_published_to_the_public_portal(world):
    """A school's competition publishes to its learners inside the system; the department's portal shows the
    Sở's and Phòng's exams only (as its announcements do)."""
    r = allocated(world)
    Exam.objects.filter(pk=r.exam.pk).update(unit=world.a.school)
    r.exam.refresh_from_db()
    publication.schedule_publication(world.actor(r.chair), r.exam)
    assert ask(r.exam, "TS001", "01/01/2011").json()["found"] is False
    assert not PublishedRecord.objects.filter(kind=portal_scores.KIND).exists()
    assert exam_choices() == {}
    check_clean()


def test_a_wrong_birth_date_answers_exactly_like_an_unknown_number(r):
    other_ip = "198.51.100.20"
    for send in (ask, ask_page):
        wrong = send(r.exam, "TS001", "02/01/2011")
        unknown = send(r.exam, "TS777", "02/01/2011", ip=other_ip)
        assert wrong.status_code == unknown.status_code == 200
        assert wrong.content == unknown.content
        assert dict(wrong.headers) == dict(unknown.headers)
        text = wrong.content.decode()
        assert "Không tìm thấy thông tin phù hợp" in text
        assert "TS001" not in text and "Thí Sinh C1" not in text and "02/01/2011" not in text
    # another candidate's birth date or lookup code opens nothing either
    assert ask(r.exam, "TS001", "02/01/2011").json()["found"] is False
    assert ask(r.exam, "TS001", r.c["c2"].lookup_code).json()["found"] is False


def test_the_same_number_in_two_exams_resolves_per_exam(world, r):
    gifted = Exam.objects.create(unit=world.so, kind=ExamKind.GIFTED, name="Thi học sinh giỏi tỉnh", start_year=2026)
    c1_birth = r.c["c1"].birth_date  # the same number and the same birth date, in another exam
    toan = ExamSubject.objects.create(exam=gifted, code="toan", name="Toán", duration_minutes=150)
    namesake = Candidate.objects.create(
        exam=gifted, number="TS001", school=world.b.school, full_name="Lê Văn Trùng Số", birth_date=c1_birth, sex="M"
    )
    CandidateScore.objects.create(candidate=namesake, exam_subject=toan, score=D("17.50"))
    publication.schedule_publication(world.actor(world.members["so_admin"]), gifted)

    admission_item = items(ask(r.exam, "TS001", "01/01/2011"))
    gifted_item = items(ask(gifted, "TS001", "01/01/2011"))
    assert [i["full_name"] for i in admission_item] == ["Thí Sinh C1"]
    assert [i["full_name"] for i in gifted_item] == ["Lê Văn Trùng Số"]
    assert gifted_item[0]["subjects"] == [
        {"code": "toan", "name": "Toán", "coefficient": "1.0", "score": "17.50", "absent": False}
    ]
    assert gifted_item[0]["admission"] is None  # not an admission round
    # each lookup code opens its own exam only
    assert ask(gifted, "TS001", r.c["c1"].lookup_code).json()["found"] is False
    assert items(ask(gifted, "TS001", namesake.lookup_code)) == gifted_item
    assert list(LookupLog.objects.filter(found=True).values_list("identifier", flat=True).order_by("pk")) == [
        f"{r.exam.pk}/TS001",
        f"{gifted.pk}/TS001",
        f"{gifted.pk}/TS001",
    ]
    check_clean()


# --- changes after publication ------------------------------------------------------------------------------------


def test_an_appeal_shows_the_new_mark_and_outcome(world):
    from tests.exams.test_appeals import appeal_to, build_admission

    m = build_admission(world)
    Exam.objects.filter(pk=m.exam.pk).update(results_publish_at=None)  # published through the service instead
    publication.schedule_publication(m.actor("chair"), m.exam)
    c0 = m.candidates[0]
    number, birth = c0.number, c0.birth_date.strftime("%d/%m/%Y")
    before = items(ask(m.exam, number, birth))[0]
    other = m.candidates[1]
    other_before = items(ask(m.exam, other.number, other.birth_date.strftime("%d/%m/%Y")))
    essay = {"code": "van", "name": "Ngữ văn", "coefficient": "1.0", "score": "5.25", "absent": False}
    assert before["subjects"][0] == essay
    assert (before["admission"]["status"], before["admission"]["score"]) == ("not_admitted", "10.25")

    appeal_to(m, 0, "7.5")  # Ngữ văn 7,5: 12,5 reaches Y's cut-off + 1, admitted at NV2 over quota

    after = items(ask(m.exam, number, birth))[0]
    assert after["subjects"][0] == essay | {"score": "7.50"}
    assert after["admission"] == before["admission"] | {
        "score": "12.50",
        "status": "admitted",
        "status_display": "Trúng tuyển",
        "school": "Trường THPT Yên Lạc",
        "choice": 2,
    }
    page = ask_page(m.exam, number, birth).content.decode()
    assert '<tr><th scope="row">Ngữ văn</th><td>7,5</td></tr>' in page
    assert '<tr><th scope="row">Điểm xét tuyển</th><td>12,5</td></tr>' in page
    # the other candidates' items are untouched
    assert items(ask(m.exam, other.number, other.birth_date.strftime("%d/%m/%Y"))) == other_before
    check_clean()


def test_a_subject_matched_between_the_scheduling_and_the_moment_is_published_with_the_rest(world, monkeypatch):
    """The graduation exam is scheduled once every candidate has a result; a subject the board marks itself may
    be matched afterwards, before the moment: its scores join the stored items."""
    from exams.models import MarkRound
    from exams.services import marking
    from tests.exams.test_marking import build_marking, enter, ready

    m = build_marking(world)
    Exam.objects.filter(pk=m.exam.pk).update(kind=ExamKind.GRADUATION)
    m.exam.refresh_from_db()
    for candidate, quiz in zip(m.candidates, ("5", "8", "7.25", "6"), strict=True):  # taken in from the file
        CandidateScore.objects.create(candidate=candidate, exam_subject=m.quiz, score=D(quiz))
    publication.schedule_publication(m.actor("chair"), m.exam, timezone.now() + FUTURE)
    check_clean()
    for script in ready(m):
        enter(m, script, MarkRound.FIRST, "6")
        enter(m, script, MarkRound.SECOND, "6.5")
    marking.match(m.actor("secretariat"), m.essay)
    check_clean()

    later(monkeypatch, FUTURE + dt.timedelta(minutes=1))
    c = m.candidates[2]
    [item] = items(ask(m.exam, c.number, c.birth_date.strftime("%d/%m/%Y")))
    assert [(s["name"], s["score"]) for s in item["subjects"]] == [("Ngữ văn", "6.25"), ("Tiếng Anh", "7.25")]
    assert item["admission"] is None  # the graduation score belongs to the graduation round


def test_renaming_the_exam_or_a_subject_after_publication_rewrites_the_items(world, r):
    so_admin = world.actor(world.members["so_admin"])
    setup.update_exam(so_admin, r.exam, name="Tuyển sinh vào lớp 10 THPT năm học 2026-2027")
    setup.update_subject(so_admin, r.van, name="Ngữ văn (tự luận)")
    [item] = items(ask(r.exam, "TS002", "02/01/2011"))
    assert item["exam"]["name"] == "Tuyển sinh vào lớp 10 THPT năm học 2026-2027"
    assert [s["name"] for s in item["subjects"]] == ["Toán", "Ngữ văn (tự luận)"]
    check_clean()


def test_identity_and_numbers_are_frozen_once_scheduled_so_the_store_cannot_drift(world, r):
    so_admin = world.actor(world.members["so_admin"])
    c1 = r.c["c1"]
    with pytest.raises(ValidationError, match="đã khoá"):
        candidates.save_candidate(
            so_admin, r.exam, {"full_name": "Tên Khác", "birth_date": "02/02/2011", "sex": "F"}, candidate=c1
        )
    with pytest.raises(ValidationError, match="đã khoá"):
        candidates.withdraw(so_admin, c1)
    with pytest.raises(ValidationError, match="đã khoá"):
        candidates.assign_numbers(so_admin, r.exam)
    assert items(ask(r.exam, "TS001", "01/01/2011"))[0]["full_name"] == "Thí Sinh C1"
    check_clean()


def test_the_check_reports_a_store_that_drifted_from_the_tables(r):
    """The check used after every flow above can fail: a score changed behind the services' back is found."""
    CandidateScore.objects.filter(candidate=r.c["c1"], exam_subject=r.toan).update(score=D("3.00"))
    with pytest.raises(CommandError):
        call_command("portal_rebuild", portal_scores.KIND, "--check", stdout=io.StringIO())
    assert store.differences(portal_scores.KIND) == {"missing": 0, "stale": 1, "stray": 0}
    call_command("portal_rebuild", portal_scores.KIND, stdout=io.StringIO())
    check_clean()
    assert items(ask(r.exam, "TS001", "01/01/2011"))[0]["subjects"][0]["score"] == "3.00"


# --- abuse: throttling and the log --------------------------------------------------------------------------------


def test_enumerating_numbers_from_one_address_is_refused_with_429(settings, r):
    settings.PORTAL_RATE_PER_IP = 5
    for n in range(1, 6):
        assert ask(r.exam, f"TS{n + 100:03d}", "01/01/2011").status_code == 200
    refused = ask(r.exam, "TS001", "01/01/2011")
    assert refused.status_code == 429
    assert refused.json()["message"] == "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau 1 phút."
    assert 1 <= int(refused["Retry-After"]) <= 60
    page = ask_page(r.exam, "TS001", "01/01/2011")
    assert page.status_code == 429 and "Bạn đã tra cứu quá nhiều lần" in page.content.decode()
    assert ask(r.exam, "TS001", "01/01/2011", ip="203.0.113.99").json()["found"] is True


def test_misses_on_one_number_are_capped_from_any_address_and_hits_never_count(settings, world, r):
    settings.PORTAL_MISSES_PER_IDENTIFIER = 2
    for _ in range(5):  # hits never count against the number
        assert ask(r.exam, "TS002", "02/01/2011").json()["found"] is True
    assert ask(r.exam, "TS001", "09/09/2011", ip="198.51.100.1").json()["found"] is False
    assert ask(r.exam, "ts001", "10/09/2011", ip="198.51.100.2").json()["found"] is False
    blocked = ask(r.exam, "TS001", "01/01/2011", ip="198.51.100.3")  # even the right secret, from a third address
    assert blocked.status_code == 429 and "Vui lòng thử lại sau" in blocked.json()["message"]
    assert 1 <= int(blocked["Retry-After"]) <= 3600
    # the cap is per exam and number: the same number in another exam, and another number, still answer
    assert ask(r.exam, "TS002", "02/01/2011").json()["found"] is True
    assert ask(999_999, "TS001", "01/01/2011").status_code == 200
    assert LookupLog.objects.filter(identifier=f"{r.exam.pk}/TS001", throttled=True).count() == 1


def test_every_lookup_is_logged_per_exam_and_number_without_the_secret(r):
    c1 = r.c["c1"]
    ask(r.exam, "ts001", "01/01/2011", ip="198.51.100.7")
    ask(r.exam, "TS001", c1.lookup_code, ip="198.51.100.8")
    ask(r.exam, "TS001", "31/12/2010", ip="198.51.100.9")
    rows = list(LookupLog.objects.order_by("pk"))
    key = f"{r.exam.pk}/TS001"
    assert [(row.kind, row.identifier, row.found, row.ip, row.unit_id) for row in rows] == [
        ("exam-scores", key, True, "198.51.100.7", r.exam.unit_id),
        ("exam-scores", key, True, "198.51.100.8", r.exam.unit_id),
        ("exam-scores", key, False, "198.51.100.9", None),
    ]
    for row in rows:
        for field in LookupLog._meta.concrete_fields:
            value = str(field.value_from_object(row))
            for secret in ("2011-01-01", "01/01/2011", c1.lookup_code, "31/12/2010", "2010-12-31"):
                assert secret not in value, (field.name, secret)


def test_answers_are_private_and_framed_only_by_the_portal(r):
    for response in (Client().get(URL), ask(r.exam, "TS001", "01/01/2011"), ask(r.exam, "TS777", "01/01/2011")):
        assert {"no-store", "private"} <= {d.strip() for d in response["Cache-Control"].split(",")}
        assert "frame-ancestors 'self' https://sgd.thunghiem.edu.vn" in response["Content-Security-Policy"]
        assert not response.cookies
    # identifiers are never read from the URL
    query = f"?exam={r.exam.pk}&number=TS001&secret=01/01/2011"
    assert Client().post(URL + query, {}, REMOTE_ADDR="203.0.113.5").status_code == 400
    assert "TS001" not in Client().get(URL + query).content.decode()


# --- the form ------------------------------------------------------------------------------------------------------


def test_the_form_lists_published_exams_newest_first_and_explains_its_fields(world, r):
    older = Exam.objects.create(
        unit=world.phong1, kind=ExamKind.GIFTED, name="Thi học sinh giỏi huyện", start_year=2026
    )
    Exam.objects.filter(pk=older.pk).update(results_publish_at=timezone.now() - dt.timedelta(days=3))
    Exam.objects.create(unit=world.so, kind=ExamKind.GIFTED, name="Chưa công bố", start_year=2026)
    described = Client().get(URL, HTTP_ACCEPT="application/json").json()
    assert described["kind"] == "exam-scores" and described["method"] == "POST"
    fields = {f["name"]: f for f in described["fields"]}
    assert list(fields) == ["exam", "number", "secret"]
    assert [c["label"] for c in fields["exam"]["choices"]] == [
        f"Tuyển sinh lớp 10 năm học 2026-2027 – {world.so.name}",
        f"Thi học sinh giỏi huyện – {world.phong1.name}",
    ]
    assert fields["number"]["label"] == "Số báo danh"
    assert fields["secret"]["label"] == "Ngày sinh hoặc mã tra cứu"
    assert "mã tra cứu in trên thẻ dự thi" in fields["secret"]["help"]

    page = Client().get(URL).content.decode()
    assert '<html lang="vi">' in page and "<main" in page and "<h1>Tra cứu điểm thi</h1>" in page
    assert '<label for="id_exam">Kỳ thi:</label>' in page
    assert '<label for="id_number">Số báo danh:</label>' in page
    assert '<label for="id_secret">Ngày sinh hoặc mã tra cứu:</label>' in page
    assert 'aria-describedby="id_secret_helptext"' in page
    assert '<option value="" selected>— Chọn kỳ thi —</option>' in page


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"number": "TS001", "secret": "01/01/2011"}, "exam", "Vui lòng chọn kỳ thi."),
        ({"exam": "abc", "number": "TS001", "secret": "01/01/2011"}, "exam", "Kỳ thi đã chọn không hợp lệ"),
        ({"exam": "²", "number": "TS001", "secret": "01/01/2011"}, "exam", "Kỳ thi đã chọn không hợp lệ"),
        ({"exam": "99999999999", "number": "TS001", "secret": "01/01/2011"}, "exam", "Kỳ thi đã chọn không hợp lệ"),
        ({"exam": "1", "secret": "01/01/2011"}, "number", "Vui lòng nhập số báo danh."),
        ({"exam": "1", "number": "TS001"}, "secret", "Vui lòng nhập ngày sinh hoặc mã tra cứu."),
    ],
)
def test_incomplete_or_malformed_input_is_a_400_naming_the_field(body, field, message):
    response = Client().post(URL, json.dumps(body), content_type="application/json", REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 400
    assert message in response.json()["errors"][field][0]
    page = Client().post(URL, body, REMOTE_ADDR="203.0.113.6", HTTP_ACCEPT="text/html").content.decode()
    assert f'<a href="#id_{field}">' in page and message in page
    assert not LookupLog.objects.filter(found=True).exists()


# --- cost -----------------------------------------------------------------------------------------------------------


def grow(world, exam: Exam, count: int) -> None:
    """``count`` more numbered candidates with a score in each subject (a bigger exam)."""
    subjects = list(exam.subjects.all())
    made = Candidate.objects.bulk_create(
        Candidate(
            exam=exam,
            number=f"X{n:05d}",
            school=world.a.school,
            full_name=f"Thí Sinh Thêm {n}",
            birth_date=dt.date(2011, 5, 1),
            sex="M",
        )
        for n in range(count)
    )
    CandidateScore.objects.bulk_create(
        CandidateScore(candidate=c, exam_subject=s, score=D("6.50")) for c in made for s in subjects
    )


def gifted_exam(world, candidates: int) -> Exam:
    exam = Exam.objects.create(unit=world.so, kind=ExamKind.GIFTED, name="Thi học sinh giỏi", start_year=2026)
    ExamSubject.objects.create(exam=exam, code="toan", name="Toán", duration_minutes=150, order=1)
    ExamSubject.objects.create(exam=exam, code="van", name="Ngữ văn", duration_minutes=150, order=2)
    grow(world, exam, candidates)
    return exam


def queries(fn) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return [q["sql"] for q in captured.captured_queries]


def test_a_lookup_costs_the_same_few_queries_for_a_small_and_a_large_exam(world):
    so_admin = world.actor(world.members["so_admin"])
    small, large = gifted_exam(world, 5), gifted_exam(world, 60)
    for exam in (small, large):
        publication.schedule_publication(so_admin, exam)
    counts = {}
    for exam in (small, large):
        hit = queries(lambda exam=exam: ask(exam, "X00003", "01/05/2011"))
        miss = queries(lambda exam=exam: ask(exam, "X00003", "02/05/2011"))
        page = queries(lambda exam=exam: ask_page(exam, "X00003", "01/05/2011"))
        counts[exam.pk] = (len(hit), len(miss), len(page))
        # one read of the store; the rest is the log's INSERT (and its SET LOCAL and savepoint on PostgreSQL)
        reads = [q for q in hit if q.lstrip().upper().startswith("SELECT")]
        assert len(reads) == 1 and "portal_publishedrecord" in reads[0]
        # the page reads the published exams once more, for its select
        assert len([q for q in page if q.lstrip().upper().startswith("SELECT")]) == 2
    assert counts[small.pk] == counts[large.pk]
    log = 4 if connection.vendor == "postgresql" else 1  # SAVEPOINT, SET LOCAL, INSERT, RELEASE
    assert counts[small.pk] == (1 + log, 1 + log, 2 + log)


def test_writing_an_exam_is_a_handful_of_queries_whatever_its_size(world):
    so_admin = world.actor(world.members["so_admin"])
    small, large = gifted_exam(world, 5), gifted_exam(world, 50)
    for exam in (small, large):
        publication.schedule_publication(so_admin, exam)
    sizes = {}
    for exam in (small, large):
        row = Exam.objects.select_related("unit").get(pk=exam.pk)
        written = queries(lambda row=row: portal_scores.write_exam(row))
        sizes[exam.pk] = len(written)
    # three reads (candidates, subjects, scores), then the store's DELETE and INSERT in a savepoint
    assert sizes[small.pk] == sizes[large.pk] == 7
    assert PublishedRecord.objects.filter(kind=portal_scores.KIND).count() == 55
    large = Exam.objects.select_related("unit").get(pk=large.pk)
    first = Candidate.objects.filter(exam=large).first()
    one = queries(lambda: portal_scores.write_candidates(large, [first.pk]))
    assert len(one) == 7
    check_clean()


# --- the admission ticket carries the lookup code -------------------------------------------------------------------


def test_the_admission_ticket_prints_the_lookup_code(world, r):
    import pypdf

    c1 = r.c["c1"]
    organiser = web_client(world.members["so_admin"])
    response = organiser.get(reverse("exams:candidate-ticket", kwargs={"pk": c1.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "THẺ DỰ THI" in text and "TS001" in text
    assert f"Mã tra cứu {c1.lookup_code}" in " ".join(text.split())
    # the exam's sheet of tickets too, each with its own code
    sheet = organiser.get(reverse("exams:exam-tickets", kwargs={"pk": r.exam.pk}))
    every = " ".join("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(sheet.content)).pages).split())
    for name in ("c2", "c7"):
        assert f"Mã tra cứu {r.c[name].lookup_code}" in every
    # and what is printed opens the published result
    assert items(ask(r.exam, "TS001", c1.lookup_code))[0]["full_name"] == "Thí Sinh C1"
