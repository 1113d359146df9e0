"""HTML view bases: every object and list reaches the user through the scoping door."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import generic

from sms.accounts.scoping import Action, can, scope_of, visible_to


def role_may(actor, model, action: Action) -> bool:
    """Whether the actor's role may ``action`` rows of ``model`` at all (before any row)."""
    return actor is not None and actor.role in scope_of(model).roles_for(action)


class ActorMixin:
    """The request's actor (user + active membership); a user with no membership, or whose
    role may not ``required_action`` this model, gets a 403 page."""

    required_action: Action | None = None

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        if self.required_action and not role_may(self.actor, self.model, self.required_action):
            raise PermissionDenied("Bạn không có quyền thực hiện thao tác này.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = getattr(self, "model", None)
        context["can_add"] = model is not None and role_may(self.actor, model, "add")
        return context


class ScopedObjectMixin(ActorMixin):
    """``get_queryset`` through the door for ``scope_action``; anything else is a 404."""

    scope_action: Action = "view"

    def get_queryset(self):
        return visible_to(self.actor, super().get_queryset(), self.scope_action)

    def get_object(self, queryset=None):
        try:
            return super().get_object(queryset)
        except (ValueError, OverflowError):
            raise Http404("Không tìm thấy.") from None
        except Http404:
            if self.scope_action != "view":
                readable = visible_to(self.actor, self.model, "view").filter(pk=self.kwargs.get("pk"))
                if readable.exists():
                    raise PermissionDenied("Bạn không có quyền sửa mục này.") from None
            raise Http404("Không tìm thấy.") from None


class ScopedListView(ScopedObjectMixin, generic.ListView):
    """A list with the app's FilterSet (the same one the API uses) and pagination."""

    paginate_by = 50
    filterset_class = None
    template_name = "sms/object_list.html"
    columns: list[tuple[str, str]] = []  # (attribute, heading)

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = None
        if self.filterset_class is None:
            return queryset
        self.filterset = self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
        return self.filterset.qs if self.filterset.is_bound is False or self.filterset.is_valid() else queryset.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(filter=self.filterset, columns=self.columns, model_meta=self.model._meta)
        return context


class ScopedDetailView(ScopedObjectMixin, generic.DetailView):
    template_name = "sms/object_detail.html"
    fields: list[str] = []
    #: a person's record: each view of it is logged (``RECORD_READ``, once per request)
    audit_reads: bool = False

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if self.audit_reads:
            from sms.audit.services import record_read

            record_read(self.request, obj, actor=self.actor)
        return obj

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.object
        rows = []
        for name in self.fields:
            field = obj._meta.get_field(name)
            display = getattr(obj, f"get_{name}_display", None)
            rows.append((field.verbose_name, display() if display else getattr(obj, name)))
        context.update(rows=rows, model_meta=obj._meta, can_change=can(self.actor, "change", obj))
        return context


class ScopedFormMixin:
    success_message = "Đã lưu."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(actor=self.actor, action=self.scope_action)
        return kwargs

    def form_valid(self, form):
        # The row as saved must be one the door lets the actor write (a relation picked from
        # what one may only read, or a narrowed role writing outside its narrowing): otherwise
        # nothing is saved.
        with transaction.atomic():
            response = super().form_valid(form)
            if not can(self.actor, self.scope_action, self.object):
                raise PermissionDenied("Bạn không có quyền lưu mục này.")
        messages.success(self.request, self.success_message)
        return response

    def get_success_url(self):
        return self.object.get_absolute_url() if hasattr(self.object, "get_absolute_url") else reverse("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["model_meta"] = self.model._meta
        return context


class ScopedCreateView(ActorMixin, ScopedFormMixin, generic.CreateView):
    scope_action: Action = "add"
    required_action: Action = "add"
    template_name = "sms/object_form.html"


class ScopedUpdateView(ScopedObjectMixin, ScopedFormMixin, generic.UpdateView):
    scope_action: Action = "change"
    template_name = "sms/object_form.html"


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    scope_action: Action = "delete"
    template_name = "sms/object_confirm_delete.html"
    success_url_name = "home"

    def form_valid(self, form):
        try:
            self.object.delete()
        except ProtectedError:
            messages.error(self.request, "Không thể xoá vì dữ liệu này đang được sử dụng ở nơi khác.")
            return redirect(self.object.get_absolute_url())
        messages.success(self.request, "Đã xoá.")
        return redirect(reverse(self.success_url_name))
