"""HTML pages of module (b): professional-standard evaluation (Thông tư 20/2018) and
in-service training (bồi dưỡng thường xuyên, Thông tư 19/2019)."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role
from sms.accounts.scoping import visible_to
from sms.files.views import ScopedFileView
from sms.forms import ScopedModelForm
from sms.org.models import SchoolYear
from sms.shell.modules import ModulePage, register_page
from sms.views import (
    ActorMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ScopedUpdateView,
)

from .. import catalogue_tt20, rules, services
from ..filters_evaluation import EvaluationFilter, TrainingFilter
from ..models import CriterionRating, Evaluation, EvaluationStage, Rating, StaffRecord, TrainingPlan


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- evaluation ----------------------------------------------------------------------------------


class EvaluationList(ScopedListView):
    model = Evaluation
    required_action = "view"
    filterset_class = EvaluationFilter
    template_name = "teachers/evaluation_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "school_year", "staff")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actor = self.actor
        years = SchoolYear.objects.none()
        if (
            StaffRecord.objects.filter(user=actor.user, school_id=actor.unit_id).exists()
            and actor.role in Evaluation.scope.writers
        ):
            years = visible_to(actor, SchoolYear).filter(school_id=actor.unit_id, is_closed=False)
        context["start_years"] = years
        return context


class EvaluationStart(ActorMixin, generic.View):
    """Start (or reopen) the actor's own self-assessment of a school year."""

    model = Evaluation
    required_action = "add"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        raw = request.POST.get("school_year", "")
        year = visible_to(self.actor, SchoolYear).filter(pk=raw).first() if raw.isdigit() and len(raw) < 19 else None
        if year is None:
            messages.error(request, "Hãy chọn năm học.")
            return redirect("teachers:evaluation-list")
        try:
            evaluation = services.start_self_assessment(self.actor, year)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect("teachers:evaluation-list")
        return redirect(evaluation.get_absolute_url())


RATING_CHOICES = [("", "—"), *Rating.choices]


def _rows(evaluation):
    rows = []
    for rating in evaluation.ratings.all():
        rows.append(
            {
                "rating": rating,
                "title": catalogue_tt20.CRITERIA[rating.criterion],
                "standard": catalogue_tt20.STANDARD_OF_CRITERION[rating.criterion],
            }
        )
    return rows


class EvaluationDetail(ScopedDetailView):
    model = Evaluation
    template_name = "teachers/evaluation_detail.html"
    audit_reads = True

    def get_queryset(self):
        return super().get_queryset().select_related("school", "school_year", "staff__subject_group__leader")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ev, actor = self.object, self.actor
        rows = _rows(ev)
        standards = []
        for number, title in catalogue_tt20.STANDARDS.items():
            standards.append({"number": number, "title": title, "rows": [r for r in rows if r["standard"] == number]})
        context.update(
            standards=standards,
            rating_choices=RATING_CHOICES,
            may_self=services.may_self_assess(actor, ev),
            may_comment=services.may_group_comment(actor, ev),
            may_decide=services.may_decide(actor, ev),
            locked=ev.stage == EvaluationStage.DECIDED,
        )
        return context


class EvaluationStep(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """A POST that moves one evaluation one step (the form is on the detail page)."""

    model = Evaluation
    scope_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            self.step(request, self.object)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, self.success_message)
        return redirect(self.object.get_absolute_url())

    @staticmethod
    def ratings_from(post, prefix: str) -> dict[int, str]:
        return {c: post.get(f"{prefix}_{c}", "") for c in rules.CRITERIA if f"{prefix}_{c}" in post}


class EvaluationSelf(EvaluationStep):
    success_message = "Đã lưu phần tự đánh giá."

    def step(self, request, ev):
        notes = {c: request.POST.get(f"note_{c}", "") for c in rules.CRITERIA if f"note_{c}" in request.POST}
        services.save_self_ratings(self.actor, ev, self.ratings_from(request.POST, "self"), notes)
        if request.POST.get("submit"):
            services.submit_self_assessment(self.actor, ev)
            self.success_message = "Đã nộp phiếu tự đánh giá."


class EvaluationComment(EvaluationStep):
    success_message = "Đã ghi ý kiến của tổ chuyên môn."

    def step(self, request, ev):
        ratings = self.ratings_from(request.POST, "group")
        services.group_comment(self.actor, ev, request.POST.get("comment", ""), ratings)


class EvaluationDecide(EvaluationStep):
    success_message = "Đã quyết định xếp loại."

    def step(self, request, ev):
        services.decide(self.actor, ev, self.ratings_from(request.POST, "final"), request.POST.get("comment", ""))


class RatingEvidenceUpload(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """The teacher's evidence file for one criterion."""

    model = CriterionRating
    scope_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        rating = self.get_object()
        upload = request.FILES.get("evidence")
        if upload is None:
            messages.error(request, "Hãy chọn tệp minh chứng.")
        else:
            try:
                services.attach_evidence(self.actor, rating, upload)
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, f"Đã tải lên minh chứng cho tiêu chí {rating.criterion}.")
        return redirect(rating.get_absolute_url())


class RatingEvidence(ScopedFileView):
    model = CriterionRating
    file_field = "evidence"


class EvaluationSummary(ActorMixin, generic.TemplateView):
    """Count of decided evaluations per final level, per school and school year."""

    model = Evaluation
    template_name = "teachers/evaluation_summary.html"

    def get(self, request, *args, **kwargs):
        if self.actor.role not in ADMIN_ROLES | OVERSIGHT_ROLES:
            raise PermissionDenied("Chỉ lãnh đạo nhà trường, Phòng và Sở xem tổng hợp xếp loại.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        qs = visible_to(self.actor, Evaluation)
        years = sorted(set(qs.values_list("school_year__start_year", flat=True)), reverse=True)
        asked = self.request.GET.get("nam", "")
        year = int(asked) if asked.isdigit() and int(asked) in years else (years[0] if years else None)
        counts: dict = defaultdict(lambda: {"levels": dict.fromkeys(Rating.values, 0), "pending": 0, "total": 0})
        names = {}
        grouped = (
            qs.filter(school_year__start_year=year)
            .values("school_id", "school__name", "stage", "final_level")
            .annotate(n=Count("pk"))
        )
        for row in grouped:
            entry = counts[row["school_id"]]
            names[row["school_id"]] = row["school__name"]
            entry["total"] += row["n"]
            if row["stage"] == EvaluationStage.DECIDED and row["final_level"]:
                entry["levels"][row["final_level"]] += row["n"]
            else:
                entry["pending"] += row["n"]
        rows = [
            {"school": names[pk], **entry, "cells": [entry["levels"][v] for v in Rating.values]}
            for pk, entry in sorted(counts.items(), key=lambda item: names[item[0]])
        ]
        totals = [sum(r["cells"][i] for r in rows) for i in range(len(Rating.values))]
        context.update(
            years=years,
            year=year,
            levels=Rating.choices,
            rows=rows,
            totals=totals,
            total_pending=sum(r["pending"] for r in rows),
            total=sum(r["total"] for r in rows),
        )
        return context


# --- in-service training -------------------------------------------------------------------------


SCORED = "Kế hoạch đã có điểm kiểm tra, chỉ nhà trường được sửa."


def _scored(plan: TrainingPlan | None) -> bool:
    return (
        plan is not None
        and plan.pk is not None
        and any(score is not None for score in (plan.score1, plan.score2, plan.score3))
    )


class TrainingForm(ScopedModelForm):
    class Meta:
        model = TrainingPlan
        fields = [
            "school_year",
            "staff",
            "content1_periods",
            "content2_periods",
            "content3_periods",
            "content3_modules",
            "submitted_on",
            "score1",
            "score2",
            "score3",
        ]
        localized_fields = ["score1", "score2", "score3"]  # 7,5 (decimal comma)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        if actor.role not in ADMIN_ROLES:
            # A teacher plans their own training; the scores are entered by the school.
            self.fields["staff"].queryset = self.fields["staff"].queryset.filter(user=actor.user)
            for name in ("score1", "score2", "score3"):
                del self.fields[name]
        if self.instance.pk:
            self.fields["school_year"].disabled = True
            self.fields["staff"].disabled = True

    def clean(self):
        cleaned = super().clean()
        staff, year = cleaned.get("staff"), cleaned.get("school_year")
        if staff is not None and year is not None and staff.school_id != year.school_id:
            self.add_error("staff", "Giáo viên không thuộc trường của năm học này.")
        if self.actor.role not in ADMIN_ROLES and _scored(self.instance):
            raise forms.ValidationError(SCORED)
        return cleaned


def training_result(plan: TrainingPlan) -> str:
    periods = (plan.content1_periods, plan.content2_periods, plan.content3_periods)
    return rules.training_result(periods, (plan.score1, plan.score2, plan.score3))


class TrainingList(ScopedListView):
    model = TrainingPlan
    required_action = "view"
    filterset_class = TrainingFilter
    template_name = "teachers/training_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "school_year", "staff")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for plan in context["object_list"]:
            plan.result_label = rules.TRAINING_LABELS[training_result(plan)]
            plan.total_periods = plan.content1_periods + plan.content2_periods + plan.content3_periods
        return context


class TrainingDetail(ScopedDetailView):
    model = TrainingPlan
    template_name = "teachers/training_detail.html"
    fields = [
        "school",
        "school_year",
        "staff",
        "content1_periods",
        "content2_periods",
        "content3_periods",
        "content3_modules",
        "submitted_on",
        "score1",
        "score2",
        "score3",
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["result_label"] = rules.TRAINING_LABELS[training_result(self.object)]
        return context


class TrainingCreate(ScopedCreateView):
    model = TrainingPlan
    form_class = TrainingForm
    template_name = "teachers/training_form.html"
    success_message = "Đã lưu kế hoạch bồi dưỡng thường xuyên."


class TrainingUpdate(ScopedUpdateView):
    model = TrainingPlan
    form_class = TrainingForm
    template_name = "teachers/training_form.html"
    success_message = "Đã lưu kế hoạch bồi dưỡng thường xuyên."


urlpatterns = [
    path("danh-gia/", EvaluationList.as_view(), name="evaluation-list"),
    path("danh-gia/bat-dau/", EvaluationStart.as_view(), name="evaluation-start"),
    path("danh-gia/tong-hop/", EvaluationSummary.as_view(), name="evaluation-summary"),
    path("danh-gia/<int:pk>/", EvaluationDetail.as_view(), name="evaluation-detail"),
    path("danh-gia/<int:pk>/tu-danh-gia/", EvaluationSelf.as_view(), name="evaluation-self"),
    path("danh-gia/<int:pk>/to-gop-y/", EvaluationComment.as_view(), name="evaluation-comment"),
    path("danh-gia/<int:pk>/quyet-dinh/", EvaluationDecide.as_view(), name="evaluation-decide"),
    path("danh-gia/tieu-chi/<int:pk>/minh-chung/", RatingEvidence.as_view(), name="rating-evidence"),
    path("danh-gia/tieu-chi/<int:pk>/tai-minh-chung/", RatingEvidenceUpload.as_view(), name="rating-evidence-upload"),
    path("boi-duong/", TrainingList.as_view(), name="training-list"),
    path("boi-duong/them/", TrainingCreate.as_view(), name="training-create"),
    path("boi-duong/<int:pk>/", TrainingDetail.as_view(), name="training-detail"),
    path("boi-duong/<int:pk>/sua/", TrainingUpdate.as_view(), name="training-update"),
]

for _page in (
    ModulePage(
        "Đánh giá chuẩn nghề nghiệp",
        "teachers:evaluation-list",
        ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER},
        "Tự đánh giá, tổ góp ý, hiệu trưởng quyết định (Thông tư 20/2018).",
    ),
    ModulePage(
        "Tổng hợp xếp loại",
        "teachers:evaluation-summary",
        ADMIN_ROLES | OVERSIGHT_ROLES,
        "Số giáo viên theo mức xếp loại, theo trường và năm học.",
    ),
    ModulePage(
        "Bồi dưỡng thường xuyên",
        "teachers:training-list",
        ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER},
        "Kế hoạch 120 tiết/năm, điểm kiểm tra, kết quả (Thông tư 19/2019).",
    ),
):
    register_page("teachers", _page)
