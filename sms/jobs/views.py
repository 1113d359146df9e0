"""Following jobs: the list, one job (refreshing itself while it runs), its status as JSON,
and the form that queues a new one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views import generic

from sms.views import ScopedCreateView, ScopedDetailView, ScopedListView, ScopedObjectMixin

from . import services
from .forms import JobForm
from .models import Job
from .registry import kinds_for


def status_payload(job: Job) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": job.progress,
        "message": job.message,
        "error": job.error,
        "active": job.is_active,
        "download_url": job.output.get_absolute_url() if job.output_id else None,
    }


class JobList(ScopedListView):
    model = Job
    template_name = "jobs/job_list.html"
    paginate_by = 30

    def get_queryset(self):
        return super().get_queryset().select_related("created_by", "unit", "output")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = context["can_add"] and bool(kinds_for(self.actor))
        return context


class JobDetail(ScopedDetailView):
    model = Job
    template_name = "jobs/job_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("created_by", "unit", "output")


class JobStatus(ScopedObjectMixin, generic.DetailView):
    """The job's status as JSON, polled by the detail page while the job runs."""

    model = Job
    http_method_names = ["get", "head"]

    def get_queryset(self):
        return super().get_queryset().select_related("output")

    def render_to_response(self, context, **response_kwargs):
        response = JsonResponse(status_payload(self.object))
        response["Cache-Control"] = "no-store"
        return response


class JobCreate(ScopedCreateView):
    model = Job
    form_class = JobForm
    template_name = "jobs/job_form.html"

    def form_valid(self, form):
        try:
            job = services.enqueue(self.actor, form.cleaned_data["kind"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.form_invalid(form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        return redirect(job.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kinds"] = kinds_for(self.actor)
        return context
