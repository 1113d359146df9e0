"""API of module (a): families (issue 6). ``extra_urlpatterns`` only (no viewsets):

* ``GET family/``: the learner's (or parent's children's) years with the published period results;
* ``GET family/<pk>/?year=2026`` (pk = Student): one child's year — scores, averages (ISO decimals,
  plus the Vietnamese display text), conduct, absences, outcome, title; a learner not theirs is a 404;
* ``GET classes/<pk>/family-accounts/``: the preview; ``POST``: create the accounts (201 with counts and
  the slips file URL, or 202 with the background job);
* ``POST classes/<pk>/family-accounts/reissue/`` {"accounts": ["s12", "g34"]}: new temporary passwords.

Every answer comes from the same service as the pages (students.services.families).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.resources import login_address
from sms.accounts.scoping import get_visible_or_404
from sms.api.viewsets import ScopedMixin
from sms.jobs.services import enqueue
from sms.org.models import SchoolClass

from .. import jobs_families
from ..models import Student
from ..services import families as service


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _learner(actor) -> None:
    try:
        service.check_learner(actor)
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None


class FamilyOverview(ScopedMixin, APIView):
    """GET: the learner themself, or each child of the parent, with their school years and the period
    results published so far (learning, conduct, outcome, title)."""

    queryset = Student.objects.all()

    @extend_schema(operation_id="students_family_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        _learner(self.actor)
        return Response({"children": service.years_overview(self.actor)})


class FamilyChild(ScopedMixin, APIView):
    """GET: one child's school year as the family sees it (``?year=`` the start year; default the latest)."""

    queryset = Student.objects.all()

    @extend_schema(
        parameters=[OpenApiParameter("year", int, description="Năm bắt đầu của năm học, ví dụ 2026.")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk):
        student = get_visible_or_404(self.actor, Student, pk)
        _learner(self.actor)
        raw = request.query_params.get("year", "")
        start_year = int(raw) if raw.isdigit() and len(raw) == 4 else None
        return Response(_jsonable(service.child_record(self.actor, student, start_year)))


def _plan_data(plan) -> dict:
    def rows(accounts):
        return [
            {
                "role": a.kind,
                "full_name": a.full_name,
                "relation": a.relation,
                "learners": a.learners,
                "username": a.username,
                "note": a.note,
                "needs_membership": a.needs_membership,
            }
            for a in accounts
        ]

    return {
        "counts": plan.counts(),
        "new": rows(plan.new),
        "linked": rows(plan.linked),
        "existing": rows(plan.existing),
        "skipped": rows(plan.skipped),
    }


def _class_for(view, pk) -> SchoolClass:
    klass = get_visible_or_404(view.actor, SchoolClass.objects.select_related("school", "school_year"), pk)
    if not service.may_manage(view.actor, klass):
        raise PermissionDenied(service.NOT_MANAGER)
    return klass


class FamilyAccounts(ScopedMixin, APIView):
    """GET: who gets an account, who has one, who is skipped and why (nothing written). POST: create them
    (principal, school admin): 201 with counts and the private slips file URL (24 hours, only yours), or
    202 with the background job when more than a few passwords are to be made."""

    queryset = SchoolClass.objects.all()

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk):
        klass = _class_for(self, pk)
        return Response(_plan_data(service.plan_accounts(self.actor, klass)))

    @extend_schema(request=None, responses={201: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        klass = _class_for(self, pk)
        plan = service.plan_accounts(self.actor, klass)
        site = login_address(request)
        if len(plan.new) > service.INLINE_LIMIT:
            job = enqueue(self.actor, jobs_families.CREATE_JOB, school_class=klass.pk, site=site)
            return Response(
                {"job": job.pk, "job_url": job.get_absolute_url(), "counts": plan.counts()},
                status=status.HTTP_202_ACCEPTED,
            )
        result = service.create_accounts(self.actor, klass, site=site, request=request)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


class ReissueSerializer(serializers.Serializer):
    accounts = serializers.ListField(
        child=serializers.RegexField(r"^[sg][0-9]{1,19}$"),
        allow_empty=False,
        max_length=500,
        help_text=(
            "Tài khoản của lớp: “s<id học sinh>” hoặc “g<id dòng cha mẹ / người giám hộ>” "
            "(như trong danh sách cấp lại)."
        ),
    )


class FamilyReissue(ScopedMixin, APIView):
    """POST {"accounts": [...]}: new temporary passwords for chosen accounts of the class (principal,
    school admin): 201 with the slips file URL, or 202 with the background job."""

    queryset = SchoolClass.objects.all()

    @extend_schema(request=ReissueSerializer, responses={201: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        klass = _class_for(self, pk)
        data = ReissueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        keys = data.validated_data["accounts"]
        chosen = service.pick_holders(self.actor, klass, keys)
        site = login_address(request)
        if len(chosen) > service.INLINE_LIMIT:
            job = enqueue(self.actor, jobs_families.REISSUE_JOB, school_class=klass.pk, accounts=keys, site=site)
            return Response({"job": job.pk, "job_url": job.get_absolute_url()}, status=status.HTTP_202_ACCEPTED)
        result = service.reissue_passwords(self.actor, klass, keys, site=site, request=request)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


routes: list = []
extra_urlpatterns = [
    path("family/", FamilyOverview.as_view(), name="family"),
    path("family/<int:pk>/", FamilyChild.as_view(), name="family-child"),
    path("classes/<int:pk>/family-accounts/", FamilyAccounts.as_view(), name="class-family-accounts"),
    path("classes/<int:pk>/family-accounts/reissue/", FamilyReissue.as_view(), name="class-family-reissue"),
]
