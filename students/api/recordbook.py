"""API of module (a): the record book (học bạ). GET one learner's book as a PDF; POST to queue the class's
books as one PDF in the background (answers with the job). Same selector and job as the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from sms.accounts.scoping import get_visible_or_404
from sms.api.errors import django_validation_to_dict
from sms.api.viewsets import ScopedMixin
from sms.jobs.api.serializers import JobSerializer
from sms.jobs.services import enqueue
from sms.org.models import SchoolClass

from ..jobs_recordbook import MSG_NOT_PRINTER, RECORD_BOOKS_JOB, may_print_class
from ..models import Student
from ..reports import recordbook


class StudentRecordBook(ScopedMixin, APIView):
    """GET: the learner's record book (học bạ) as a PDF — only approved values; each download is logged."""

    queryset = Student.objects.all()

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Học bạ")})
    def get(self, request, pk):
        student = get_visible_or_404(self.actor, Student.objects.select_related("school"), pk)
        return recordbook.download(request, self.actor, student)


class ClassRecordBooks(ScopedMixin, APIView):
    """POST: queue the record books of the class as one PDF (principal, school admin, the homeroom teacher);
    answers 202 with the job (follow it at /api/jobs/<id>/, download at /api/jobs/<id>/download/)."""

    queryset = SchoolClass.objects.all()

    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request, pk):
        klass = get_visible_or_404(self.actor, SchoolClass.objects.all(), pk)
        if not may_print_class(self.actor, klass):
            raise PermissionDenied(MSG_NOT_PRINTER)
        try:
            job = enqueue(self.actor, RECORD_BOOKS_JOB, school_class=klass.pk)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_validation_to_dict(exc)) from None
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


routes: list = []
extra_urlpatterns = [
    path("students/<int:pk>/record-book/", StudentRecordBook.as_view(), name="student-record-book"),
    path("classes/<int:pk>/record-books/", ClassRecordBooks.as_view(), name="class-record-books"),
]
