"""HTML pages of the diploma register: issuers (cơ quan cấp văn bằng), the graduates awaiting issue and the batch
issue, issuing one diploma by hand, the original register (sổ gốc) and one diploma's page with its corrections,
copies from the register and revocation, the correction dossier's files, and "Văn bằng của tôi" for learners.

Every row comes through the door (``visible_to``; another unit's row is a 404); every write calls
``exams.services.register`` — the functions the API calls — which checks who may do it (the issuer's register
keepers, ``selectors.may_keep_register``; issuers by the admins of the keeping unit). Object pages take the
issuer's or the diploma's id as ``pk``. See ``/work/shared/domain/exams-diplomas.md``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.roles import LEARNER_ROLES, Role
from sms.accounts.scoping import visible_to
from sms.audit.services import record_read
from sms.files.responses import file_response
from sms.forms import DateInput, ScopedModelForm
from sms.portal import documents
from sms.shell.modules import ModulePage, register_page
from sms.views import (
    ActorMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ScopedUpdateView,
)

from .. import rules
from ..filters_register import DiplomaFilter
from ..models import (
    REGISTRARS,
    Diploma,
    DiplomaCopy,
    DiplomaCorrection,
    DiplomaKind,
    DiplomaRevocation,
    DossierFile,
    Issuer,
    RegisterCounter,
)
from ..selectors import may_keep_register
from ..services import register as services
from ..services.portal_diplomas import DOCUMENT_KIND
from .setup import add_errors, history_rows

SEX = [("M", "Nam"), ("F", "Nữ")]
FIELD_LABELS = {
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "birthplace": "Nơi sinh",
    "sex": "Giới tính",
    "ethnicity": "Dân tộc",
}

# --- helpers ----------------------------------------------------------------------------------------------------------


def _change_text(field: str, value) -> str:
    if value in (None, ""):
        return "—"
    if field == "sex":
        return dict(SEX).get(value, value)
    if field == "birth_date" and isinstance(value, str) and len(value) == 10:
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}"
    return str(value)


def correction_lines(correction: DiplomaCorrection) -> list[str]:
    """ "Họ và tên: Nguyễn Văn A → Nguyễn Văn Anh" for each field the correction changed."""
    return [
        f"{FIELD_LABELS.get(field, field)}: {_change_text(field, old)} → {_change_text(field, new)}"
        for field, (old, new) in (correction.changes or {}).items()
    ]


#: pages of the register's reports area (printing, export, import of a past register), linked when routed
COPY_PDF_ROUTE = "exams:diplomacopy-pdf"
BOOKS_ROUTE = "exams:register-books"


def _route_if_any(name: str) -> str:
    for kwargs in ({"pk": 1}, {}):
        try:
            reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
        return name
    return ""


# --- issuers ----------------------------------------------------------------------------------------------------------


class IssuerForm(ScopedModelForm):
    kinds = forms.MultipleChoiceField(
        label="Loại văn bằng cấp", choices=DiplomaKind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Issuer
        fields = ["unit", "name", "signer_title", "signer_name", "place_name", "kinds", "covers", "area", "is_active"]
        widgets = {"covers": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["unit"]  # the register stays with its keeping unit
        else:
            units = self.fields["unit"].queryset
            if len(units) == 1:
                self.fields["unit"].initial = units[0].pk
        self.fields["covers"].queryset = self.fields["covers"].queryset.order_by("path")
        self.fields[
            "covers"
        ].help_text = (
            "Để trống: người học của đơn vị giữ sổ gốc và các đơn vị trực thuộc. Giữ Ctrl để chọn nhiều đơn vị."
        )

    def service_values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in services.ISSUER_FIELDS}


class IssuerList(ScopedListView):
    """Issuers the actor sees (their subtree's and, inherited, the units' above), with links to issue for those
    whose register they keep."""

    model = Issuer
    template_name = "exams/register/issuer_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = [
            {"issuer": i, "kinds": _kind_labels(i), "keeps": may_keep_register(self.actor, i)}
            for i in context["object_list"]
        ]
        context.update(rows=rows)
        return context


def _kind_labels(issuer: Issuer) -> list[str]:
    labels = dict(DiplomaKind.choices)
    return [labels.get(k, k) for k in issuer.kinds or []]


class IssuerCreate(ScopedCreateView):
    model = Issuer
    form_class = IssuerForm
    template_name = "exams/register/issuer_form.html"

    def form_valid(self, form):
        try:
            self.object = services.create_issuer(self.actor, unit=form.cleaned_data["unit"], **form.service_values())
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                form.add_error(None, str(error))
            else:
                add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã thêm cơ quan cấp văn bằng.")
        return redirect(self.object.get_absolute_url())


class IssuerUpdate(ScopedUpdateView):
    model = Issuer
    form_class = IssuerForm
    template_name = "exams/register/issuer_form.html"

    def form_valid(self, form):
        try:
            self.object = services.update_issuer(self.actor, self.object, **form.service_values())
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                form.add_error(None, str(error))
            else:
                add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu cơ quan cấp văn bằng.")
        return redirect(self.object.get_absolute_url())


class IssuerDetail(ScopedDetailView):
    """An issuer: who signs, what it issues, to whom; the last numbers of its books; its history."""

    model = Issuer
    template_name = "exams/register/issuer_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit", "area")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        issuer = self.object
        keeps = may_keep_register(self.actor, issuer)
        context.update(
            kinds=_kind_labels(issuer),
            covers=list(issuer.covers.order_by("path")),
            keeps=keeps,
            counters=list(
                visible_to(self.actor, RegisterCounter).filter(issuer=issuer).order_by("-year", "book", "kind")
            )
            if keeps
            else [],
            history=history_rows(issuer),
            register_url=reverse("exams:diploma-list") + "?" + urlencode({"issuer": issuer.pk}),
            books=_route_if_any(BOOKS_ROUTE) if keeps else "",
        )
        return context


class KeeperMixin(ScopedObjectMixin, SingleObjectMixin):
    """A page about one issuer (or diploma) the door shows the actor, for who keeps its register only: a stranger's
    row is a 404, one the actor only reads a 403 with the reason."""

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        self.object = self.get_object()
        if not may_keep_register(self.actor, self.issuer_of(self.object)):
            raise PermissionDenied(services.MSG_NOT_KEEPER)
        return super(ScopedObjectMixin, self).dispatch(request, *args, **kwargs)

    def issuer_of(self, obj):
        return obj


# --- issuing ----------------------------------------------------------------------------------------------------------


class IssueBatchForm(forms.Form):
    issued_on = forms.DateField(label="Ngày cấp", widget=DateInput(), help_text="dd/mm/yyyy")
    first_serial = forms.CharField(
        label="Số hiệu của phôi đầu tiên",
        max_length=30,
        help_text="Các văn bằng được cấp theo thứ tự trong danh sách, số hiệu tăng dần từ số này (ví dụ A 0012345).",
    )


class IssuerAwaiting(KeeperMixin, generic.TemplateView):
    """ "Chờ cấp": the graduates waiting for one type of diploma from this issuer, with the decision, its date and
    the 75-day deadline ("quá hạn" once past); the clerk ticks them (all by default), gives the issue date and the
    first serial, and issues the batch in one go."""

    model = Issuer
    template_name = "exams/register/awaiting.html"
    http_method_names = ["get", "head", "post"]

    def get_queryset(self):
        return super().get_queryset().select_related("unit")

    def kind(self) -> str:
        kinds = self.object.kinds or []
        wanted = self.request.POST.get("kind") or self.request.GET.get("kind") or ""
        return wanted if wanted in kinds else (kinds[0] if kinds else "")

    def get_context_data(self, form=None, ticked=None, **kwargs):
        issuer, kind = self.object, self.kind()
        rows = services.awaiting(self.actor, issuer, kind) if kind else []
        ticked = {r.entry.pk for r in rows} if ticked is None else ticked
        labels = dict(DiplomaKind.choices)
        return super().get_context_data(
            issuer=issuer,
            object=issuer,
            kind=kind,
            kind_label=labels.get(kind, ""),
            tabs=[(k, labels.get(k, k)) for k in issuer.kinds or []],
            rows=rows,
            ticked=ticked,
            overdue=sum(1 for r in rows if r.overdue),
            form=form or IssueBatchForm(initial={"issued_on": timezone.localdate()}),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = IssueBatchForm(request.POST)
        ids = [int(v) for v in request.POST.getlist("entries") if v.isascii() and v.isdigit() and len(v) < 10]
        if form.is_valid():
            kind = self.kind()
            try:
                diplomas = services.issue_batch(
                    self.actor,
                    self.object,
                    kind,
                    ids,
                    issued_on=form.cleaned_data["issued_on"],
                    first_serial=form.cleaned_data["first_serial"],
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                first, last = diplomas[0], diplomas[-1]
                messages.success(
                    request,
                    f"Đã cấp {len(diplomas)} văn bằng: số vào sổ từ {first.entry_label} đến {last.entry_label}, "
                    f"số hiệu từ {first.serial} đến {last.serial}.",
                )
                query = urlencode({"issuer": self.object.pk, "kind": kind, "year": first.year})
                return redirect(reverse("exams:diploma-list") + "?" + query)
        return self.render_to_response(self.get_context_data(form=form, ticked=set(ids)))


class IssueOneForm(forms.Form):
    kind = forms.ChoiceField(label="Loại văn bằng")
    full_name = forms.CharField(label="Họ và tên", max_length=150)
    birth_date = forms.DateField(label="Ngày sinh", widget=DateInput())
    sex = forms.ChoiceField(label="Giới tính", choices=SEX)
    ethnicity = forms.CharField(label="Dân tộc", max_length=40, initial="Kinh")
    birthplace = forms.CharField(label="Nơi sinh", max_length=255, required=False)
    nationality = forms.CharField(label="Quốc tịch", max_length=60, initial="Việt Nam")
    personal_id = forms.CharField(label="Số định danh cá nhân", max_length=12, required=False)
    school_name = forms.CharField(label="Nơi học (trường)", max_length=255)
    graduation_year = forms.IntegerField(label="Năm tốt nghiệp", min_value=1945, max_value=9999)
    decision_number = forms.CharField(label="Số quyết định công nhận tốt nghiệp", max_length=60)
    decision_date = forms.DateField(label="Ngày quyết định công nhận", widget=DateInput())
    serial = forms.CharField(label="Số hiệu văn bằng", max_length=30)
    issued_on = forms.DateField(label="Ngày cấp", widget=DateInput())
    note = forms.CharField(label="Ghi chú", max_length=500, required=False)

    def __init__(self, *args, issuer: Issuer, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(DiplomaKind.choices)
        self.fields["kind"].choices = [(k, labels.get(k, k)) for k in issuer.kinds or []]


class IssuerIssueOne(KeeperMixin, generic.FormView):
    """Issue one diploma by hand, to a graduate the system does not list (a graduate of before, a learner from
    elsewhere); the entry number comes from the counter."""

    model = Issuer
    form_class = IssueOneForm
    template_name = "exams/register/issue_one.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "issuer": self.object}

    def get_initial(self):
        return {"issued_on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(issuer=self.object, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        kind = data.pop("kind")
        try:
            diploma = services.issue_one(self.actor, self.object, kind=kind, **data)
        except ValidationError as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã cấp văn bằng số hiệu {diploma.serial}, số vào sổ {diploma.entry_label}.")
        return redirect(diploma.get_absolute_url())


# --- the register -----------------------------------------------------------------------------------------------------


class DiplomaList(ScopedListView):
    """The original register as the door shows it: the keeping unit's staff and the offices above read their
    issuers' books, a school its own graduates' diplomas, a learner their own."""

    model = Diploma
    filterset_class = DiplomaFilter
    template_name = "exams/register/diploma_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("issuer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kept = [(i.pk, i.name) for i in services.kept_issuers(self.actor)]
        context.update(kept=kept, books=_route_if_any(BOOKS_ROUTE) if kept else "")
        return context


class DiplomaDetail(ScopedDetailView):
    """One diploma: the holder, the entry label, serial, decision, issue date, signer, status; its corrections with
    their dossier, copies and revocation; and the history (who, when, old → new). Each view is logged (a person's
    record). For who keeps the register: the button printing the diploma with its QR code (``exams:diploma-pdf``)
    and the QR codes printed so far (on the diploma and its copies), each revocable by the keeping unit's leaders."""

    model = Diploma
    template_name = "exams/register/diploma_detail.html"
    audit_reads = True

    def get_queryset(self):
        return super().get_queryset().select_related("issuer", "issuer__unit", "school", "entry", "entry__round")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        diploma, actor = self.object, self.actor
        keeps = may_keep_register(actor, diploma.issuer)
        corrections = list(
            visible_to(actor, DiplomaCorrection).filter(diploma=diploma).select_related("made_by").order_by("made_at")
        )
        # the dossier (birth certificates, identity papers) is for who keeps the register only
        files: dict[int, list] = {}
        dossier = (
            visible_to(actor, DossierFile)
            .filter(correction__diploma=diploma)
            .select_related("file")
            .order_by("correction_id", "kind", "pk")
            if keeps
            else []
        )
        for item in dossier:
            files.setdefault(item.correction_id, []).append(item)
        context.update(
            keeps=keeps,
            staff=actor.role not in LEARNER_ROLES,
            corrections=[
                {"correction": c, "lines": correction_lines(c), "files": files.get(c.pk, [])} for c in corrections
            ],
            copies=list(visible_to(actor, DiplomaCopy).filter(diploma=diploma).order_by("-issued_on", "-pk")),
            revocation=visible_to(actor, DiplomaRevocation).filter(diploma=diploma).first(),
            history=history_rows(diploma),
            may_act=keeps and not diploma.is_revoked,
            copy_pdf=_route_if_any(COPY_PDF_ROUTE),
        )
        if keeps:
            context.update(
                documents.printed_codes(actor, DOCUMENT_KIND, diploma.pk, next_url=self.request.get_full_path())
            )
        return context


class DiplomaKeeperMixin(KeeperMixin):
    model = Diploma

    def get_queryset(self):
        return super().get_queryset().select_related("issuer", "issuer__unit")

    def issuer_of(self, obj):
        return obj.issuer

    def get_context_data(self, **kwargs):
        return super().get_context_data(diploma=self.object, **kwargs)


class RevokedRefusal(DiplomaKeeperMixin):
    """A revoked diploma is neither corrected nor copied: the page says so and goes back to the diploma."""

    doing = ""

    def get(self, request, *args, **kwargs):
        if self.object.is_revoked:
            messages.error(request, f"{services.MSG_REVOKED}, không thể {self.doing}.")
            return redirect(self.object.get_absolute_url())
        return super().get(request, *args, **kwargs)


class CorrectionForm(forms.Form):
    ground = forms.ChoiceField(label="Căn cứ chỉnh sửa", choices=list(rules.CORRECTION_GROUNDS.items()))
    full_name = forms.CharField(label="Họ và tên", max_length=150)
    birth_date = forms.DateField(label="Ngày sinh", widget=DateInput())
    birthplace = forms.CharField(label="Nơi sinh", max_length=255, required=False)
    sex = forms.ChoiceField(label="Giới tính", choices=SEX)
    ethnicity = forms.CharField(label="Dân tộc", max_length=40)
    reason = forms.CharField(label="Lý do chỉnh sửa", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    decision_number = forms.CharField(label="Số quyết định chỉnh sửa", max_length=60)
    decision_date = forms.DateField(label="Ngày quyết định chỉnh sửa", widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in DossierFile.Kind.choices:
            self.fields[f"dossier_{kind}"] = forms.FileField(
                label=f"Hồ sơ: {label}", required=False, help_text="PDF, JPG, PNG hoặc DOCX."
            )

    def dossier(self) -> list[tuple[str, object]]:
        return [
            (kind, self.cleaned_data[f"dossier_{kind}"])
            for kind in DossierFile.Kind.values
            if self.cleaned_data.get(f"dossier_{kind}")
        ]


class DiplomaCorrect(RevokedRefusal, generic.FormView):
    """Correct the holder's data printed on the diploma, by decision, with the dossier (at least one file)."""

    form_class = CorrectionForm
    template_name = "exams/register/correct.html"
    doing = "chỉnh sửa"

    def get_initial(self):
        d = self.object
        return {f: getattr(d, f) for f in rules.CORRECTABLE_FIELDS}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            correction = services.correct(
                self.actor,
                self.object,
                ground=data["ground"],
                values={f: data.get(f) for f in rules.CORRECTABLE_FIELDS},
                reason=data["reason"],
                decision_number=data["decision_number"],
                decision_date=data["decision_date"],
                dossier=form.dossier(),
            )
        except ValidationError as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã chỉnh sửa văn bằng: " + "; ".join(correction_lines(correction)) + ".")
        return redirect(self.object.get_absolute_url())


class CopyForm(forms.Form):
    requester_name = forms.CharField(label="Họ tên người yêu cầu", max_length=150)
    relation = forms.ChoiceField(
        label="Quan hệ với người được cấp văn bằng", choices=list(rules.COPY_REQUESTERS.items())
    )
    requester_id_number = forms.CharField(label="Số CCCD/hộ chiếu của người yêu cầu", max_length=20)
    authorisation = forms.CharField(
        label="Giấy ủy quyền / căn cứ đại diện",
        max_length=255,
        required=False,
        help_text="Bắt buộc khi người yêu cầu là người đại diện.",
    )
    holder_deceased = forms.BooleanField(label="Người được cấp văn bằng đã chết", required=False)
    quantity = forms.IntegerField(label="Số bản", min_value=1, max_value=20, initial=1)
    issued_on = forms.DateField(label="Ngày cấp bản sao", widget=DateInput())


class DiplomaCopyCreate(RevokedRefusal, generic.FormView):
    """Issue copies from the original register to the holder, a representative or (the holder deceased) relatives,
    numbered in the copy book."""

    form_class = CopyForm
    template_name = "exams/register/copy.html"
    doing = "cấp bản sao"

    def get_initial(self):
        return {"requester_name": self.object.full_name, "relation": "holder", "issued_on": timezone.localdate()}

    def form_valid(self, form):
        try:
            copy = services.issue_copy(self.actor, self.object, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã cấp {copy.quantity} bản sao, số vào sổ cấp bản sao {copy.number_label}.")
        return redirect(self.object.get_absolute_url())


class RevocationForm(forms.Form):
    reason = forms.ChoiceField(label="Lý do thu hồi", choices=list(rules.REVOCATION_REASONS.items()))
    detail = forms.CharField(
        label="Nội dung", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    decision_number = forms.CharField(label="Số quyết định thu hồi", max_length=60)
    decision_date = forms.DateField(label="Ngày quyết định thu hồi", widget=DateInput())
    decision_signer = forms.CharField(label="Người ký quyết định", max_length=255)


class DiplomaRevoke(DiplomaKeeperMixin, generic.FormView):
    """Revoke the diploma by decision; once revoked it shows as revoked everywhere and is published (part D)."""

    form_class = RevocationForm
    template_name = "exams/register/revoke.html"

    def get(self, request, *args, **kwargs):
        if self.object.is_revoked:
            messages.error(request, f"{services.MSG_REVOKED} trước đó.")
            return redirect(self.object.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        issuer = self.object.issuer
        return {"decision_signer": f"{issuer.signer_title} {issuer.signer_name}".strip()}

    def form_valid(self, form):
        try:
            services.revoke(self.actor, self.object, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã thu hồi văn bằng.")
        return redirect(self.object.get_absolute_url())


class DossierFileDownload(ScopedObjectMixin, generic.DetailView):
    """A file of a correction's dossier (birth certificates, identity papers): for who keeps the issuer's register
    (``may_keep_register``; the door already hides the dossier from everyone else, a 404). Each download is logged
    as a read of a person's record; always an attachment, never sniffed."""

    model = DossierFile
    http_method_names = ["get", "head"]

    def get_queryset(self):
        return super().get_queryset().select_related("file", "correction__diploma__issuer__unit")

    def get(self, request, *args, **kwargs):
        dossier = self.get_object()
        if not may_keep_register(self.actor, dossier.correction.diploma.issuer):
            raise PermissionDenied(services.MSG_NOT_KEEPER)
        record_read(request, dossier, actor=self.actor)
        stored = dossier.file
        return file_response(stored.file, stored.name, stored.content_type)


class MyDiplomas(ActorMixin, generic.TemplateView):
    """ "Văn bằng của tôi": a learner's (or a parent's children's) diplomas and certificates, revoked ones marked."""

    template_name = "exams/register/my_diplomas.html"

    def get_context_data(self, **kwargs):
        learner = self.actor.role in LEARNER_ROLES
        diplomas = (
            list(visible_to(self.actor, Diploma).select_related("issuer").order_by("-issued_on", "pk"))
            if learner
            else []
        )
        return super().get_context_data(diplomas=diplomas, learner=learner, **kwargs)


register_page(
    "exams",
    ModulePage(
        "Sổ gốc cấp văn bằng",
        "exams:diploma-list",
        REGISTRARS,
        "Sổ gốc cấp văn bằng, chứng nhận: tra cứu, chỉnh sửa, cấp bản sao, thu hồi.",
    ),
)
register_page(
    "exams",
    ModulePage(
        "Cơ quan cấp văn bằng, cấp văn bằng",
        "exams:issuer-list",
        REGISTRARS,
        "Cơ quan cấp văn bằng, người ký, phạm vi cấp; danh sách chờ cấp và cấp văn bằng theo đợt.",
    ),
)
register_page(
    "exams",
    ModulePage(
        "Văn bằng của tôi",
        "exams:my-diplomas",
        frozenset({Role.STUDENT, Role.PARENT}),
        "Văn bằng, giấy chứng nhận đã cấp cho học sinh.",
    ),
)

urlpatterns = [
    path("van-bang/co-quan-cap/", IssuerList.as_view(), name="issuer-list"),
    path("van-bang/co-quan-cap/them/", IssuerCreate.as_view(), name="issuer-create"),
    path("van-bang/co-quan-cap/<int:pk>/", IssuerDetail.as_view(), name="issuer-detail"),
    path("van-bang/co-quan-cap/<int:pk>/sua/", IssuerUpdate.as_view(), name="issuer-update"),
    path("van-bang/co-quan-cap/<int:pk>/cho-cap/", IssuerAwaiting.as_view(), name="issuer-awaiting"),
    path("van-bang/co-quan-cap/<int:pk>/cap-mot/", IssuerIssueOne.as_view(), name="issuer-issue-one"),
    path("van-bang/so-goc/", DiplomaList.as_view(), name="diploma-list"),
    path("van-bang/<int:pk>/", DiplomaDetail.as_view(), name="diploma-detail"),
    path("van-bang/<int:pk>/chinh-sua/", DiplomaCorrect.as_view(), name="diploma-correct"),
    path("van-bang/<int:pk>/cap-ban-sao/", DiplomaCopyCreate.as_view(), name="diploma-copy"),
    path("van-bang/<int:pk>/thu-hoi/", DiplomaRevoke.as_view(), name="diploma-revoke"),
    path("van-bang/ho-so-chinh-sua/<int:pk>/", DossierFileDownload.as_view(), name="dossierfile-download"),
    path("van-bang/cua-toi/", MyDiplomas.as_view(), name="my-diplomas"),
]
