from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .actors import SESSION_KEY, actor_for_membership_id
from .forms import LoginForm


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
