"""Pages of module (a): families (issue 6, points 3 and 6).

* ``tai-khoan-gia-dinh/``: the school's classes of the current year, with how many learners and
  guardians still lack an account (principal, school admin).
* ``lop/<pk>/tai-khoan-gia-dinh/`` (pk = SchoolClass): the preview of the class's family accounts
  (GET) and the confirm (POST): inline for a few accounts, else a background job; the login
  slips are a private 24-hour file of the person who confirmed.
* ``lop/<pk>/cap-lai-mat-khau/``: new temporary passwords (and slips) for chosen accounts.
* ``cua-toi/<pk>/`` (pk = Student): one child's year as the learner or parent sees it, made for
  a phone; any learner not theirs is a 404. The entry page ``cua-toi/`` is ``MyResults``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.resources import login_address
from sms.accounts.scoping import visible_to
from sms.jobs.models import Job
from sms.jobs.services import enqueue
from sms.org.models import SchoolClass
from sms.shell.modules import ModulePage, register_page
from sms.views import ActorMixin, ScopedObjectMixin

from .. import jobs_families
from ..models import Enrolment, Student
from ..services import families as service

NOTHING_TO_DO = "Không có tài khoản nào cần tạo: mọi học sinh và cha mẹ đủ thông tin đã có tài khoản."


def _errors(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def _recent_jobs(actor, klass, kind: str):
    return list(
        visible_to(actor, Job)
        .filter(kind=kind, membership=actor.membership, params__school_class=klass.pk)
        .order_by("-created_at", "-pk")[:3]
    )


class ClassActionMixin(ScopedObjectMixin, SingleObjectMixin):
    """A class the actor may change (another school's class is a 404; a teacher's own class a 403);
    the service then checks that the actor leads the class's school."""

    model = SchoolClass
    scope_action = "change"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "school_year", "homeroom_teacher")

    def load(self):
        self.object = self.get_object()
        service.check_manager(self.actor, self.object)
        return self.object


class FamilyAccountsIndex(ActorMixin, generic.TemplateView):
    """Các lớp năm học hiện tại của trường: số học sinh, cha mẹ chưa có tài khoản; mỗi lớp dẫn tới trang tạo."""

    template_name = "students/family_accounts_index.html"

    def get(self, request, *args, **kwargs):
        if self.actor.role not in service.MANAGERS:
            raise PermissionDenied(service.NOT_MANAGER)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actor, today = self.actor, timezone.localdate()
        classes = list(
            visible_to(actor, SchoolClass)
            .filter(school_id=actor.unit_id, school_year__is_current=True)
            .order_by("grade", "name", "pk")
        )
        current = Q(left_on__isnull=True) | Q(left_on__gte=today)
        # one query from the class lists: learners (with / without an account) and their guardians
        counts = {
            row["school_class_id"]: row
            for row in visible_to(actor, Enrolment)
            .filter(current, school_class__in=classes)
            .values("school_class_id")
            .annotate(
                n=Count("pk", distinct=True),
                without=Count("pk", filter=Q(student__user__isnull=True), distinct=True),
                guardians=Count("student__guardians", distinct=True),
                guardians_without=Count(
                    "student__guardians", filter=Q(student__guardians__user__isnull=True), distinct=True
                ),
            )
            .order_by()
        }
        context["rows"] = [
            {
                "klass": klass,
                "learners": counts.get(klass.pk, {}).get("n", 0),
                "learners_without": counts.get(klass.pk, {}).get("without", 0),
                "guardians": counts.get(klass.pk, {}).get("guardians", 0),
                "guardians_without": counts.get(klass.pk, {}).get("guardians_without", 0),
            }
            for klass in classes
        ]
        context["slips"] = list(service.my_slips(actor)[:10])
        return context


class FamilyAccounts(ClassActionMixin, generic.TemplateView):
    """Xem trước (GET) và xác nhận (POST) tạo tài khoản cho học sinh và cha mẹ của một lớp."""

    template_name = "students/family_accounts.html"

    def get(self, request, *args, **kwargs):
        self.load()
        return self.render_to_response(self.get_context_data(object=self.object))

    def post(self, request, *args, **kwargs):
        klass = self.load()
        here = reverse("students:family-accounts", kwargs={"pk": klass.pk})
        plan = service.plan_accounts(self.actor, klass)
        if not plan.has_work:
            messages.info(request, NOTHING_TO_DO)
            return redirect(here)
        site = login_address(request)
        try:
            if len(plan.new) <= service.INLINE_LIMIT:
                result = service.create_accounts(self.actor, klass, site=site, request=request)
                messages.success(request, result.message)
            else:
                enqueue(self.actor, jobs_families.CREATE_JOB, school_class=klass.pk, site=site)
                messages.success(
                    request,
                    f"Đang tạo {len(plan.new)} tài khoản trong nền (mật khẩu được mã hoá an toàn nên cần khoảng "
                    f"{max(1, len(plan.new) // 60 + 1)} phút). Khi xong, phiếu đăng nhập hiện ở trang này.",
                )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc))
        return redirect(here)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = service.plan_accounts(self.actor, self.object)
        context.update(
            plan=plan,
            counts=plan.counts(),
            inline_limit=service.INLINE_LIMIT,
            in_background=len(plan.new) > service.INLINE_LIMIT,
            jobs=_recent_jobs(self.actor, self.object, jobs_families.CREATE_JOB)
            + _recent_jobs(self.actor, self.object, jobs_families.REISSUE_JOB),
            slips=list(service.my_slips(self.actor)[:10]),
        )
        return context


class FamilyReissue(ClassActionMixin, generic.TemplateView):
    """Cấp lại mật khẩu tạm thời (và phiếu đăng nhập) cho học sinh, cha mẹ được chọn của lớp."""

    template_name = "students/family_reissue.html"

    def get(self, request, *args, **kwargs):
        self.load()
        return self.render_to_response(self.get_context_data(object=self.object))

    def post(self, request, *args, **kwargs):
        klass = self.load()
        keys = request.POST.getlist("accounts")
        site = login_address(request)
        try:
            chosen = service.pick_holders(self.actor, klass, keys)
            if len(chosen) <= service.INLINE_LIMIT:
                result = service.reissue_passwords(self.actor, klass, keys, site=site, request=request)
                messages.success(request, result.message)
            else:
                enqueue(self.actor, jobs_families.REISSUE_JOB, school_class=klass.pk, accounts=keys, site=site)
                messages.success(
                    request,
                    f"Đang cấp lại mật khẩu cho {len(chosen)} tài khoản trong nền. Khi xong, phiếu đăng nhập hiện ở "
                    "trang tạo tài khoản của lớp.",
                )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc))
            return redirect(reverse("students:family-reissue", kwargs={"pk": klass.pk}))
        return redirect(reverse("students:family-accounts", kwargs={"pk": klass.pk}))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["holders"] = service.holders(self.actor, self.object)
        return context


class FamilyChild(ScopedObjectMixin, generic.DetailView):
    """Một con (hoặc chính học sinh): điểm từng môn, trung bình, kết quả, rèn luyện, chuyên cần, danh hiệu
    của một năm học; chọn con và năm học. Học sinh khác là 404."""

    model = Student
    template_name = "students/family_child.html"
    context_object_name = "student"

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)  # through the door: not theirs → 404
        service.check_learner(self.actor)
        return obj

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        raw = self.request.GET.get("nam", "")
        start_year = int(raw) if raw.isdigit() and len(raw) == 4 else None
        record = service.child_record(self.actor, self.object, start_year)
        kids = list(service.children(self.actor).only("pk", "full_name"))
        context.update(record=record, kids=kids)
        return context


urlpatterns = [
    path("tai-khoan-gia-dinh/", FamilyAccountsIndex.as_view(), name="family-accounts-index"),
    path("lop/<int:pk>/tai-khoan-gia-dinh/", FamilyAccounts.as_view(), name="family-accounts"),
    path("lop/<int:pk>/cap-lai-mat-khau/", FamilyReissue.as_view(), name="family-reissue"),
    path("cua-toi/<int:pk>/", FamilyChild.as_view(), name="family-child"),
]

register_page(
    "students",
    ModulePage(
        "Tài khoản học sinh và cha mẹ",
        "students:family-accounts-index",
        service.MANAGERS,
        "Tạo tài khoản theo lớp, in phiếu đăng nhập, cấp lại mật khẩu cho học sinh và cha mẹ.",
    ),
)
