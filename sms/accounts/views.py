from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import generic
from django.views.decorators.http import require_POST
from django.views.generic.detail import SingleObjectMixin

from sms.audit.services import EventKind, record
from sms.exports import pdf
from sms.imports import ImportFlowView, ImportTemplateView
from sms.views import ScopedDetailView, ScopedListView, ScopedObjectMixin, role_may

from .actors import SESSION_KEY, actor_for_membership_id
from .filters import AccountFilter
from .forms import LoginForm, SmsPasswordChangeForm
from .models import Membership
from .resources import AccountImporter, login_address
from .scoping import can, visible_to
from .services import check_can_reset, reset_password
from .slips import Slip, build_slips


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_POST
def switch_unit(request):
    """Act in another of one's own memberships (the unit switcher). A membership that is not
    the user's own is refused exactly like one that does not exist."""
    actor = actor_for_membership_id(request.POST.get("membership"), user=request.user)
    if actor is None:
        messages.error(request, "Không tìm thấy vai trò này trong tài khoản của bạn.")
    else:
        request.session[SESSION_KEY] = actor.membership.pk
        messages.success(request, f"Bạn đang làm việc với vai trò {actor.membership.label}.")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return HttpResponseRedirect(target)


# --- password change ------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone logged in changes their own password here; the session stays open, and an
    initial or reset password is no longer forced here afterwards."""

    form_class = SmsPasswordChangeForm
    template_name = "accounts/password_change.html"

    def get_success_url(self):
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return reverse("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = self.request.GET.get("next", "")
        context["forced"] = self.request.user.must_change_password
        return context

    def form_valid(self, form):
        form.user.must_change_password = False
        response = super().form_valid(form)  # saves the user and keeps the session
        record(EventKind.PASSWORD_CHANGED, request=self.request, user=form.user, obj=form.user)
        messages.success(self.request, "Đã đổi mật khẩu.")
        return response


# --- account administration (unit admins) ---------------------------------------------------------


class AccountList(ScopedListView):
    """People holding a role in the admin's subtree (through the door: admins and Sở/Phòng staff)."""

    model = Membership
    filterset_class = AccountFilter
    template_name = "accounts/account_list.html"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("user", "unit").order_by("unit__path", "user__sort_key", "role")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_import"] = role_may(self.actor, Membership, "add")
        return context


class AccountDetail(ScopedDetailView):
    model = Membership
    template_name = "accounts/account_detail.html"
    audit_reads = True

    def get_queryset(self):
        return super().get_queryset().select_related("user", "unit", "granted_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        membership = self.object
        try:
            check_can_reset(self.actor, membership)
            can_reset = can(self.actor, "change", membership)
        except (ValidationError, PermissionDenied):
            can_reset = False
        context.update(
            person=membership.user,
            others=visible_to(self.actor, Membership)
            .filter(user=membership.user)
            .exclude(pk=membership.pk)
            .select_related("unit"),
            can_reset=can_reset,
        )
        return context


class AccountReset(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """POST: give the person a new temporary password; the answer is their login slip (PDF)."""

    model = Membership
    scope_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        membership = self.get_object()
        try:
            password = reset_password(self.actor, membership)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(membership.get_absolute_url())
        user = membership.user
        record(EventKind.PASSWORD_RESET, request=request, actor=self.actor, obj=user, detail=f"Đặt lại cho {user}")
        slip = Slip(
            user.full_name or user.username,
            membership.unit.name,
            membership.get_role_display(),
            user.username,
            password,
        )
        data = build_slips([slip], site=login_address(request))
        return pdf.response(data, f"phieu-dang-nhap-{user.username}.pdf")


class AccountImport(ImportFlowView):
    model = Membership
    importer_class = AccountImporter
    template_url_name = "account-import-template"


class AccountImportTemplate(ImportTemplateView):
    model = Membership
    importer_class = AccountImporter
