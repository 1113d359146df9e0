"""The public exam-scores lookup (Circular 53/2012 Art. 14.8): ``portal:exam-scores``, /cong/diem-thi/.

A candidate (or their family) chooses the exam, types the candidate number (số báo danh) and either the date of
birth or the lookup code printed on the admission ticket, and reads the published marks and, for an admission
round, the admission score and outcome. A JSON API for the portal and an accessible Vietnamese page it embeds.

Everything the portal base guarantees holds (``sms.portal.lookups``: POST body only, per-IP and per-identifier
throttle, one answer for every miss, a log without the secret, no-store, framed only by ``PORTAL_ORIGINS``). The
identifier counted and logged is "<exam id>/<number>", so the same number in two exams is two identifiers.

The answer comes from the precomputed store only (``exams.services.portal_scores`` writes it when results are
published and when they change): one indexed query. The exam select lists the exams whose results are published
now (of this and the two previous school years, newest publication first); its choices are read only when the
form is shown (the page, or the JSON description of GET), never to answer a JSON lookup, and a well-formed exam id
that is not published (or not listed) answers like an unknown number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from sms.portal import store
from sms.portal.lookups import StoredLookup

from .models import Exam
from .services import portal_scores as writer
from .services.marking import vn

#: exams listed in the select: published, of this school year and the two before (as the announcements)
LISTED_YEARS = 2
#: the largest exam id the form accepts (a PostgreSQL integer)
MAX_ID = 2**31 - 1


def published_exam_choices() -> list[tuple[str, str]]:
    """The select's options: the exams whose results are published now, newest publication first (one query)."""
    now = timezone.now()
    exams = (
        Exam.objects.filter(
            results_publish_at__lte=now,
            start_year__gte=timezone.localtime(now).year - LISTED_YEARS,
            unit__kind__in=writer.PUBLIC_UNIT_KINDS,
        )
        .select_related("unit")
        .order_by("-results_publish_at", "-pk")
        .only("pk", "name", "unit__name")
    )
    return [("", "— Chọn kỳ thi —")] + [(str(e.pk), f"{e.name} – {e.unit.name}") for e in exams]


class PublishedExams(BaseChoiceIterator):
    """The select's options, read once per form when first needed (rendering iterates them more than once)."""

    def __init__(self):
        self._options: list[tuple[str, str]] | None = None

    def __iter__(self):
        if self._options is None:
            self._options = published_exam_choices()
        yield from self._options


class ExamField(forms.ChoiceField):
    """The exam, shown as a select of the published exams but checked as a well-formed id only: the store
    decides whether anything of it is published (so answering a lookup never reads the exam list)."""

    default_error_messages = {"invalid_choice": "Kỳ thi đã chọn không hợp lệ. Vui lòng chọn lại trong danh sách."}

    def to_python(self, value) -> str:
        return "" if value in self.empty_values else str(value).strip()

    def validate(self, value) -> None:
        forms.Field.validate(self, value)  # required
        if value and not (value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class ScoresForm(forms.Form):
    exam = ExamField(
        label="Kỳ thi",
        choices=(),  # ``PublishedExams``, given to each form
        error_messages={"required": "Vui lòng chọn kỳ thi."},
    )
    number = forms.CharField(
        label="Số báo danh",
        max_length=20,
        error_messages={"required": "Vui lòng nhập số báo danh."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    secret = forms.CharField(
        label="Ngày sinh hoặc mã tra cứu",
        max_length=20,
        help_text="Ngày sinh dạng dd/mm/yyyy (ví dụ 05/09/2011), hoặc mã tra cứu in trên thẻ dự thi.",
        error_messages={"required": "Vui lòng nhập ngày sinh hoặc mã tra cứu."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exam"].choices = PublishedExams()


# --- what the page shows ------------------------------------------------------------------------------------------


def _score_text(value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return vn(Decimal(value))
    except InvalidOperation:
        return value


def _date_text(value: str | None) -> str:
    return dt.date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""


def _moment_text(value: str | None) -> str:
    return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%H:%M ngày %d/%m/%Y") if value else ""


def display(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored payload as the page shows it: dd/mm/yyyy, decimal comma, Vietnamese words."""
    exam = item["exam"]
    subjects = [
        {
            "name": s["name"],
            "coefficient": "" if Decimal(s["coefficient"]) == 1 else vn(Decimal(s["coefficient"])),
            "text": "Vắng thi" if s["absent"] else _score_text(s["score"]),
        }
        for s in item["subjects"]
    ]
    shown: dict[str, Any] = {
        "exam": exam["name"],
        "unit": exam["unit"],
        "published_at": _moment_text(exam.get("published_at")),
        "number": item["number"],
        "full_name": item["full_name"],
        "birth_date": _date_text(item.get("birth_date")),
        "school": item["school"] + (f" – lớp {item['class_name']}" if item.get("class_name") else ""),
        "subjects": subjects,
        "admission": None,
    }
    admission = item.get("admission")
    if admission:
        choice = ""
        if admission["direct"]:
            choice = "Tuyển thẳng"
        elif admission["choice"]:
            choice = f"Nguyện vọng {admission['choice']}"
        shown["admission"] = {
            "score": _score_text(admission["score"]),
            "priority": _score_text(admission["priority_points"]) if admission["priority_points"] else "",
            "bonus": _score_text(admission["bonus_points"]) if admission["bonus_points"] else "",
            "decided": admission["decided"],
            "status": admission["status"] or "",
            "status_display": admission["status_display"] or "Chưa có kết quả xét tuyển",
            "school": admission["school"] or "",
            "choice": choice,
            "admitted": admission["status"] in ("admitted", "direct"),
        }
    return shown


class ScoresLookup(StoredLookup):
    """Tra cứu điểm thi: exam + candidate number + (birth date or lookup code)."""

    kind = writer.KIND
    store_kind = writer.KIND
    title = "Tra cứu điểm thi"
    intro = (
        "Chọn kỳ thi, nhập số báo danh và ngày sinh (hoặc mã tra cứu in trên thẻ dự thi) để xem điểm thi "
        "và kết quả tuyển sinh đã được công bố."
    )
    form_class = ScoresForm
    identifier_field = "number"
    identifier_case = writer.CASE
    secret_field = "secret"
    template_name = "exams/portal/scores.html"

    def identifier_of(self, data: Mapping[str, Any]) -> str:
        """ "<exam id>/<number>": the throttle and the log count per exam and number."""
        if not data.get("exam") or not data.get(self.identifier_field):
            return ""
        return writer.candidate_key(data["exam"], data[self.identifier_field])

    def result_rows(self, result: list[store.Hit]) -> list[tuple[str, Any]]:
        return []  # the template shows the items itself (``display``)

    def hit(self, request: HttpRequest, result: list[store.Hit], as_json: bool) -> HttpResponse:
        if as_json:
            return super().hit(request, result, as_json)
        return self.page(
            request,
            form=self.form_class(),
            found=True,
            result=result,
            items=[display(hit.payload) for hit in result],
        )


portal_urlpatterns = [path("diem-thi/", ScoresLookup.as_view(), name="exam-scores")]

store.register_builder(writer.KIND, writer.build)
