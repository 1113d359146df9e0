"""HTML pages of module (b): staff records, subject groups, movements, the staff import and
export, and the staff statistics of a school, a Phòng or the Sở."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, CharField, Count, Value, When
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views import generic

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, STAFF_ROLES, UnitKind
from sms.accounts.scoping import visible_to
from sms.exports import xlsx
from sms.imports import ImportFlowView, ImportTemplateView
from sms.org.models import Unit
from sms.shell.modules import ModulePage, register_page
from sms.views import (
    ActorMixin,
    ScopedCreateView,
    ScopedDeleteView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ScopedUpdateView,
)

from .. import catalogue, movements
from ..filters import AGE_BANDS, MovementFilter, StaffFilter, SubjectGroupFilter, age_band_q
from ..forms import MovementForm, StaffForm, SubjectGroupForm
from ..models import (
    Evaluation,
    QualificationLevel,
    Rating,
    StaffMovement,
    StaffRecord,
    StaffStatus,
    SubjectGroup,
    TeachingAssignment,
)
from ..resources import StaffImporter, export_rows

SCHOOL_KINDS = [UnitKind.SCHOOL, UnitKind.CENTRE]


# --- staff records ------------------------------------------------------------------------------


def _filtered_staff(request, actor):
    queryset = visible_to(actor, StaffRecord).select_related("school", "subject_group")
    filterset = StaffFilter(request.GET or None, queryset=queryset, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, queryset.none()
    return filterset, filterset.qs


class StaffList(ScopedListView):
    model = StaffRecord
    filterset_class = StaffFilter
    template_name = "teachers/staff_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "subject_group")


class StaffExport(ActorMixin, generic.View):
    """The filtered staff list as xlsx, in the columns of the import template."""

    model = StaffRecord
    required_action = "view"

    def get(self, request, *args, **kwargs):
        _, queryset = _filtered_staff(request, self.actor)
        return xlsx.response(export_rows(queryset), "danh-sach-can-bo.xlsx")


class StaffDetail(ScopedDetailView):
    model = StaffRecord
    template_name = "teachers/staff_detail.html"
    audit_reads = True
    fields = [
        "school",
        "staff_code",
        "full_name",
        "birth_date",
        "sex",
        "ethnicity",
        "personal_id",
        "phone",
        "email",
        "position",
        "subject_group",
        "qualification_level",
        "qualification_field",
        "rank_code",
        "employment_type",
        "started_on",
        "status",
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("school", "subject_group")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj, actor = self.object, self.actor
        context.update(
            subjects=list(obj.subjects.all()),
            assignments=visible_to(actor, TeachingAssignment)
            .filter(teacher=obj)
            .select_related("semester__school_year", "school_class", "subject", "school"),
            evaluations=visible_to(actor, Evaluation).filter(staff=obj).select_related("school_year", "school"),
            movements=visible_to(actor, StaffMovement).filter(staff=obj).select_related("to_school", "school"),
            can_move=visible_to(actor, StaffRecord, "change").filter(pk=obj.pk).exists(),
        )
        return context


class StaffCreate(ScopedCreateView):
    model = StaffRecord
    form_class = StaffForm
    template_name = "teachers/staff_form.html"
    success_message = "Đã thêm hồ sơ cán bộ."


class StaffUpdate(ScopedUpdateView):
    model = StaffRecord
    form_class = StaffForm
    template_name = "teachers/staff_form.html"


class StaffMovementRecord(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.FormView):
    """Record a transfer, leave, return or retirement of one person (teachers/movements.py)."""

    model = StaffRecord
    scope_action = "change"
    form_class = MovementForm
    template_name = "teachers/movement_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        self.object = self.get_object()
        return super(ScopedObjectMixin, self).dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.actor}

    def form_valid(self, form):
        data = form.cleaned_data
        service = movements.KIND_SERVICES[data["kind"]]
        extra = {"to_school": data["to_school"]} if data["kind"] == "transfer" else {}
        try:
            service(
                self.actor,
                self.object,
                effective_on=data["effective_on"],
                decision=data["decision"],
                note=data["note"],
                **extra,
            )
        except (ValidationError, PermissionDenied) as error:
            for message in getattr(error, "messages", [str(error)]):
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, "Đã ghi biến động cán bộ.")
        if visible_to(self.actor, StaffRecord).filter(pk=self.object.pk).exists():
            return redirect(self.object.get_absolute_url())
        return redirect("teachers:movement-list")


# --- subject groups ------------------------------------------------------------------------------


class GroupList(ScopedListView):
    model = SubjectGroup
    filterset_class = SubjectGroupFilter
    template_name = "teachers/group_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("school", "leader")
            .annotate(member_count=Count("members"))
            .order_by("school_id", "name")
        )


class GroupDetail(ScopedDetailView):
    model = SubjectGroup
    template_name = "teachers/group_detail.html"
    fields = ["school", "name", "leader"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = visible_to(self.actor, StaffRecord).filter(subject_group=self.object)
        context["subjects"] = list(self.object.subjects.all())
        return context


class GroupCreate(ScopedCreateView):
    model = SubjectGroup
    form_class = SubjectGroupForm
    template_name = "teachers/group_form.html"
    success_message = "Đã thêm tổ chuyên môn."


class GroupUpdate(ScopedUpdateView):
    model = SubjectGroup
    form_class = SubjectGroupForm
    template_name = "teachers/group_form.html"


class GroupDelete(ScopedDeleteView):
    model = SubjectGroup
    template_name = "teachers/group_confirm_delete.html"
    success_url_name = "teachers:group-list"


# --- movements ---------------------------------------------------------------------------------------


class MovementList(ScopedListView):
    model = StaffMovement
    filterset_class = MovementFilter
    template_name = "teachers/movement_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("staff", "school", "to_school")


class MovementDetail(ScopedDetailView):
    model = StaffMovement
    template_name = "teachers/movement_detail.html"
    fields = ["school", "staff", "kind", "to_school", "effective_on", "decision", "note", "recorded_by"]


# --- import --------------------------------------------------------------------------------------------


class StaffImport(ImportFlowView):
    model = StaffRecord
    importer_class = StaffImporter
    template_url_name = "teachers:staff-import-template"


class StaffImportTemplate(ImportTemplateView):
    model = StaffRecord
    importer_class = StaffImporter


# --- statistics ------------------------------------------------------------------------------------------


@dataclass
class Dimension:
    title: str
    columns: list[tuple[str, str]]
    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    rows: list[tuple[Unit, list[int], int]] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    total: int = 0


NONE = "__none__"


def _tabulate(dim: Dimension, schools) -> Dimension:
    keys = [k for k, _ in dim.columns]
    dim.rows = []
    for school in schools:
        counts = dim.counts.get(school.pk, {})
        values = [counts.get(k, 0) for k in keys]
        dim.rows.append((school, values, sum(values)))
    dim.totals = [sum(r[1][i] for r in dim.rows) for i in range(len(keys))]
    dim.total = sum(dim.totals)
    return dim


def _fill(dim: Dimension, rows, key: str) -> Dimension:
    for row in rows:
        value = row[key] if row[key] not in (None, "") else NONE
        dim.counts.setdefault(row["school"], {})[value] = row["n"]
    return dim


def staff_stats(actor, today=None) -> tuple[list[Unit], list[Dimension]]:
    """Counts of the staff in service (working or on leave) per school of the actor's reach, by
    qualification, rank, subject, age band, and the current year's evaluation level. A fixed
    number of queries whatever the number of schools."""
    today = today or timezone.localdate()
    schools = list(visible_to(actor, Unit).filter(kind__in=SCHOOL_KINDS).order_by("name"))
    staff = visible_to(actor, StaffRecord).filter(status__in=[StaffStatus.WORKING, StaffStatus.ON_LEAVE])
    unknown = (NONE, "Chưa khai")

    qual = _fill(
        Dimension("Theo trình độ đào tạo", [*QualificationLevel.choices, unknown]),
        staff.values("school", "qualification_level").annotate(n=Count("pk")).order_by(),
        "qualification_level",
    )
    used_ranks = staff.exclude(rank_code="").values_list("rank_code", flat=True).distinct().order_by()
    rank_labels = dict(catalogue.RANK_CHOICES)
    rank = _fill(
        Dimension(
            "Theo hạng chức danh nghề nghiệp", [(c, rank_labels[c]) for c in sorted(set(used_ranks))] + [unknown]
        ),
        staff.values("school", "rank_code").annotate(n=Count("pk")).order_by(),
        "rank_code",
    )
    subject_rows = list(staff.values("school", "subjects__name").annotate(n=Count("pk", distinct=True)).order_by())
    subject_names = sorted({r["subjects__name"] for r in subject_rows if r["subjects__name"]})
    subject = _fill(
        Dimension("Theo môn dạy", [(s, s) for s in subject_names] + [(NONE, "Chưa khai môn")]),
        subject_rows,
        "subjects__name",
    )
    band = Case(
        *[When(age_band_q(key, today), then=Value(key)) for key, _, _, _ in AGE_BANDS],
        default=Value(NONE),
        output_field=CharField(),
    )
    age = _fill(
        Dimension("Theo độ tuổi", [(k, label) for k, label, _, _ in AGE_BANDS] + [(NONE, "Chưa có ngày sinh")]),
        staff.annotate(band=band).values("school", "band").annotate(n=Count("pk")).order_by(),
        "band",
    )
    evaluation = _fill(
        Dimension("Xếp loại chuẩn nghề nghiệp năm học hiện tại", list(Rating.choices)),
        visible_to(actor, Evaluation)
        .filter(school_year__is_current=True)
        .exclude(final_level="")
        .values("school", "final_level")
        .annotate(n=Count("pk"))
        .order_by(),
        "final_level",
    )
    dims = [qual, rank, subject, age, evaluation]
    return schools, [_tabulate(d, schools) for d in dims]


class StaffStats(ActorMixin, generic.TemplateView):
    """Thống kê đội ngũ: a school sees itself, a Phòng/Sở every school of its subtree."""

    model = StaffRecord
    required_action = "view"
    template_name = "teachers/stats.html"

    def get(self, request, *args, **kwargs):
        if self.actor.role not in ADMIN_ROLES | OVERSIGHT_ROLES:
            raise PermissionDenied("Chỉ lãnh đạo nhà trường, Phòng và Sở xem thống kê đội ngũ.")
        self.schools, self.dims = staff_stats(self.actor)
        if request.GET.get("format") == "xlsx":
            return xlsx.response(self.workbook(), "thong-ke-doi-ngu.xlsx")
        return super().get(request, *args, **kwargs)

    def workbook(self) -> bytes:
        book = xlsx.Workbook()
        for index, dim in enumerate(self.dims, start=1):
            sheet = book.sheet(f"Bảng {index}", [("Trường", 36), *[(label, 14) for _, label in dim.columns], "Tổng"])
            for school, values, total in dim.rows:
                sheet.row([school.name, *values, total])
            sheet.row(["Tổng cộng", *dim.totals, dim.total])
        return book.save()

    def get_context_data(self, **kwargs):
        return super().get_context_data(schools=self.schools, dims=self.dims, **kwargs)


urlpatterns = [
    path("can-bo/", StaffList.as_view(), name="staff-list"),
    path("can-bo/them/", StaffCreate.as_view(), name="staff-create"),
    path("can-bo/xuat.xlsx", StaffExport.as_view(), name="staff-export"),
    path("can-bo/nhap/", StaffImport.as_view(), name="staff-import"),
    path("can-bo/nhap/mau.xlsx", StaffImportTemplate.as_view(), name="staff-import-template"),
    path("can-bo/thong-ke/", StaffStats.as_view(), name="staff-stats"),
    path("can-bo/<int:pk>/", StaffDetail.as_view(), name="staff-detail"),
    path("can-bo/<int:pk>/sua/", StaffUpdate.as_view(), name="staff-update"),
    path("can-bo/<int:pk>/bien-dong/", StaffMovementRecord.as_view(), name="staff-movement"),
    path("to-chuyen-mon/", GroupList.as_view(), name="group-list"),
    path("to-chuyen-mon/them/", GroupCreate.as_view(), name="group-create"),
    path("to-chuyen-mon/<int:pk>/", GroupDetail.as_view(), name="group-detail"),
    path("to-chuyen-mon/<int:pk>/sua/", GroupUpdate.as_view(), name="group-update"),
    path("to-chuyen-mon/<int:pk>/xoa/", GroupDelete.as_view(), name="group-delete"),
    path("bien-dong/", MovementList.as_view(), name="movement-list"),
    path("bien-dong/<int:pk>/", MovementDetail.as_view(), name="movement-detail"),
]

for _page in (
    ModulePage("Hồ sơ cán bộ", "teachers:staff-list", STAFF_ROLES, "Danh sách, lọc, xuất và nhập Excel."),
    ModulePage("Tổ chuyên môn", "teachers:group-list", STAFF_ROLES, "Tổ chuyên môn, tổ trưởng, môn học."),
    ModulePage("Biến động cán bộ", "teachers:movement-list", STAFF_ROLES, "Chuyển công tác, tạm nghỉ, nghỉ hưu."),
    ModulePage(
        "Thống kê đội ngũ",
        "teachers:staff-stats",
        ADMIN_ROLES | OVERSIGHT_ROLES,
        "Theo trình độ, hạng, môn dạy, độ tuổi, xếp loại; theo từng trường.",
    ),
):
    register_page("teachers", _page)
