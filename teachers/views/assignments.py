"""HTML pages of module (b): teaching assignments, the load report and the teaching norms."""

from __future__ import annotations

from django.urls import path
from django.views import generic

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, STAFF_ROLES, Role, UnitKind
from sms.accounts.scoping import visible_to
from sms.exports import xlsx
from sms.forms import ScopedModelForm
from sms.org.models import Semester, Unit
from sms.shell.modules import ModulePage, register_page
from sms.views import ActorMixin, ScopedCreateView, ScopedDeleteView, ScopedDetailView, ScopedListView, ScopedUpdateView

from .. import load, rules
from ..catalogue import LEVEL_CHOICES
from ..filters_assignments import AssignmentFilter, NormFilter
from ..models import StaffStatus, TeachingAssignment, TeachingNorm


class AssignmentForm(ScopedModelForm):
    """Choices through the door: the actor's classes, subjects, semesters and working teachers;
    the school is taken from the class."""

    class Meta:
        model = TeachingAssignment
        fields = ["semester", "school_class", "subject", "teacher"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        f["semester"].queryset = (
            f["semester"].queryset.filter(school_year__is_closed=False).select_related("school_year")
        )
        f["school_class"].queryset = f["school_class"].queryset.filter(school_year__is_closed=False)
        f["subject"].queryset = f["subject"].queryset.filter(is_active=True)
        f["teacher"].queryset = f["teacher"].queryset.filter(status=StaffStatus.WORKING)


class AssignmentList(ScopedListView):
    model = TeachingAssignment
    filterset_class = AssignmentFilter
    template_name = "teachers/assignment_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("semester__school_year", "school_class__homeroom_teacher", "subject", "teacher", "school")
        )


class AssignmentDetail(ScopedDetailView):
    model = TeachingAssignment
    template_name = "teachers/assignment_detail.html"
    fields = ["school", "semester", "school_class", "subject", "teacher"]


class AssignmentCreate(ScopedCreateView):
    model = TeachingAssignment
    form_class = AssignmentForm
    success_message = "Đã phân công."


class AssignmentUpdate(ScopedUpdateView):
    model = TeachingAssignment
    form_class = AssignmentForm


class AssignmentDelete(ScopedDeleteView):
    model = TeachingAssignment
    template_name = "teachers/assignment_confirm_delete.html"
    success_url_name = "teachers:assignment-list"


# --- load report ---------------------------------------------------------------------------------


class LoadReport(ActorMixin, generic.TemplateView):
    """Assigned weekly periods against the norm, per teacher, for one school and semester."""

    model = TeachingAssignment
    required_action = "view"
    template_name = "teachers/load_report.html"

    def get(self, request, *args, **kwargs):
        self.pick()
        if self.semester is not None and request.GET.get("format") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def pick(self) -> None:
        actor = self.actor
        self.schools = visible_to(actor, Unit).filter(kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE]).order_by("name")
        if actor.unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRE):
            self.school = actor.unit
        else:
            self.school = self.schools.filter(pk=_int(self.request.GET.get("school"))).first()
        self.semesters = (
            visible_to(actor, Semester).filter(school=self.school).select_related("school", "school_year")
            if self.school
            else Semester.objects.none()
        ).order_by("-school_year__start_year", "number")
        wanted = _int(self.request.GET.get("semester"))
        self.semester = None
        if wanted is not None:
            self.semester = next((s for s in self.semesters if s.pk == wanted), None)
        if self.semester is None:
            current = [s for s in self.semesters if s.school_year.is_current]
            self.semester = (current or list(self.semesters) or [None])[0]
        self.rows = load.load_report(actor, self.semester) if self.semester else []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            schools=self.schools if self.actor.unit.kind not in (UnitKind.SCHOOL, UnitKind.CENTRE) else None,
            school=self.school,
            semesters=self.semesters,
            semester=self.semester,
            rows=self.rows,
            summary=[(rules.LOAD_LABELS[k], v) for k, v in load.summary(self.rows).items()],
        )
        return context

    def export(self):
        book = xlsx.Workbook()
        sheet = book.sheet(
            "Định mức tiết dạy",
            [
                ("Họ và tên", 28),
                ("Chức vụ", 18),
                ("Cấp học", 16),
                ("Lớp dạy", 24),
                ("Số tiết/tuần được phân công", 14),
                ("Định mức (tiết/tuần)", 12),
                ("Chênh lệch", 10),
                ("Tình trạng", 18),
                ("Căn cứ định mức", 28),
            ],
        )
        levels = dict(LEVEL_CHOICES)
        for row in self.rows:
            sheet.row(
                [
                    row.staff.full_name,
                    row.staff.get_position_display(),
                    levels.get(row.level, ""),
                    ", ".join(row.classes),
                    row.assigned,
                    row.norm,
                    row.difference,
                    row.status_label,
                    row.norm_source,
                ]
            )
        name = f"Định mức tiết dạy {self.school.name} {self.semester}.xlsx"
        return xlsx.response(book.save(), name)


def _int(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


# --- teaching norms ------------------------------------------------------------------------------


class NormForm(ScopedModelForm):
    class Meta:
        model = TeachingNorm
        fields = ["unit", "level", "position", "boarding", "periods_per_week", "teaching_weeks"]
        localized_fields = ["periods_per_week"]  # 17,5 (decimal comma)
        help_texts = {"unit": "Các trường thuộc đơn vị này (và cấp dưới) áp dụng định mức này."}


class NormList(ScopedListView):
    model = TeachingNorm
    filterset_class = NormFilter
    template_name = "teachers/norm_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["defaults"] = [
            ("Tiểu học", rules.TEACHER_WEEKLY["tieu_hoc"], rules.BOARDING_TEACHER_WEEKLY["tieu_hoc"]),
            ("Trung học cơ sở", rules.TEACHER_WEEKLY["thcs"], rules.BOARDING_TEACHER_WEEKLY["thcs"]),
            ("Trung học phổ thông", rules.TEACHER_WEEKLY["thpt"], rules.BOARDING_TEACHER_WEEKLY["thpt"]),
        ]
        context["leaders"] = rules.LEADER_WEEKLY
        return context


class NormDetail(ScopedDetailView):
    model = TeachingNorm
    template_name = "teachers/norm_detail.html"
    fields = ["unit", "level", "position", "boarding", "periods_per_week", "teaching_weeks"]


class NormCreate(ScopedCreateView):
    model = TeachingNorm
    form_class = NormForm


class NormUpdate(ScopedUpdateView):
    model = TeachingNorm
    form_class = NormForm


urlpatterns = [
    path("phan-cong/", AssignmentList.as_view(), name="assignment-list"),
    path("phan-cong/them/", AssignmentCreate.as_view(), name="assignment-create"),
    path("phan-cong/<int:pk>/", AssignmentDetail.as_view(), name="assignment-detail"),
    path("phan-cong/<int:pk>/sua/", AssignmentUpdate.as_view(), name="assignment-update"),
    path("phan-cong/<int:pk>/xoa/", AssignmentDelete.as_view(), name="assignment-delete"),
    path("dinh-muc-tiet-day/", LoadReport.as_view(), name="load-report"),
    path("dinh-muc/", NormList.as_view(), name="norm-list"),
    path("dinh-muc/them/", NormCreate.as_view(), name="norm-create"),
    path("dinh-muc/<int:pk>/", NormDetail.as_view(), name="norm-detail"),
    path("dinh-muc/<int:pk>/sua/", NormUpdate.as_view(), name="norm-update"),
]

for _page in (
    ModulePage("Phân công chuyên môn", "teachers:assignment-list", STAFF_ROLES, "Giáo viên × lớp × môn theo học kỳ."),
    ModulePage(
        "Báo cáo định mức tiết dạy",
        "teachers:load-report",
        ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER},
        "Số tiết/tuần so với định mức Thông tư 05/2025.",
    ),
    ModulePage("Định mức tiết dạy", "teachers:norm-list", ADMIN_ROLES | OVERSIGHT_ROLES, "Định mức theo cấp học."),
):
    register_page("teachers", _page)
