"""Pages of module (a): the record book (học bạ). One learner's book as a PDF (each read logged, like the
learner's record), and a class's books printed in the background as one PDF."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.jobs.services import enqueue
from sms.org.models import SchoolClass
from sms.views import ScopedObjectMixin

from ..jobs_recordbook import MSG_NOT_PRINTER, RECORD_BOOKS_JOB, class_student_ids, may_print_class
from ..models import Student
from ..reports import recordbook


class StudentRecordBookPdf(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """Học bạ của một học sinh (PDF): the learner through the Student door; each download is logged."""

    model = Student
    http_method_names = ["get"]

    def get_queryset(self):
        return super().get_queryset().select_related("school")

    def get(self, request, *args, **kwargs):
        return recordbook.download(request, self.actor, self.get_object())


class ClassRecordBooks(ScopedObjectMixin, SingleObjectMixin, generic.TemplateView):
    """In học bạ cả lớp: a short page with a button; the POST queues the background job and goes to its page."""

    model = SchoolClass
    template_name = "students/recordbook_class.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school_year", "school", "homeroom_teacher")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = klass = self.get_object()
        if not may_print_class(self.actor, klass):
            raise PermissionDenied(MSG_NOT_PRINTER)
        try:
            job = enqueue(self.actor, RECORD_BOOKS_JOB, school_class=klass.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("students:recordbook-class", pk=klass.pk)
        messages.success(request, f"Đã tạo tác vụ in học bạ lớp {klass.name}; theo dõi tiến độ và tải tệp tại đây.")
        return redirect(job.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        klass, actor = self.object, self.actor
        may_print = may_print_class(actor, klass)
        context.update(
            klass=klass,
            may_print=may_print,
            learners=len(class_student_ids(actor, klass)) if may_print else None,
        )
        return context


urlpatterns = [
    path("ho-so/<int:pk>/hoc-ba.pdf", StudentRecordBookPdf.as_view(), name="recordbook-pdf"),
    path("lop/<int:pk>/hoc-ba/", ClassRecordBooks.as_view(), name="recordbook-class"),
]
