"""What module (a) shows the public portal (Circular 53/2012 Art. 14.7): the published results lookup
and the check page behind the QR code printed on a record book.

**Tra cứu kết quả học tập** — ``POST /cong/ket-qua-hoc-tap/`` (route "portal:student-results"), built on
``sms.portal.lookups.StoredLookup``: one indexed query on the precomputed store that
``students.services.portal`` writes when a school publishes, plus the log and the throttle's
bookkeeping. The form (also described by ``GET`` with ``Accept: application/json``):

- ``learner_code`` "Mã định danh học sinh": digits (the identifier: throttled per identifier on misses
  and logged);
- ``secret`` "Ngày sinh hoặc mã tra cứu": the date of birth (dd/mm/yyyy) or the 8-character lookup code
  printed on the record book (never logged, never echoed).

The answer, as JSON (``Accept: application/json``, ``?format=json`` or a JSON body)::

    {"found": true, "result": {"items": [ITEM, ...]}}        newest school year first, then the year
    {"found": false, "message": "Không tìm thấy thông tin phù hợp. …"}      unknown code, wrong secret,
                                                             or nothing published: the same bytes
    HTTP 400 {"found": false, "message": …, "errors": {"secret": ["…"]}}     the form is not valid
    HTTP 429 {"found": false, "throttled": true, "message": "Bạn đã tra cứu quá nhiều lần. …"}

where each ITEM is one published period of one school year (``students.services.portal.payload``)::

    {"learner_code": "0010000123", "name": "Nguyễn Thị Hương", "school": "Trường THCS An Bình",
     "school_year": "2026-2027", "school_year_start": 2026, "period": "hk1" | "hk2" | "cn",
     "period_label": "Học kỳ I", "class": "6A1", "grade": 6,
     "rule_set": {"code": "tt22", "label": "Thông tư 22/2021"}, "primary": false,
     "learning": {"code": "tot", "label": "Tốt"} | null, "learning_after_retest": {…} | null,
     "conduct": {"code": "kha", "label": "Khá"} | null, "conduct_after_summer": {…} | null,
     "outcome": {"code": "len_lop", "label": "Được lên lớp"} | null, "title": {…} | null,
     "include_scores": true,
     "subjects": [{"name": "Toán", "code": "toan", "assessment": "scored" | "comment",
                   "average": "8.5" | null, "passed": true | false | null,
                   "level": {"code": "T", "label": "Hoàn thành tốt"} | null, "test_score": 9 | null,
                   "retest_average": "5.5" | null, "retest_passed": … | null, "exempt": false}, …],
     "published_at": "2027-01-20T01:00:00+00:00"}

``subjects`` is empty when the school published the term without the subjects' results
(``include_scores`` false). The HTML page shows the same with decimal commas (8,5).

**Kiểm tra học bạ** — the record book's QR code opens ``/cong/kiem-tra/?ma=<token>``
(``sms.portal.documents``, token kind "record-book", ref = the learner's id): the learner's identity
(name, date of birth, current school) and, per school year, the class and the APPROVED year result
(learning, conduct, promotion) — what the paper prints; a value corrected after approval is noted.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.urls import path
from django.utils import timezone

from sms.exports.numbers import vn_date, vn_decimal
from sms.portal import documents, store
from sms.portal.codes import LOOKUP_CODE_ALPHABET
from sms.portal.lookups import StoredLookup
from sms.text import nfc

from . import rules
from .services import portal as published

RECORD_BOOK = "record-book"
CODE_LENGTH = 8
MSG_SECRET = "Nhập ngày sinh theo dạng ngày/tháng/năm (ví dụ 05/09/2013) hoặc mã tra cứu gồm 8 ký tự in trên học bạ."


# --- the results lookup ---------------------------------------------------------------------------------------


def _is_lookup_code(text: str) -> bool:
    code = "".join(text.split()).upper()
    return len(code) == CODE_LENGTH and all(c in LOOKUP_CODE_ALPHABET for c in code)


class ResultsForm(forms.Form):
    learner_code = forms.CharField(
        label="Mã định danh học sinh",
        max_length=20,
        help_text="Gồm các chữ số (thường là 10 chữ số), in trên học bạ và thẻ học sinh.",
        validators=[RegexValidator(r"^\d{6,20}$", "Mã định danh học sinh chỉ gồm chữ số (thường là 10 chữ số).")],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    secret = forms.CharField(
        label="Ngày sinh hoặc mã tra cứu",
        max_length=20,
        help_text="Ngày sinh dạng dd/mm/yyyy, hoặc mã tra cứu 8 ký tự in trên học bạ (chữ hoa hay thường đều được).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    def clean_secret(self) -> str:
        text = nfc(self.cleaned_data.get("secret") or "").strip()
        if store.parse_date(text) is None and not _is_lookup_code(text):
            raise ValidationError(MSG_SECRET)
        return text


def _label(value: dict | None) -> str:
    return value["label"] if value else ""


def _subject_text(subject: dict, primary: bool) -> str:
    """A subject's published result as the record book prints it: 8,5 · Đ/CĐ · Hoàn thành tốt (9) · Miễn."""
    if subject.get("exempt"):
        return "Miễn"
    if primary:
        text = _label(subject.get("level"))
        score = subject.get("test_score")
        return f"{text} (điểm kiểm tra {score})" if text and score is not None else text
    if subject.get("assessment") == "scored":
        average = subject.get("average")
        text = vn_decimal(Decimal(average)) if average is not None else ""
        retest = subject.get("retest_average")
        if retest is not None:
            text += f"; kiểm tra lại {vn_decimal(Decimal(retest))}"
        return text
    passed = subject.get("passed")
    text = "" if passed is None else ("Đạt" if passed else "Chưa đạt")
    if subject.get("retest_passed") is not None:
        text += f"; kiểm tra lại {'Đạt' if subject['retest_passed'] else 'Chưa đạt'}"
    return text


def present(item: dict) -> dict[str, Any]:
    """One published period as the page shows it: a heading, (label, value) rows and the subjects."""
    primary = bool(item.get("primary"))
    legacy = (item.get("rule_set") or {}).get("code") in (rules.RuleSet.TT58, rules.RuleSet.TT26)
    rows = [
        ("Học sinh", item["name"]),
        ("Trường", item["school"]),
        ("Lớp", item["class"]),
    ]
    if item.get("learning"):
        head = "Học lực" if legacy else ("Kết quả giáo dục" if primary else "Kết quả học tập")
        rows.append((head, _label(item["learning"])))
    if item.get("learning_after_retest"):
        rows.append(("Kết quả học tập sau kiểm tra lại", _label(item["learning_after_retest"])))
    if item.get("conduct"):
        rows.append(("Hạnh kiểm" if legacy else "Kết quả rèn luyện", _label(item["conduct"])))
    if item.get("conduct_after_summer"):
        rows.append(("Rèn luyện sau kỳ nghỉ hè", _label(item["conduct_after_summer"])))
    if item.get("outcome"):
        rows.append(("Lên lớp / hoàn thành chương trình", _label(item["outcome"])))
    if item.get("period") == "cn" and item.get("learning"):
        rows.append(("Danh hiệu", _label(item.get("title")) or "Không"))
    return {
        "id": f"ket-qua-{item['school_year_start']}-{item['period']}",
        "heading": f"{item['period_label']} – năm học {item['school_year']}",
        "rows": rows,
        "include_scores": bool(item.get("include_scores")),
        "subjects": [(s["name"], _subject_text(s, primary)) for s in item.get("subjects") or []],
    }


class ResultsLookup(StoredLookup):
    """Tra cứu kết quả học tập đã công bố: learner code + date of birth or the printed lookup code."""

    kind = published.KIND
    store_kind = published.KIND
    title = "Tra cứu kết quả học tập"
    intro = (
        "Nhập mã định danh học sinh và ngày sinh (hoặc mã tra cứu in trên học bạ) để xem kết quả học tập, "
        "rèn luyện mà nhà trường đã công bố."
    )
    form_class = ResultsForm
    identifier_field = "learner_code"
    identifier_case = published.IDENTIFIER_CASE
    secret_field = "secret"
    template_name = "students/portal/results.html"

    def result_rows(self, result: list[store.Hit]) -> list[tuple[str, Any]]:
        return [
            (item["period_label"] + " " + item["school_year"], item["name"])
            for item in self.result_data(result)["items"]
        ]

    def page(self, request, status: int = 200, **context):
        if context.get("result"):
            context["sections"] = [present(item) for item in self.result_data(context["result"])["items"]]
        return super().page(request, status, **context)


# --- the record book's check page ---------------------------------------------------------------------------


def describe_record_book(ref: str) -> documents.Check | None:
    """What the record book of learner ``ref`` says now: identity, and per school year the class and the
    approved year result; None when the learner no longer exists. Four queries."""
    from .models import Correction, Enrolment, Period, ResultStatus, Student, TermResult
    from .services.corrections import FIELD_LABELS
    from .services.results import conduct_label, learning_label

    try:
        pk = int(ref)
    except (TypeError, ValueError):
        return None
    student = Student.objects.filter(pk=pk).select_related("school").first()
    if student is None:
        return None
    enrolments = list(
        Enrolment.objects.filter(student=student)
        .select_related("school", "school_year", "school_class")
        .order_by("school_year__start_year", "pk")
    )
    terms = {
        t.enrolment_id: t
        for t in TermResult.objects.filter(enrolment__student=student, period=Period.YEAR, status=ResultStatus.APPROVED)
    }
    rows: list[tuple[str, Any]] = [
        ("Họ và tên", student.full_name),
        ("Ngày sinh", vn_date(student.birth_date)),
        ("Trường đang quản lý hồ sơ", student.school.name),
    ]
    years = []
    for e in enrolments:
        rule_set = rules.rule_set_for(e.school_year.start_year, e.school_class.grade)
        if rule_set == rules.RuleSet.NONE:
            continue  # preschool keeps no results
        term = terms.get(e.pk)
        year = {
            "school_year": e.school_year.name,
            "class": e.school_class.name,
            "school": e.school.name,
            "approved": term is not None,
            "learning": None,
            "conduct": None,
            "outcome": None,
        }
        if term is None:
            summary = "Chưa duyệt kết quả cả năm"
        else:
            primary = rules.is_primary(term.rule_set)
            learning = learning_label(term.rule_set, term.final_learning)
            conduct = conduct_label(term.rule_set, term.conduct)
            outcome = term.get_outcome_display() if term.outcome else ""
            year.update(
                learning=learning or None,
                conduct=conduct or None,
                outcome=outcome or None,
            )
            parts = [f"{'Kết quả giáo dục' if primary else 'Kết quả học tập'}: {learning or '—'}"]
            if not primary:
                parts.append(f"Kết quả rèn luyện: {conduct or '—'}")
            parts.append(outcome or "Chưa có kết quả lên lớp")
            summary = "; ".join(parts)
        years.append(year)
        rows.append((f"Năm học {e.school_year.name}", f"Lớp {e.school_class.name}, {e.school.name} – {summary}"))
    corrections = list(
        Correction.objects.filter(enrolment__student=student)
        .select_related("subject", "enrolment__school_year")
        .order_by("created_at", "pk")
    )
    notes = []
    by_year: dict[str, int] = defaultdict(int)
    for c in corrections:
        by_year[c.enrolment.school_year.name] += 1
    for name, count in by_year.items():
        notes.append(
            f"Năm học {name}: {count} kết quả đã được sửa sau khi hiệu trưởng duyệt (học bạ in giá trị cũ gạch bỏ "
            "và giá trị mới). Bản in trước ngày sửa mang giá trị cũ."
        )
    if corrections:
        last = corrections[-1]
        what = last.subject.name if last.subject_id else FIELD_LABELS.get(last.field, last.field)
        notes.append(f"Lần sửa gần nhất: {what}, ngày {vn_date(timezone.localdate(last.created_at))}.")
    status, label = ("corrected", "Hợp lệ – có kết quả đã được sửa sau khi duyệt") if corrections else (
        "valid", "Hợp lệ – khớp hồ sơ của nhà trường"
    )  # fmt: skip
    return documents.Check(
        heading=f"Học bạ của {student.full_name}",
        status=status,
        status_label=label,
        rows=rows,
        notes=notes,
        data={
            "learner": {
                "name": student.full_name,
                "birth_date": student.birth_date.isoformat(),
                "school": student.school.name,
            },
            "years": years,
            "corrections": len(corrections),
        },
    )


def record_book_label(student, printed_on) -> str:
    """The label of one printing's token, as the school's leaders read it in the list of printed codes."""
    return f"Học bạ {student.full_name} – in {vn_date(printed_on)}"


store.register_builder(published.KIND, published.build)
documents.register(RECORD_BOOK, title="Kiểm tra học bạ", describe=describe_record_book)

portal_urlpatterns: list = [path("ket-qua-hoc-tap/", ResultsLookup.as_view(), name="student-results")]
