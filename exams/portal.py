"""What module (e) shows the public: the online application (form, status, result).

Circular 53/2012/TT-BGDĐT Art. 14.3c asks for public service level 3–4: the form is filled
and submitted online, the applicant follows its status online and receives the result online
(../shared/domain/exams-diplomas.md). The applicant has no account; these pages are public,
under /cong/, sessionless and CSRF-exempt like every portal lookup (``sms.portal.lookups``):
nothing here acts on a session, so there is nothing to forge; a double submit is caught by
the form's submit key, and every POST is throttled per client IP.

Routes take no URL kwargs (the exam is a ``?ky_thi=`` parameter; the status is a POST lookup):

- ``portal:exam-application-list``   /cong/tuyen-sinh/              exams taking applications
- ``portal:exam-application-form``   /cong/tuyen-sinh/nop-ho-so/    the form (inside the window)
- ``portal:exam-application-status`` /cong/tuyen-sinh/tra-cuu/      reference + date of birth
- ``portal:exam-application-edit``   /cong/tuyen-sinh/bo-sung/      the correction asked for
- ``portal:diploma-revocations``     /cong/van-bang/thu-hoi/        revoked diplomas, published (public, cacheable;
  see "revoked diplomas, published" below)

Each route's name is listed in ``sms.portal.public.PUBLIC_ROUTE_NAMES``.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from sms.accounts.middleware import sessionless
from sms.accounts.roles import UnitKind
from sms.net import client_ip
from sms.org.catalogue import ETHNIC_CHOICES
from sms.portal import feeds, throttle
from sms.portal.lookups import MSG_THROTTLED, LookupView
from sms.text import nfc, search_key

from . import rules
from .models import Application, ApplicationStatus, DiplomaRevocation, DiplomaStatus, Exam, PointRule
from .services import applications as services

MSG_FORM_INVALID = "Hồ sơ chưa nộp được. Vui lòng sửa các mục dưới đây."
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def _vn_datetime(value) -> str:
    return timezone.localtime(value).strftime("%H:%M ngày %d/%m/%Y") if value else ""


# --- the form -----------------------------------------------------------------------------------------------


class ApplicationForm(forms.Form):
    """The fields of an application for one exam. The form only gathers and renders; the rules
    (formats, choices, claims, files) are checked by ``services.applications`` so every caller
    gets the same answer; the service's errors are put back on the fields here."""

    full_name = forms.CharField(label="Họ và tên thí sinh", max_length=150, required=False)
    birth_date = forms.CharField(
        label="Ngày sinh (dd/mm/yyyy)",
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "bday"}),
    )
    sex = forms.ChoiceField(label="Giới tính", choices=[("", "— Chọn —"), ("M", "Nam"), ("F", "Nữ")], required=False)
    personal_id = forms.CharField(
        label="Số định danh cá nhân",
        max_length=20,
        required=False,
        help_text="12 chữ số, nếu đã có. Để trống nếu chưa có.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    ethnicity = forms.ChoiceField(label="Dân tộc", choices=ETHNIC_CHOICES, initial="Kinh", required=False)
    birthplace = forms.CharField(label="Nơi sinh", max_length=255, required=False)
    address = forms.CharField(label="Nơi ở hiện nay", max_length=255, required=False)
    previous_school = forms.CharField(label="Trường đang học", max_length=255, required=False)
    guardian_name = forms.CharField(label="Họ tên cha, mẹ hoặc người giám hộ", max_length=150, required=False)
    phone = forms.CharField(
        label="Điện thoại di động liên hệ",
        max_length=20,
        required=False,
        help_text="10 chữ số, ví dụ 0912 345 678.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label="Thư điện tử",
        max_length=254,
        required=False,
        help_text="Không bắt buộc.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    submit_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    REQUIRED = ("full_name", "birth_date", "sex", "address", "guardian_name", "phone")

    def __init__(self, *args, exam: Exam, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.exam = exam
        schools = services.quota_schools(exam)
        if schools:
            options = [("", "— Không chọn —")] + [(str(s.pk), s.name) for s in schools]
            for rank in range(1, exam.choices_allowed + 1):
                self.fields[f"choice_{rank}"] = forms.ChoiceField(
                    label=f"Nguyện vọng {rank}", choices=options, required=False
                )
        table = services.claim_rules(exam)
        priority = table[PointRule.Kind.PRIORITY] + table[PointRule.Kind.DIRECT]
        if priority:
            options: list = [("", "Không thuộc diện nào")]
            if table[PointRule.Kind.PRIORITY]:
                options.append(("Điểm ưu tiên", [(str(r.pk), str(r)) for r in table[PointRule.Kind.PRIORITY]]))
            if table[PointRule.Kind.DIRECT]:
                options.append(("Tuyển thẳng", [(str(r.pk), r.label) for r in table[PointRule.Kind.DIRECT]]))
            self.fields["priority_claim"] = forms.ChoiceField(
                label="Đối tượng ưu tiên hoặc tuyển thẳng", required=False, choices=options
            )
        if table[PointRule.Kind.BONUS]:
            self.fields["bonus_claim"] = forms.ChoiceField(
                label="Diện khuyến khích",
                required=False,
                choices=[("", "Không thuộc diện nào")] + [(str(r.pk), str(r)) for r in table[PointRule.Kind.BONUS]],
            )
        self.slots = services.document_slots(exam, has_claims=bool(priority or table[PointRule.Kind.BONUS]))
        limits = f"PDF, JPG hoặc PNG; tối đa {services.MAX_FILE_BYTES // (1024 * 1024)} MB."
        for slot in self.slots:
            required = slot.required == "always" and not editing
            label = slot.label + (" (bắt buộc)" if required else "")
            if editing:
                help_text = f"Chỉ chọn khi cần nộp lại hoặc bổ sung. {limits}"
            else:
                help_text = f"{slot.help} {limits}".strip()
            attrs = {"accept": ACCEPT}
            if required:
                attrs.update(required=True, **{"aria-required": "true"})
            self.fields[slot.field] = forms.FileField(
                label=label, required=False, help_text=help_text, widget=forms.ClearableFileInput(attrs=attrs)
            )
        for name in self.REQUIRED:
            field = self.fields[name]
            field.label = f"{field.label} (bắt buộc)"
            field.widget.attrs.update(required=True, **{"aria-required": "true"})
        if editing:
            del self.fields["submit_key"]

    def groups(self) -> list[tuple[str, list]]:
        """The visible fields in fieldsets (legend, bound fields)."""
        names = list(self.fields)
        sections = [
            ("Thông tin thí sinh", ["full_name", "birth_date", "sex", "personal_id", "ethnicity", "birthplace"]),
            ("Nơi ở, trường học và liên hệ", ["address", "previous_school", "guardian_name", "phone", "email"]),
            ("Nguyện vọng", [n for n in names if n.startswith("choice_")]),
            ("Ưu tiên, khuyến khích", [n for n in ("priority_claim", "bonus_claim") if n in self.fields]),
            ("Giấy tờ kèm theo", [n for n in names if n.startswith("doc_")]),
        ]
        return [(legend, [self[n] for n in fields]) for legend, fields in sections if fields]

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)

    def error_list(self) -> list[dict[str, str]]:
        """The error summary: one entry per message, linking to its field."""
        rows = [{"id": "", "label": "", "message": m} for m in self.non_field_errors()]
        for name, messages in self.errors.items():
            if name == "__all__" or name not in self.fields:
                continue
            bound = self[name]
            attrs = {"aria-invalid": "true", "aria-describedby": f"{bound.auto_id}-error"}
            self.fields[name].widget.attrs.update(attrs)
            rows.extend({"id": bound.auto_id, "label": "", "message": m} for m in messages)
        return rows


def initial_from(application: Application) -> dict[str, Any]:
    """The correction form's values: what the application holds now."""
    initial = {
        name: getattr(application, name)
        for name in (
            "full_name",
            "sex",
            "personal_id",
            "ethnicity",
            "birthplace",
            "address",
            "previous_school",
            "guardian_name",
            "phone",
            "email",
        )
    }
    initial["birth_date"] = application.birth_date.strftime("%d/%m/%Y")
    for rank, school_id in enumerate(application.choices or [], start=1):
        initial[f"choice_{rank}"] = str(school_id)
    initial["priority_claim"] = str(application.priority_claim_id or "")
    initial["bonus_claim"] = str(application.bonus_claim_id or "")
    return initial


def _data(form: ApplicationForm) -> dict[str, Any]:
    """What the service reads: the form's raw values (the service does the checking)."""
    return {name: form.data.get(name, "") for name in form.fields if not name.startswith("doc_")}


# --- the public pages ---------------------------------------------------------------------------------------


class PublicPage(View):
    """A standalone public page with the portal's guarantees (``LookupView.finish``): no
    session, no cookie, not cached, embeddable only by the portal's origins."""

    template_name = ""
    http_method_names = ["get", "options"]

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.csrf_exempt = True  # sessionless: nothing to forge (see the module docstring)
        return sessionless(view)

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        return LookupView.finish(self, request, response)

    options = LookupView.options

    def render(self, context: Mapping[str, Any], *, status: int = 200, template: str | None = None) -> HttpResponse:
        context = {"list_url": reverse("portal:exam-application-list"), **context}
        return HttpResponse(render_to_string(template or self.template_name, context), status=status)

    def throttled(self, request) -> HttpResponse | None:
        verdict = throttle.hit_ip(client_ip(request))
        if verdict.allowed:
            return None
        minutes = max(1, -(-verdict.retry_after // 60))
        response = self.render(
            {"title": "Tạm dừng nhận yêu cầu", "message": MSG_THROTTLED.format(minutes=minutes)},
            status=429,
            template="exams/portal/message.html",
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response


class ExamListPage(PublicPage):
    """Tuyển sinh trực tuyến: exams whose window is open, with their dates; upcoming and
    recently closed ones shown greyed, with theirs."""

    template_name = "exams/portal/list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        groups = services.public_exams()
        return self.render(
            {
                "title": "Nộp hồ sơ tuyển sinh trực tuyến",
                "open": groups["open"],
                "upcoming": groups["upcoming"],
                "closed": groups["closed"],
                "form_url": reverse("portal:exam-application-form"),
                "status_url": reverse("portal:exam-application-status"),
            }
        )


class ApplyPage(PublicPage):
    """The form of one exam (``?ky_thi=<id>``), only inside its window; POST submits."""

    template_name = "exams/portal/form.html"
    http_method_names = ["get", "post", "options"]

    def _exam(self, request) -> Exam | None:
        return services.public_exam(request.GET.get("ky_thi") or request.POST.get("ky_thi"))

    def _closed(self, exam: Exam, status: int = 200) -> HttpResponse:
        now = timezone.now()
        if exam.applications_open_at and exam.applications_open_at > now:
            message = f"Kỳ thi chưa mở nhận hồ sơ. Thời gian nhận hồ sơ từ {_vn_datetime(exam.applications_open_at)}"
        else:
            message = "Đã hết hạn nộp hồ sơ trực tuyến của kỳ thi này"
        message += f" đến {_vn_datetime(exam.applications_close_at)}."
        return self.render(
            {"title": exam.name, "message": message, "exam": exam}, status=status, template="exams/portal/message.html"
        )

    def _missing(self) -> HttpResponse:
        return self.render(
            {"title": "Không tìm thấy kỳ thi", "message": "Không tìm thấy kỳ thi nhận hồ sơ trực tuyến này."},
            status=404,
            template="exams/portal/message.html",
        )

    def _form_page(self, exam: Exam, form: ApplicationForm, *, status: int = 200) -> HttpResponse:
        errors = form.error_list() if form.is_bound and form.errors else []
        return self.render(
            {
                "title": f"Nộp hồ sơ: {exam.name}",
                "exam": exam,
                "form": form,
                "errors": errors,
                "message": MSG_FORM_INVALID if errors else "",
                "action": f"{reverse('portal:exam-application-form')}?ky_thi={exam.pk}",
                "closes": _vn_datetime(exam.applications_close_at),
                "max_total": services.MAX_TOTAL_BYTES // (1024 * 1024),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        if "ky_thi" not in request.GET:
            return HttpResponseRedirect(reverse("portal:exam-application-list"))
        exam = self._exam(request)
        if exam is None:
            return self._missing()
        if not exam.window_open():
            return self._closed(exam)
        form = ApplicationForm(exam=exam, initial={"submit_key": secrets.token_urlsafe(24)})
        return self._form_page(exam, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        refused = self.throttled(request)
        if refused is not None:
            return refused
        exam = self._exam(request)
        if exam is None:
            return self._missing()
        form = ApplicationForm(request.POST, request.FILES, exam=exam)
        if not form.is_valid():
            return self._form_page(exam, form, status=400)
        try:
            application, _ = services.submit(
                exam,
                _data(form),
                request.FILES,
                submit_key=form.cleaned_data.get("submit_key", ""),
                ip=client_ip(request),
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "closed":
                return self._closed(exam, status=400)
            form.add_service_errors(error)
            return self._form_page(exam, form, status=400)
        return self.render(
            {
                "title": "Đã nộp hồ sơ",
                "application": application,
                "exam": exam,
                "submitted_at": _vn_datetime(application.submitted_at),
                "status_url": reverse("portal:exam-application-status"),
            },
            template="exams/portal/submitted.html",
        )


class StatusForm(forms.Form):
    reference = forms.CharField(label="Mã hồ sơ", max_length=20, help_text="Ví dụ HSAB12CD34EF.")
    birth_date = forms.CharField(
        label="Ngày sinh của thí sinh (dd/mm/yyyy)",
        max_length=10,
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
    )

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if services.parse_birth_date(value) is None:
            raise ValidationError("Ngày sinh phải có dạng dd/mm/yyyy.")
        return value


class ApplicationStatusLookup(LookupView):
    """Tra cứu hồ sơ: reference + date of birth → the status, the staff's note, the documents
    (names only) and, once the exam is published, the result. Throttled and logged by the base."""

    kind = "exam-application"
    title = "Tra cứu hồ sơ tuyển sinh trực tuyến"
    intro = "Nhập mã hồ sơ đã nhận khi nộp và ngày sinh của thí sinh."
    form_class = StatusForm
    identifier_field = "reference"
    identifier_case = "upper"
    template_name = "exams/portal/status.html"

    def lookup(self, data: Mapping[str, Any]) -> Application | None:
        return services.find(data["reference"], data["birth_date"])

    def log_unit_id(self, data, result) -> int | None:
        return result.exam.unit_id if result is not None else None

    @staticmethod
    def note_of(application: Application) -> str:
        if application.status in (ApplicationStatus.NEEDS_CHANGES, ApplicationStatus.REJECTED):
            return application.staff_note
        return ""

    def result_data(self, application: Application) -> dict[str, Any]:
        outcome = services.result_of(application)
        if outcome is not None:
            outcome = {
                **outcome,
                "admission_score": None if outcome["admission_score"] is None else str(outcome["admission_score"]),
                "scores": [{**s, "score": None if s["score"] is None else str(s["score"])} for s in outcome["scores"]],
            }
        return {
            "reference": application.reference,
            "exam": application.exam.name,
            "full_name": application.full_name,
            "status": application.status,
            "status_display": application.get_status_display(),
            "submitted_at": timezone.localtime(application.submitted_at).isoformat(),
            "staff_note": self.note_of(application),
            "documents": [
                {"kind": d.kind, "kind_display": d.get_kind_display(), "name": d.file.name}
                for d in application.documents.select_related("file")
            ],
            "choices": [name for _, name in services.choice_names(application)],
            "result": outcome,
        }

    def result_rows(self, application: Application) -> list[tuple[str, Any]]:
        return [
            ("Mã hồ sơ", application.reference),
            ("Kỳ thi", application.exam.name),
            ("Họ và tên", application.full_name),
            ("Trạng thái", application.get_status_display()),
        ]

    def hit(self, request: HttpRequest, result: Application, as_json: bool) -> HttpResponse:
        if as_json:
            return super().hit(request, result, as_json)
        application = result
        context: dict[str, Any] = {
            "application": application,
            "status_label": application.get_status_display(),
            "note": self.note_of(application),
            "submitted_at": _vn_datetime(application.submitted_at),
            "documents": list(application.documents.select_related("file")),
            "choices": services.choice_names(application),
            "outcome": services.result_of(application),
            "published": application.exam.is_published(),
        }
        if application.status == ApplicationStatus.NEEDS_CHANGES:
            context.update(
                edit_form=ApplicationForm(exam=application.exam, editing=True, initial=initial_from(application)),
                edit_token=services.edit_token(application),
                edit_action=reverse("portal:exam-application-edit"),
                edit_minutes=services.EDIT_TOKEN_MAX_AGE // 60,
            )
        return self.page(
            request, form=self.form_class(), found=True, result=result, result_rows=self.result_rows(result), **context
        )


class EditPage(PublicPage):
    """The correction the staff asked for (status NEEDS_CHANGES): the status page hands over a
    short-lived signed (reference, date of birth) token in the form; POST resubmits."""

    template_name = "exams/portal/edit.html"
    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("portal:exam-application-status"))

    def _expired(self) -> HttpResponse:
        return self.render(
            {
                "title": "Không mở được hồ sơ để bổ sung",
                "message": "Phiên bổ sung hồ sơ đã hết hạn hoặc không hợp lệ. Vui lòng tra cứu lại hồ sơ bằng mã hồ sơ "
                "và ngày sinh rồi bổ sung.",
                "status_url": reverse("portal:exam-application-status"),
            },
            status=403,
            template="exams/portal/message.html",
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        refused = self.throttled(request)
        if refused is not None:
            return refused
        token = request.POST.get("token", "")
        application = services.from_edit_token(token)
        if application is None:
            return self._expired()
        exam = application.exam
        if application.status != ApplicationStatus.NEEDS_CHANGES:
            return self.render(
                {
                    "title": "Hồ sơ không cần bổ sung",
                    "message": f"Hồ sơ {application.reference} đang ở trạng thái “{application.get_status_display()}”.",
                    "status_url": reverse("portal:exam-application-status"),
                },
                status=400,
                template="exams/portal/message.html",
            )
        form = ApplicationForm(request.POST, request.FILES, exam=exam, editing=True)
        error = None
        if form.is_valid():
            try:
                application = services.resubmit(application, _data(form), request.FILES, ip=client_ip(request))
            except ValidationError as exc:
                error = exc
        if error is not None or form.errors:
            if error is not None:
                form.add_service_errors(error)
            return self.render(
                {
                    "title": f"Bổ sung hồ sơ {application.reference}",
                    "application": application,
                    "note": application.staff_note,
                    "form": form,
                    "errors": form.error_list(),
                    "message": "Chưa gửi được phần bổ sung. Vui lòng sửa các mục dưới đây.",
                    "token": token,
                    "action": reverse("portal:exam-application-edit"),
                },
                status=400,
            )
        return self.render(
            {
                "title": "Đã gửi bổ sung hồ sơ",
                "message": f"Hồ sơ {application.reference} đã được gửi lại và đang ở trạng thái "
                f"“{application.get_status_display()}”.",
                "status_url": reverse("portal:exam-application-status"),
                "ok": True,
            },
            template="exams/portal/message.html",
        )


portal_urlpatterns = [
    path("tuyen-sinh/", ExamListPage.as_view(), name="exam-application-list"),
    path("tuyen-sinh/nop-ho-so/", ApplyPage.as_view(), name="exam-application-form"),
    path("tuyen-sinh/tra-cuu/", ApplicationStatusLookup.as_view(), name="exam-application-status"),
    path("tuyen-sinh/bo-sung/", EditPage.as_view(), name="exam-application-edit"),
]


# --- revoked diplomas, published ------------------------------------------------------------------------------
#
# TT21/2019 (../shared/domain/exams-diplomas.md: "revocation … every change kept, revocations published"): the
# decisions revoking a diploma are made public. ``portal:diploma-revocations`` (/cong/van-bang/thu-hoi/) lists every
# revoked diploma of the deployment, newest decision first, 20 a page (``?trang=``), optionally searched by serial
# number or name (``?q=``, without diacritics); ``?format=json`` (or ``Accept: application/json``) gives the same as
# JSON for the portal. It shows what the decision publishes — type, serial, entry number, name, date of birth,
# issuer, the decision's number and date, the reason — and nothing about a valid diploma: rows come from
# ``DiplomaRevocation`` whose diploma is REVOKED. Deliberately public data, so unlike a lookup it is cacheable by
# browsers and the portal's proxies for ``REVOCATIONS_MAX_AGE`` seconds (``Cache-Control: public``, ``Vary: Accept,
# Origin``); sessionless, GET only (nothing to forge), embeddable by the portal's origins like every portal page;
# a search (``q``) counts against the per-IP budget of the portal (a 429 is never cached).

REVOCATIONS_PER_PAGE = 20
REVOCATIONS_MAX_AGE = 300
QUERY_MAX_LENGTH = 100


def published_revocations(q: str = ""):
    """The revocations on the public list, newest decision first; ``q`` matches a serial number (part of it) or a
    holder's name without diacritics."""
    rows = (
        DiplomaRevocation.objects.filter(diploma__status=DiplomaStatus.REVOKED)
        .select_related("diploma", "diploma__issuer")
        .order_by("-decision_date", "-pk")
    )
    q = nfc(q)
    if q:
        condition = Q(diploma__search_key__contains=search_key(q))
        with contextlib.suppress(ValueError):  # not a serial number: the name only
            condition |= Q(diploma__serial__contains=rules.normalise_serial(q))
        rows = rows.filter(condition)
    return rows


def revocation_data(revocation) -> dict[str, Any]:
    """One published revocation as JSON-ready data (ISO dates)."""
    diploma = revocation.diploma
    return {
        "kind": diploma.kind,
        "kind_display": diploma.get_kind_display(),
        "serial": diploma.serial,
        "entry_label": diploma.entry_label,
        "full_name": diploma.full_name,
        "birth_date": diploma.birth_date.isoformat(),
        "issuer": diploma.issuer.name,
        "decision_number": revocation.decision_number,
        "decision_date": revocation.decision_date.isoformat(),
        "reason": revocation.reason,
        "reason_display": revocation.get_reason_display(),
    }


class RevocationList(View):
    """Danh sách văn bằng bị thu hồi (public, cacheable; see the section's comment)."""

    template_name = "exams/portal/revocations.html"
    http_method_names = ["get", "head", "options"]

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.csrf_exempt = True  # GET only and sessionless: nothing to forge
        return sessionless(view)

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        response = LookupView.finish(self, request, response)  # CSP, embedding, CORS, Vary; no-store by default
        if response.status_code == 200 and request.method in ("GET", "HEAD"):
            response["Cache-Control"] = f"public, max-age={REVOCATIONS_MAX_AGE}"
        return response

    def options(self, request, *args, **kwargs) -> HttpResponse:
        response = HttpResponse(status=204)
        response["Allow"] = "GET, HEAD, OPTIONS"
        return response

    def _url(self, q: str, page: int | None = None, *, as_json: bool = False) -> str:
        params = {k: v for k, v in (("q", q), ("trang", page), ("format", "json" if as_json else "")) if v}
        base = reverse("portal:diploma-revocations")
        return f"{base}?{urlencode(params)}" if params else base

    def get(self, request: HttpRequest) -> HttpResponse:
        as_json = LookupView.wants_json(request)
        q = nfc(request.GET.get("q", ""))[:QUERY_MAX_LENGTH]
        if q:
            verdict = throttle.hit_ip(client_ip(request))
            if not verdict.allowed:
                message = MSG_THROTTLED.format(minutes=max(1, -(-verdict.retry_after // 60)))
                if as_json:
                    response = LookupView.json({"throttled": True, "message": message}, status=429)
                else:
                    response = HttpResponse(
                        render_to_string(self.template_name, {"title": TITLE_REVOCATIONS, "q": q, "message": message}),
                        status=429,
                    )
                response["Retry-After"] = str(verdict.retry_after)
                return response
        paginator = Paginator(published_revocations(q), REVOCATIONS_PER_PAGE)
        page = paginator.get_page(request.GET.get("trang"))
        previous_url = self._url(q, page.previous_page_number(), as_json=as_json) if page.has_previous() else None
        next_url = self._url(q, page.next_page_number(), as_json=as_json) if page.has_next() else None
        if as_json:
            return LookupView.json(
                {
                    "count": paginator.count,
                    "page": page.number,
                    "pages": paginator.num_pages,
                    "q": q,
                    "previous": previous_url,
                    "next": next_url,
                    "results": [revocation_data(r) for r in page.object_list],
                }
            )
        context = {
            "title": TITLE_REVOCATIONS,
            "q": q,
            "page": page,
            "count": paginator.count,
            "revocations": list(page.object_list),
            "previous_url": previous_url,
            "next_url": next_url,
            "action": reverse("portal:diploma-revocations"),
            "json_url": self._url(q, page.number if page.number > 1 else None, as_json=True),
        }
        return HttpResponse(render_to_string(self.template_name, context))


TITLE_REVOCATIONS = "Văn bằng bị thu hồi, hủy bỏ"

portal_urlpatterns.append(path("van-bang/thu-hoi/", RevocationList.as_view(), name="diploma-revocations"))


# --- announcements (Art. 17.5): application windows, exam timetables, publication dates -------------------------

#: exams announced to the public: those of a Sở or Phòng, and any taking online applications (a school's own
#: competition stays inside the school); of this and last school year
_ANNOUNCING_UNITS = (UnitKind.SO, UnitKind.PHONG)


def _local(value) -> str:
    return timezone.localtime(value).strftime("%H:%M ngày %d/%m/%Y")


@feeds.announcements
def exam_announcements(now) -> list[feeds.Announcement]:
    """The public announcements of the exams (two queries)."""
    year = timezone.localtime(now).year
    exams = (
        Exam.objects.filter(start_year__gte=year - 2)
        .filter(Q(unit__kind__in=_ANNOUNCING_UNITS) | Q(accepts_online=True))
        .select_related("unit")
        .prefetch_related("subjects")
        .order_by("-start_year", "pk")
    )
    board = reverse("portal:announcements")
    items: list[feeds.Announcement] = []
    for exam in exams:
        author = exam.unit.name
        if exam.accepts_online and exam.applications_open_at and exam.applications_close_at:
            items.append(
                feeds.Announcement(
                    key=f"exam-{exam.pk}-applications",
                    title=f"Nhận hồ sơ trực tuyến: {exam.name}",
                    summary=(
                        f"Nhận hồ sơ trực tuyến từ {_local(exam.applications_open_at)} "
                        f"đến {_local(exam.applications_close_at)}."
                    ),
                    link=reverse("portal:exam-application-list"),
                    updated=exam.created_at,
                    category="Tuyển sinh",
                    author=author,
                )
            )
        timed = [s for s in exam.subjects.all() if s.starts_at]
        if timed:
            lines = [f"{s.name}: {_local(s.starts_at)} ({s.duration_minutes} phút)" for s in timed]
            items.append(
                feeds.Announcement(
                    key=f"exam-{exam.pk}-timetable",
                    title=f"Lịch thi: {exam.name}",
                    summary="\n".join(lines),
                    link=f"{board}#exam-{exam.pk}-timetable",
                    updated=exam.created_at,
                    category="Lịch thi",
                    author=author,
                )
            )
        if exam.results_publish_at:
            published = exam.results_publish_at <= now
            items.append(
                feeds.Announcement(
                    key=f"exam-{exam.pk}-results",
                    title=f"{'Đã công bố kết quả' if published else 'Lịch công bố kết quả'}: {exam.name}",
                    summary=f"Kết quả được công bố lúc {_local(exam.results_publish_at)}.",
                    link=f"{board}#exam-{exam.pk}-results",
                    updated=exam.results_publish_at if published else exam.created_at,
                    category="Kết quả thi",
                    author=author,
                )
            )
    return items


# --- the public lookups of Art. 14.8–14.9, in their own modules --------------------------------------------

from .portal_diplomas import portal_urlpatterns as _diploma_lookups  # noqa: E402
from .portal_scores import portal_urlpatterns as _score_lookups  # noqa: E402

portal_urlpatterns += [*_score_lookups, *_diploma_lookups]
