"""Pages of module (a): oversight for Sở/Phòng and a school's leaders (issue 6, point 4) — grade-entry
completion per school (and, for one school, per class and subject: who has not submitted, by
deadline) and the distributions of approved learning and conduct results per school and grade, each
with an xlsx export (``?xlsx=1``). The numbers come from students.stats, through the door."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.urls import path
from django.views import generic

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, SCHOOL_LEVEL_KINDS
from sms.accounts.scoping import get_visible_or_404
from sms.exports import xlsx
from sms.org.models import Unit
from sms.shell.modules import ModulePage, register_page
from sms.text import midsentence
from sms.views import ActorMixin

from .. import stats
from ..reports import oversight as workbooks

PER_PAGE = 50


class OversightPage(ActorMixin, generic.TemplateView):
    """The actor must be one of the unit's leaders or Sở/Phòng staff; the GET parameters are read
    by ``stats.OversightQuery`` (choices through the door)."""

    def get(self, request, *args, **kwargs):
        stats.require_overseer(self.actor)
        self.query = stats.OversightQuery(request.GET, request=request, actor=self.actor)
        return super().get(request, *args, **kwargs)

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get("xlsx") and not self.query.errors:
            return self.export(context)
        return super().render_to_response(context, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            form=self.query,
            at_school=self.actor.unit.kind in SCHOOL_LEVEL_KINDS,
            query_error=self.query.error_text() if self.query.errors else "",
        )
        return context


class Completion(OversightPage):
    """Tình hình nhập điểm: per school, the expected sheets of a semester by stage, % approved and
    sheets overdue; per grade; sortable by % approved; ``chua_nop`` keeps the schools that still have
    unsubmitted sheets."""

    template_name = "students/oversight_completion.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        q = self.query
        report = stats.completion_report(self.actor, q.year, q.semester, within=q.within)
        rows = report.schools
        if q.unsubmitted_only:
            rows = [r for r in rows if r.completion.unsubmitted]
        rows = stats.sort_schools(rows, q.sort)
        self.report, self.rows = report, rows
        page = Paginator(rows, PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            report=report,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            school_rows=page.object_list,
            stage_labels=[stats.STAGE_LABELS[s] for s in stats.STAGES],
            semester_label=workbooks.semester_label(report.semester),
        )
        return context

    def export(self, context):
        q = self.query
        lines = stats.sheet_lines(self.actor, q.year, q.semester, within=q.within, unsubmitted_only=True)
        report = stats.CompletionReport(**{**self.report.__dict__, "schools": self.rows})
        data = workbooks.completion_workbook(report, lines)
        name = f"Tình hình nhập điểm {midsentence(context['semester_label'])} {q.year}-{q.year + 1}.xlsx"
        return xlsx.response(data, name)


class CompletionSchool(OversightPage):
    """One school's expected sheets of a semester, class by class: subject, teacher, stage, last change,
    deadline and "quá hạn"; ``chua_nop`` keeps the sheets not submitted yet. A school outside the
    actor's reach is a 404."""

    model = Unit
    template_name = "students/oversight_completion_school.html"

    def get(self, request, *args, **kwargs):
        # the door first: another school (or a learner's reach) is a 404 before any role question
        self.school = get_visible_or_404(
            self.actor, Unit.objects.filter(kind__in=SCHOOL_LEVEL_KINDS).select_related("parent"), kwargs["pk"]
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        q = self.query
        lines = stats.sheet_lines(
            self.actor, q.year, q.semester, school=self.school, unsubmitted_only=q.unsubmitted_only
        )
        classes = stats.by_class(lines)
        total = stats.Completion()
        for klass in classes:
            total.merge(klass.completion)
        self.classes = classes
        context.update(
            school=self.school,
            classes=classes,
            total=total,
            year=q.year,
            semester=q.semester,
            semester_label=workbooks.semester_label(q.semester),
            stage_labels=[stats.STAGE_LABELS[s] for s in stats.STAGES],
        )
        return context

    def export(self, context):
        q = self.query
        data = workbooks.school_workbook(self.school, self.classes)
        name = f"Nhập điểm {self.school.name} {midsentence(context['semester_label'])} {q.year}-{q.year + 1}.xlsx"
        return xlsx.response(data, name)


class Results(OversightPage):
    """Kết quả học tập và rèn luyện đã duyệt: counts and percentages of each level per school and per
    grade for a period (HK I, HK II, cả năm), results not approved yet shown apart."""

    template_name = "students/oversight_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        q = self.query
        report = stats.results_report(self.actor, q.year, q.period, within=q.within)
        self.report = report
        page = Paginator(report.schools, PER_PAGE).get_page(self.request.GET.get("page"))
        shown = {s.pk for s in page.object_list}
        tables = [{"table": t, "schools": [r for r in t.schools if r.key in shown]} for t in report.tables]
        context.update(
            report=report,
            tables=tables,
            page_obj=page,
            is_paginated=page.has_other_pages(),
        )
        return context

    def export(self, context):
        q = self.query
        data = workbooks.results_workbook(self.report)
        name = f"Kết quả học tập và rèn luyện {midsentence(self.report.period_label)} {q.year}-{q.year + 1}.xlsx"
        return xlsx.response(data, name)


urlpatterns = [
    path("tong-hop/nhap-diem/", Completion.as_view(), name="oversight-completion"),
    path("tong-hop/nhap-diem/truong/<int:pk>/", CompletionSchool.as_view(), name="oversight-completion-school"),
    path("tong-hop/ket-qua/", Results.as_view(), name="oversight-results"),
]

for _page in (
    ModulePage(
        "Tổng hợp tình hình nhập điểm",
        "students:oversight-completion",
        ADMIN_ROLES | OVERSIGHT_ROLES,
        "Số bảng điểm phải nhập, đã gửi, đã duyệt và quá hạn theo trường, lớp, môn; xuất Excel.",
    ),
    ModulePage(
        "Tổng hợp kết quả học tập và rèn luyện",
        "students:oversight-results",
        ADMIN_ROLES | OVERSIGHT_ROLES,
        "Phân bố mức kết quả học tập, rèn luyện đã duyệt theo trường và khối; xuất Excel.",
    ),
):
    register_page("students", _page)
