"""Pages of module (a): opening a new school year (issue 6, point 5).

``nam-hoc-moi/``: the school's principal or admin sees the preview of opening the year after the
current one (writes nothing) and confirms it (POST); Sở/Phòng and the school's leaders see the
openings already done. ``nam-hoc-moi/<pk>/``: one opening — its summary, the class mapping, the
learners left without a decision and the copied teaching assignments to review. Both call
students.services.newyear, the same functions the API calls.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import generic

from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.org.models import SchoolYear
from sms.shell.modules import ModulePage, register_page
from sms.views import ActorMixin, ScopedDetailView
from teachers.selectors import assignments_visible_to

from ..models import SCHOOL_WRITERS, YearOpening
from ..services import newyear as service


def _messages(exc: ValidationError) -> list[str]:
    return list(exc.messages)


class YearOpeningPage(ActorMixin, generic.TemplateView):
    """GET: the preview for the actor's school's current year (leaders) and the openings done (everyone
    who reads them); POST: confirm."""

    model = YearOpening
    required_action = "view"
    template_name = "students/newyear_preview.html"

    def current_year(self):
        if self.actor.role not in SCHOOL_WRITERS:
            return None
        return (
            visible_to(self.actor, SchoolYear)
            .filter(school_id=self.actor.unit_id, is_current=True)
            .select_related("school")
            .first()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = kwargs.get("year", self.current_year())
        plan, errors = kwargs.get("plan"), list(kwargs.get("errors", []))
        leader = year is not None and service.is_leader_of(self.actor, year.school_id)
        if leader and plan is None:
            try:
                plan = service.preview(self.actor, year)
            except ValidationError as exc:
                errors += _messages(exc)
        openings = (
            visible_to(self.actor, YearOpening)
            .select_related("school", "from_year", "to_year", "opened_by")
            .order_by("-opened_at", "-pk")[:100]
        )
        context.update(
            year=year,
            leader=leader,
            plan=plan,
            data=plan.as_dict() if plan is not None else None,
            errors=errors,
            openings=openings,
            allow_pending_label=service.ALLOW_PENDING_LABEL,
            allow_pending=kwargs.get("allow_pending", False),
        )
        return context

    def post(self, request, *args, **kwargs):
        year = get_visible_or_404(
            self.actor, SchoolYear.objects.select_related("school"), request.POST.get("school_year"), "change"
        )
        allow = request.POST.get("allow_pending") == "on"
        try:
            opening = service.open_year(self.actor, year, allow_pending=allow)
        except ValidationError as exc:
            context = self.get_context_data(year=year, errors=_messages(exc), allow_pending=allow)
            return self.render_to_response(context, status=400)
        counts = opening.summary.get("counts", {})
        messages.success(
            request,
            f"Đã mở năm học {opening.to_year}: {counts.get(service.PROMOTE, 0)} học sinh lên lớp, "
            f"{counts.get(service.REPEAT, 0)} ở lại lớp, {counts.get(service.GRADUATE, 0)} ra trường; "
            f"năm học {opening.from_year} đã khoá sổ. Hãy xem lại phân công chuyên môn và giáo viên chủ nhiệm.",
        )
        return redirect(opening.get_absolute_url())


class YearOpeningDetail(ScopedDetailView):
    """One opening: counts, class mapping, learners without a decision, assignments copied for review."""

    model = YearOpening
    template_name = "students/newyear_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "from_year", "to_year", "opened_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        opening = self.object
        summary = opening.summary or {}
        created = (summary.get("assignments") or {}).get("created_ids") or []
        assignments = (
            assignments_visible_to(self.actor)
            .filter(pk__in=created, semester__number=1)
            .order_by("school_class__grade", "school_class__name", "subject__name")
            if created
            else []
        )
        context.update(
            summary=summary,
            counts=summary.get("counts", {}),
            assignments=assignments,
            assignment_list_url=reverse("teachers:assignment-list") + f"?school_year={opening.to_year_id}",
        )
        return context


urlpatterns = [
    path("nam-hoc-moi/", YearOpeningPage.as_view(), name="year-opening"),
    path("nam-hoc-moi/<int:pk>/", YearOpeningDetail.as_view(), name="year-opening-detail"),
]

register_page(
    "students",
    ModulePage(
        "Mở năm học mới",
        "students:year-opening",
        SCHOOL_WRITERS,
        "Xét lên lớp theo kết quả cả năm, tạo lớp năm học mới, sao chép kế hoạch môn học và phân công, "
        "khoá sổ năm học cũ.",
    ),
)
