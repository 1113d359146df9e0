"""HTML pages of the register on paper and in Excel: print and export an issuer's book, import a past register, print
a copy from the register.

Who. Printing or exporting a whole book (every holder's identity, a bulk export of personal data), importing a past
register into it and printing a copy from it are the work of who keeps the issuer's register
(``selectors.may_keep_register``: a registrar role — admins, Sở/Phòng staff, a school's leaders — acting in the
keeping unit or a unit above it; so the Sở and Phòng staff above a keeping unit print its books too). Staff who only
read some diplomas through the door (a teacher, the holder's school, a school reading a Sở's issuer) read them on
the register's pages (``exams:diploma-list``) and get a 403 with a Vietnamese message here; an issuer or a copy the
door does not show is a 404. The rows printed always come through the door as well.

Routes (object routes take the issuer's or the copy's id as ``pk``; the book is chosen by query parameters
``?loai=<thcs|thpt|completion>&nam=<calendar year>``, defaulting to the issuer's first type and the last year with
entries):

- ``exams:register-books``            /thi-tuyen-sinh/van-bang/so-goc/in-xuat-nhap/   "Sổ gốc: in, xuất, nhập"
- ``exams:issuer-register-pdf``       …/van-bang/co-quan-cap/<pk>/so-goc.pdf          the book, A4 landscape
- ``exams:issuer-register-xlsx``      …/van-bang/co-quan-cap/<pk>/so-goc.xlsx         the book and its copy book
- ``exams:issuer-register-import``    …/van-bang/co-quan-cap/<pk>/nhap-so-goc/        upload → dry run → confirm
- ``exams:issuer-register-template``  …/van-bang/co-quan-cap/<pk>/mau-nhap-so-goc.xlsx
- ``exams:diplomacopy-pdf``           …/van-bang/ban-sao/<pk>/ban-in.pdf              bản sao từ sổ gốc
- ``exams:diploma-pdf``               …/van-bang/<pk>/ban-in.pdf                      the diploma on its blank (POST)

Printed diplomas and copies carry a QR code: each printing mints a token of the diploma
(``exams.services.portal_diplomas.print_check_url``, listed with a revoke button on the diploma's page) whose URL opens
the diploma's public check page. Printing a diploma is a POST (the button on its page): it writes that token.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.audit.models import EventKind
from sms.audit.services import record
from sms.exports import pdf, xlsx
from sms.imports import ImportFlowView
from sms.shell.modules import ModulePage, register_page
from sms.views import ScopedListView, ScopedObjectMixin

from ..models import REGISTRARS, Diploma, DiplomaCopy, DiplomaCorrection, DiplomaKind, DiplomaStatus, Issuer
from ..register_import import MSG_COPY_NOT_KEEPER, MSG_NOT_KEEPER, RegisterImporter, past_kinds
from ..reports import diploma as diploma_reports
from ..reports import register as reports
from ..selectors import may_keep_register
from ..services import portal_diplomas
from ..services.register import kept_issuers

MSG_PRINT_NOT_KEEPER = "Chỉ cán bộ quản lý sổ gốc của cơ quan cấp văn bằng mới in được văn bằng."
MSG_PRINT_REVOKED = "Văn bằng đã bị thu hồi: không in lại văn bằng này."


def require_keeper(actor, issuer: Issuer, message: str = MSG_NOT_KEEPER) -> None:
    if not may_keep_register(actor, issuer):
        raise PermissionDenied(message)


def book_url(name: str, issuer_id: int, kind: str, year: int) -> str:
    return f"{reverse(name, kwargs={'pk': issuer_id})}?{urlencode({'loai': kind, 'nam': year})}"


# --- the registrars' page -----------------------------------------------------------------------------------------


class RegisterBooks(ScopedListView):
    """Sổ gốc: in, xuất, nhập — the issuers whose register the actor keeps, each with its books (type × calendar
    year: entries, revoked, copies) and the links to print, export and import; a form prints any other year."""

    model = Issuer
    template_name = "exams/register_reports/books.html"
    paginate_by = 20

    def get_queryset(self):
        self.filterset = None
        return kept_issuers(self.actor).order_by("unit__path", "name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        issuers = list(context["object_list"])
        ids = [i.pk for i in issuers]
        books: dict[tuple[int, str, int], dict] = {}
        counts = (
            visible_to(self.actor, Diploma)
            .filter(issuer_id__in=ids)
            .values("issuer_id", "kind", "year")
            .annotate(
                total=Count("pk"),
                revoked=Count("pk", filter=Q(status=DiplomaStatus.REVOKED)),
                imported=Count("pk", filter=Q(imported=True)),
            )
            .order_by()
        )
        for row in counts:
            key = (row["issuer_id"], row["kind"], row["year"])
            books[key] = {"total": row["total"], "revoked": row["revoked"], "imported": row["imported"], "copies": 0}
        copies = (
            visible_to(self.actor, DiplomaCopy)
            .filter(issuer_id__in=ids)
            .values("issuer_id", "kind", "year")
            .annotate(total=Count("pk"))
            .order_by()
        )
        for row in copies:
            key = (row["issuer_id"], row["kind"], row["year"])
            books.setdefault(key, {"total": 0, "revoked": 0, "imported": 0, "copies": 0})["copies"] = row["total"]
        order = {k: i for i, k in enumerate(DiplomaKind.values)}
        rows = []
        for issuer in issuers:
            mine = sorted(
                ((kind, year, data) for (pk, kind, year), data in books.items() if pk == issuer.pk),
                key=lambda b: (order.get(b[0], 99), -b[1]),
            )
            held = {kind for kind, _, _ in mine}
            rows.append(
                {
                    "issuer": issuer,
                    # the types it issues, and those it no longer issues whose books it holds
                    "kinds": [
                        (k, DiplomaKind(k).label) for k in DiplomaKind.values if k in (issuer.kinds or []) or k in held
                    ],
                    "books": [
                        {
                            "kind_display": DiplomaKind(kind).label,
                            "year": year,
                            **data,
                            "pdf_url": book_url("exams:issuer-register-pdf", issuer.pk, kind, year),
                            "xlsx_url": book_url("exams:issuer-register-xlsx", issuer.pk, kind, year),
                        }
                        for kind, year, data in mine
                    ],
                }
            )
        context.update(rows=rows, this_year=timezone.localdate().year)
        return context


# --- the book ---------------------------------------------------------------------------------------------------


class IssuerBookView(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """One book of one issuer (``?loai=&nam=``), for who keeps its register."""

    model = Issuer
    http_method_names = ["get", "head"]

    def get_queryset(self):
        return super().get_queryset().select_related("unit")

    def get(self, request, *args, **kwargs):
        issuer = self.get_object()
        require_keeper(self.actor, issuer)
        try:
            kind, year = reports.chosen_book(
                issuer, request.GET.get("loai"), request.GET.get("nam"), visible_to(self.actor, Diploma)
            )
        except reports.BadBook as bad:
            return render(
                request,
                "exams/register_reports/bad_book.html",
                {"issuer": issuer, "message": bad.message, "field": bad.field},
                status=400,
            )
        diplomas = reports.register_rows(visible_to(self.actor, Diploma).filter(issuer=issuer, kind=kind, year=year))
        # a bulk export of people's records: logged, naming the issuer, the book and the year
        record(
            EventKind.EXPORT,
            request=request,
            actor=self.actor,
            obj=issuer,
            detail=reports.book_detail(issuer, kind, year, self.format_name),
        )
        return self.document(issuer, kind, year, diplomas)

    format_name = ""

    def document(self, issuer, kind, year, diplomas):  # pragma: no cover - abstract
        raise NotImplementedError


class RegisterPdf(IssuerBookView):
    """The book as PDF (A4 landscape, "Trang k/n", the signer block)."""

    format_name = "PDF"

    def document(self, issuer, kind, year, diplomas):
        data = reports.register_pdf(issuer, kind, year, diplomas)
        return pdf.response(data, reports.register_filename(issuer, kind, year, "pdf"))


class RegisterXlsx(IssuerBookView):
    """The book as xlsx, one row per diploma, and the copy book of the same year as a second sheet."""

    format_name = "xlsx, kèm sổ cấp bản sao"

    def document(self, issuer, kind, year, diplomas):
        copies = list(
            visible_to(self.actor, DiplomaCopy)
            .filter(issuer=issuer, kind=kind, year=year)
            .select_related("diploma", "diploma__revocation")
            .order_by("number", "pk")
        )
        data = reports.register_xlsx(issuer, kind, year, diplomas, copies)
        return xlsx.response(data, reports.register_filename(issuer, kind, year, "xlsx"))


# --- a copy from the register -----------------------------------------------------------------------------------


class CopyPdf(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """Bản sao văn bằng từ sổ gốc, printable: for the register's keepers. A copy made before the diploma was revoked
    still prints (for the record), under the revocation."""

    model = DiplomaCopy
    http_method_names = ["get", "head"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("issuer", "issuer__unit", "diploma", "diploma__issuer", "diploma__revocation")
            .prefetch_related("diploma__corrections")
        )

    def get(self, request, *args, **kwargs):
        copy = self.get_object()
        require_keeper(self.actor, copy.issuer, MSG_COPY_NOT_KEEPER)
        with transaction.atomic():  # the printing's QR token exists only if the PDF was built
            check_url = portal_diplomas.print_check_url(self.actor, copy.diploma, copy=copy)
            data = reports.copy_pdf(copy, check_url=check_url)
        record(EventKind.EXPORT, request=request, actor=self.actor, obj=copy, detail=reports.copy_detail(copy))
        return pdf.response(data, reports.copy_filename(copy))


# --- one diploma on its blank --------------------------------------------------------------------------------------


class DiplomaPdf(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """The diploma as printed on its blank (A4 landscape) with the QR code of its check page, for the register's
    keepers: POST (the button on the diploma's page), as each printing writes its own QR token. A revoked diploma is
    not printed again: back to its page with the reason."""

    model = Diploma
    http_method_names = ["post"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("issuer", "issuer__unit")
            .prefetch_related(Prefetch("corrections", queryset=DiplomaCorrection.objects.order_by("made_at", "pk")))
        )

    def post(self, request, *args, **kwargs):
        diploma = self.get_object()
        require_keeper(self.actor, diploma.issuer, MSG_PRINT_NOT_KEEPER)
        if diploma.is_revoked:
            messages.error(request, MSG_PRINT_REVOKED)
            return redirect(diploma.get_absolute_url())
        with transaction.atomic():  # the printing's QR token exists only if the PDF was built
            check_url = portal_diplomas.print_check_url(self.actor, diploma)
            data = diploma_reports.diploma_pdf(diploma, check_url=check_url)
        record(
            EventKind.EXPORT,
            request=request,
            actor=self.actor,
            obj=diploma,
            detail=diploma_reports.diploma_detail(diploma),
        )
        return pdf.response(data, diploma_reports.diploma_filename(diploma))


# --- importing a past register ------------------------------------------------------------------------------------


class RegisterImport(ImportFlowView):
    """Nhập sổ gốc đã có (the flow of ``sms.imports``; the rules are ``exams.register_import``'s)."""

    model = Issuer
    required_action = None
    template_name = "exams/register_reports/import_upload.html"
    preview_template_name = "exams/register_reports/import_preview.html"
    result_template_name = "exams/register_reports/import_result.html"
    issuer = None

    def reach(self) -> None:
        self.issuer = get_visible_or_404(self.actor, Issuer.objects.select_related("unit"), self.kwargs.get("pk"))
        require_keeper(self.actor, self.issuer)

    def get(self, request, *args, **kwargs):
        self.reach()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.reach()
        return super().post(request, *args, **kwargs)

    def get_importer(self):
        return RegisterImporter(self.actor, self.request, issuer=self.issuer)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            issuer=self.issuer,
            kinds=[DiplomaKind(k).label for k in DiplomaKind.values if k in (self.issuer.kinds or [])],
            past_kinds=[DiplomaKind(k).label for k in past_kinds(self.issuer)],
            this_year=timezone.localdate().year,
            books_url=reverse("exams:register-books"),
        )
        result = context.get("result")
        if result:
            context["printed"] = [
                {
                    **b,
                    "pdf_url": book_url("exams:issuer-register-pdf", self.issuer.pk, b["kind"], b["year"]),
                    "xlsx_url": book_url("exams:issuer-register-xlsx", self.issuer.pk, b["kind"], b["year"]),
                }
                for b in result["books"]
            ]
        return context


class RegisterImportTemplate(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """The import's template (.xlsx) with its guide sheet."""

    model = Issuer
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        issuer = self.get_object()
        require_keeper(self.actor, issuer)
        importer = RegisterImporter(self.actor, request, issuer=issuer)
        record(EventKind.EXPORT, request=request, actor=self.actor, obj=issuer, detail=importer.template_detail)
        return xlsx.response(importer.template(), importer.template_filename)


# --- registration ---------------------------------------------------------------------------------------------------

register_page(
    "exams",
    ModulePage(
        "Sổ gốc: in, xuất, nhập",
        "exams:register-books",
        REGISTRARS,
        "In sổ gốc cấp văn bằng (PDF), xuất Excel kèm sổ cấp bản sao, nhập sổ gốc đã có từ tệp Excel.",
    ),
)

urlpatterns = [
    path("van-bang/so-goc/in-xuat-nhap/", RegisterBooks.as_view(), name="register-books"),
    path("van-bang/co-quan-cap/<int:pk>/so-goc.pdf", RegisterPdf.as_view(), name="issuer-register-pdf"),
    path("van-bang/co-quan-cap/<int:pk>/so-goc.xlsx", RegisterXlsx.as_view(), name="issuer-register-xlsx"),
    path("van-bang/co-quan-cap/<int:pk>/nhap-so-goc/", RegisterImport.as_view(), name="issuer-register-import"),
    path(
        "van-bang/co-quan-cap/<int:pk>/mau-nhap-so-goc.xlsx",
        RegisterImportTemplate.as_view(),
        name="issuer-register-template",
    ),
    path("van-bang/ban-sao/<int:pk>/ban-in.pdf", CopyPdf.as_view(), name="diplomacopy-pdf"),
    path("van-bang/<int:pk>/ban-in.pdf", DiplomaPdf.as_view(), name="diploma-pdf"),
]
