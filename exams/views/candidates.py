"""HTML pages of the candidates area: an exam's candidates (list, filters, numbers, tickets),
one candidate (detail, edit, withdraw, ticket), registration from the students module and the
xlsx import (exams-diplomas.md, "Running an exam").

Per-exam pages take ``pk`` = the exam's id and name ``model = Exam``; the exam comes through
the door (another unit's exam is a 404). Every write calls ``exams.services.candidates``, the
same functions the API calls.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import generic

from sms.accounts.roles import LEARNER_ROLES
from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.imports import ImportFlowView
from sms.org.models import SchoolClass, Unit
from sms.text import as_id, search_key
from sms.views import ActorMixin, ScopedDetailView, ScopedObjectMixin

from ..models import ADMISSION_KINDS, Candidate, Exam, PointRule, Quota, Room
from ..reports import tickets
from ..resources import CandidateImporter
from ..services import candidates as services
from . import exam_page

PAGE_SIZE = 50


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


class ExamScoped:
    """Loads ``self.exam`` (pk = the exam's id) through the door after ``ActorMixin`` found the
    actor; learners reach no staff page of an exam."""

    model = Exam
    learners_allowed = False

    def dispatch(self, request, *args, **kwargs):
        if self.actor.role in LEARNER_ROLES and not self.learners_allowed:
            raise Http404("Không tìm thấy.")
        self.exam = get_visible_or_404(self.actor, Exam.objects.select_related("unit"), kwargs.get("pk"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["exam"] = self.exam
        return context


def back_to_candidates(exam) -> str:
    return reverse("exams:exam-candidates", kwargs={"pk": exam.pk})


# --- the exam's candidates -------------------------------------------------------------------------------


class CandidateFilterForm(forms.Form):
    q = forms.CharField(label="Tìm số báo danh hoặc họ tên", required=False)
    school = forms.ModelChoiceField(label="Trường", queryset=Unit.objects.none(), required=False)
    room = forms.ModelChoiceField(label="Phòng thi", queryset=Room.objects.none(), required=False)

    def __init__(self, *args, schools=None, rooms=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools if schools is not None else Unit.objects.none()
        self.fields["room"].queryset = rooms if rooms is not None else Room.objects.none()


class ExamCandidates(ActorMixin, ExamScoped, generic.ListView):
    """Thí sinh của kỳ thi: lọc theo trường, phòng; tìm theo số báo danh hoặc họ tên (không dấu)."""

    template_name = "exams/candidates/list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        visible = self.visible = visible_to(self.actor, Candidate).filter(exam=self.exam)
        schools = Unit.objects.filter(pk__in=visible.filter(school__isnull=False).values("school_id")).order_by("name")
        rooms = visible_to(self.actor, Room).filter(site__exam=self.exam).select_related("site")
        self.filters = CandidateFilterForm(self.request.GET or None, schools=schools, rooms=rooms)
        qs = visible.select_related("school", "room__site").order_by("number", "sort_key", "pk")
        if self.filters.is_bound and self.filters.is_valid():
            data = self.filters.cleaned_data
            if data["school"]:
                qs = qs.filter(school=data["school"])
            if data["room"]:
                qs = qs.filter(room=data["room"])
            if data["q"]:
                key = search_key(data["q"])
                qs = qs.filter(Q(search_key__contains=key) | Q(number__icontains=data["q"].strip()))
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exam, actor = self.exam, self.actor
        context.update(
            filters=self.filters,
            may_manage=services.may_manage(actor, exam),
            may_register=services.registration_open_for(actor, exam),
            may_read_all=services.may_read_all(actor, exam),
            school_tickets=services.is_school_registrar(actor),
            # counted through the door only: a school's leaders learn nothing of other schools
            numbered=self.visible.exclude(number="").count(),
            total=self.visible.filter(withdrawn=False).count() if services.may_read_all(actor, exam) else None,
        )
        return context


class AssignNumbers(ActorMixin, ExamScoped, generic.View):
    """POST: number every candidate still without a number."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            result = services.assign_numbers(self.actor, self.exam)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            if result["numbered"]:
                messages.success(
                    request,
                    f"Đã đánh số báo danh cho {result['numbered']} thí sinh; giữ nguyên {result['kept']} số đã có.",
                )
            else:
                messages.info(request, "Mọi thí sinh đều đã có số báo danh.")
        return redirect(back_to_candidates(self.exam))


class ExamTickets(ActorMixin, ExamScoped, generic.View):
    """Thẻ dự thi (PDF) of every numbered candidate the actor may print: organisers, chair and
    secretariat all (``?school=``, ``?site=``, ``?room=`` narrow it); a school's principal or
    school administrator their own school's. ``?one_per_page=1`` prints one a page."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        exam, actor = self.exam, self.actor
        qs = (
            visible_to(actor, Candidate)
            .filter(exam=exam, withdrawn=False)
            .exclude(number="")
            .select_related("school", "room__site")
            .order_by("number")
        )
        if services.may_read_all(actor, exam):
            for name, field in (("school", "school_id"), ("site", "room__site_id"), ("room", "room_id")):
                value = request.GET.get(name, "")
                if value == "":
                    continue
                number = as_id(value, strip=True)
                if number is None:
                    raise BadRequest(f"Tham số {name} không hợp lệ.")
                qs = qs.filter(**{field: number})
        elif services.is_school_registrar(actor):
            qs = qs.filter(school_id=actor.unit_id)
        else:
            raise PermissionDenied("Chỉ đơn vị tổ chức, hội đồng thi hoặc lãnh đạo nhà trường được in thẻ dự thi.")
        data = tickets.admission_tickets(exam, qs, one_per_page=request.GET.get("one_per_page") == "1")
        return tickets.pdf.response(data, f"the-du-thi-{exam.pk}.pdf")


# --- registration from the students module --------------------------------------------------------------------


class RegisterForm(forms.Form):
    schools = forms.ModelMultipleChoiceField(
        label="Cả trường", queryset=Unit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    classes = forms.ModelMultipleChoiceField(
        label="Hoặc từng lớp", queryset=SchoolClass.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, schools=None, classes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools
        self.fields["classes"].queryset = classes
        self.fields["classes"].label_from_instance = lambda c: f"{c.name} – {c.school.name}"

    def clean(self):
        data = super().clean()
        if not data.get("schools") and not data.get("classes"):
            raise ValidationError("Hãy chọn ít nhất một trường hoặc một lớp.")
        return data


class RegisterStudents(ActorMixin, ExamScoped, generic.FormView):
    """Đăng ký thí sinh từ hồ sơ học sinh: chọn trường hoặc lớp (học sinh năm học hiện tại,
    đúng khối của kỳ thi)."""

    template_name = "exams/candidates/register.html"
    form_class = RegisterForm

    def _choices(self):
        from students.selectors import current_learners

        learners = current_learners(self.actor, grade=self.exam.grade).filter(
            school_id__in=services.exam_schools(self.exam).values("pk")
        )
        if not services.may_manage(self.actor, self.exam):
            learners = learners.filter(school_id=self.actor.unit_id)
        schools = Unit.objects.filter(pk__in=learners.values("school_id")).order_by("name")
        classes = (
            SchoolClass.objects.filter(pk__in=learners.values("school_class_id"))
            .select_related("school")
            .order_by("school__name", "name")
        )
        return schools, classes

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["schools"], kwargs["classes"] = self._choices()
        return kwargs

    def get(self, request, *args, **kwargs):
        if not services.registration_open_for(self.actor, self.exam):
            raise PermissionDenied(services.MSG_NOT_REGISTRAR)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            result = services.register_students(
                self.actor,
                self.exam,
                school_ids=[s.pk for s in data["schools"]] if data["schools"] else None,
                class_ids=[c.pk for c in data["classes"]] if data["classes"] else None,
            )
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Đã đăng ký {result['registered']} thí sinh; bỏ qua {result['skipped']} học sinh đã đăng ký từ trước.",
        )
        return redirect(back_to_candidates(self.exam))


# --- one candidate ------------------------------------------------------------------------------------------


class CandidateForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=150)
    birth_date = forms.DateField(label="Ngày sinh", help_text="dd/mm/yyyy")
    sex = forms.ChoiceField(label="Giới tính", choices=[("", "—"), ("M", "Nam"), ("F", "Nữ")])
    personal_id = forms.CharField(label="Số định danh cá nhân", max_length=12, required=False)
    ethnicity = forms.CharField(label="Dân tộc", max_length=40, required=False, initial="Kinh")
    birthplace = forms.CharField(label="Nơi sinh", max_length=255, required=False)
    school = forms.ModelChoiceField(label="Trường đang học", queryset=Unit.objects.none(), required=False)
    school_name = forms.CharField(
        label="Trường ngoài hệ thống (thí sinh tự do)", max_length=255, required=False,
        help_text="Chỉ ghi khi không chọn trường ở trên.",
    )  # fmt: skip
    class_name = forms.CharField(label="Lớp", max_length=30, required=False)
    priority = forms.ModelChoiceField(label="Đối tượng ưu tiên", queryset=PointRule.objects.none(), required=False)
    bonus = forms.ModelChoiceField(label="Diện khuyến khích", queryset=PointRule.objects.none(), required=False)
    direct = forms.ModelChoiceField(label="Diện tuyển thẳng", queryset=PointRule.objects.none(), required=False)

    def __init__(self, *args, exam: Exam, actor, **kwargs):
        super().__init__(*args, **kwargs)
        schools = services.exam_schools(exam).order_by("name")
        if not services.may_manage(actor, exam):
            schools = schools.filter(pk=actor.unit_id)
            self.fields["school"].required = True
        self.fields["school"].queryset = schools
        rules = PointRule.objects.filter(exam=exam)
        for name, kind in (("priority", "priority"), ("bonus", "bonus"), ("direct", "direct")):
            self.fields[name].queryset = rules.filter(kind=kind)
            if not self.fields[name].queryset.exists():
                del self.fields[name]
        self.choice_names = []
        if exam.kind in ADMISSION_KINDS:
            quota_schools = Unit.objects.filter(pk__in=Quota.objects.filter(exam=exam).values("school_id")).order_by(
                "name"
            )
            for rank in range(1, exam.choices_allowed + 1):
                name = f"choice_{rank}"
                self.fields[name] = forms.ModelChoiceField(
                    label=f"Nguyện vọng {rank}", queryset=quota_schools, required=False
                )
                self.choice_names.append(name)

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("choice_")}
        if self.choice_names:
            data["choices"] = [self.cleaned_data[n].pk for n in self.choice_names if self.cleaned_data.get(n)]
        return data


class CandidateCreate(ActorMixin, ExamScoped, generic.FormView):
    """Thêm thí sinh (nhập tay; thí sinh tự do để trống trường)."""

    template_name = "exams/candidates/form.html"
    form_class = CandidateForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(exam=self.exam, actor=self.actor)
        return kwargs

    def get(self, request, *args, **kwargs):
        if not services.registration_open_for(self.actor, self.exam):
            raise PermissionDenied(services.MSG_NOT_REGISTRAR)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            candidate = services.save_candidate(self.actor, self.exam, form.service_data())
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã thêm thí sinh {candidate.full_name}.")
        return redirect(candidate.get_absolute_url())


class CandidateDetail(ScopedDetailView):
    """Thí sinh: thông tin, nguyện vọng, phòng thi, lịch sử thay đổi; thẻ dự thi."""

    model = Candidate
    template_name = "exams/candidates/detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("exam__unit", "school", "room__site", "priority", "bonus", "direct", "admitted_to")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        c, actor = self.object, self.actor
        staff = actor.role not in LEARNER_ROLES
        context.update(
            exam=c.exam,
            choices=list(c.choices.select_related("school")),
            may_withdraw=staff and context["can_change"] and not c.withdrawn,
            history=list(c.history.select_related("history_user").order_by("-history_date")[:20]) if staff else [],
            staff=staff,
        )
        return context


class CandidateUpdate(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.FormView):
    """Sửa thông tin thí sinh."""

    model = Candidate
    scope_action = "change"
    template_name = "exams/candidates/form.html"
    form_class = CandidateForm

    def get_queryset(self):
        return super().get_queryset().select_related("exam__unit")

    def _load(self):
        self.object = self.get_object()
        self.exam = self.object.exam

    def get(self, request, *args, **kwargs):
        self._load()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._load()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(exam=self.exam, actor=self.actor)
        return kwargs

    def get_initial(self):
        c = self.object
        initial = {
            name: getattr(c, name)
            for name in (
                "full_name",
                "birth_date",
                "sex",
                "personal_id",
                "ethnicity",
                "birthplace",
                "school_name",
                "class_name",
            )
        }
        initial.update(school=c.school_id, priority=c.priority_id, bonus=c.bonus_id, direct=c.direct_id)
        for choice in c.choices.all():
            initial[f"choice_{choice.rank}"] = choice.school_id
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(exam=self.exam, candidate=self.object)
        return context

    def form_valid(self, form):
        try:
            candidate = services.save_candidate(self.actor, self.exam, form.service_data(), candidate=self.object)
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu thông tin thí sinh.")
        return redirect(candidate.get_absolute_url())


class CandidateWithdraw(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.View):
    """POST: rút hồ sơ (trước khi có số báo danh: xoá đăng ký)."""

    model = Candidate
    scope_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        candidate = self.get_object()
        exam = candidate.exam
        try:
            outcome = services.withdraw(self.actor, candidate, reason=request.POST.get("reason", ""))
        except ValidationError as error:
            messages.error(request, _errors(error))
            return redirect(candidate.get_absolute_url())
        if outcome == "deleted":
            messages.success(request, f"Đã xoá đăng ký của {candidate.full_name}.")
            return redirect(back_to_candidates(exam))
        messages.success(request, f"Thí sinh {candidate.full_name} đã rút hồ sơ; số báo danh được giữ lại.")
        return redirect(candidate.get_absolute_url())


class CandidateTicket(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.View):
    """Thẻ dự thi của một thí sinh (PDF): the candidate (a student account) and their parents
    download their own; staff who may see the candidate theirs."""

    model = Candidate
    http_method_names = ["get"]

    def get_queryset(self):
        return services.readable_candidates(self.actor).select_related("exam__unit", "school", "room__site")

    def get(self, request, *args, **kwargs):
        candidate = self.get_object()
        if not candidate.number or candidate.withdrawn:
            messages.error(request, "Thí sinh chưa có số báo danh (hoặc đã rút hồ sơ) nên chưa có thẻ dự thi.")
            return redirect(candidate.get_absolute_url())
        data = tickets.admission_tickets(candidate.exam, [candidate], one_per_page=True)
        return tickets.pdf.response(data, f"the-du-thi-{candidate.number}.pdf")


# --- import ------------------------------------------------------------------------------------------------


class CandidateImport(ImportFlowView):
    """Nhập thí sinh từ tệp Excel: tải lên, kiểm tra thử (chưa lưu gì), xác nhận lưu."""

    model = Exam
    required_action = None
    template_name = "exams/candidates/import_upload.html"
    exam = None

    def _reach_exam(self) -> None:
        if self.actor.role in LEARNER_ROLES:
            raise Http404("Không tìm thấy.")
        self.exam = get_visible_or_404(self.actor, Exam.objects.select_related("unit"), self.kwargs.get("pk"))
        services.require_manager(self.actor, self.exam)

    def get(self, request, *args, **kwargs):
        self._reach_exam()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._reach_exam()
        return super().post(request, *args, **kwargs)

    def get_importer(self):
        return CandidateImporter(self.actor, self.request, exam=self.exam)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["exam"] = self.exam
        return context


class CandidateImportTemplate(ActorMixin, ExamScoped, generic.View):
    """The import template (.xlsx) of one exam (its NV columns follow ``choices_allowed``)."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        from sms.exports import xlsx

        importer = CandidateImporter(self.actor, request, exam=self.exam)
        return xlsx.response(importer.template(), importer.template_filename)


# --- links on the exam's page -----------------------------------------------------------------------------


def _candidates_shown(actor, exam) -> bool:
    return actor is not None and (services.may_read_all(actor, exam) or services.is_school_registrar(actor))


exam_page("Thí sinh", "exam-candidates", _candidates_shown, order=20)

urlpatterns = [
    path("ky-thi/<int:pk>/thi-sinh/", ExamCandidates.as_view(), name="exam-candidates"),
    path("ky-thi/<int:pk>/thi-sinh/them/", CandidateCreate.as_view(), name="exam-candidate-create"),
    path("ky-thi/<int:pk>/thi-sinh/dang-ky-tu-hoc-sinh/", RegisterStudents.as_view(), name="exam-register-students"),
    path("ky-thi/<int:pk>/thi-sinh/nhap/", CandidateImport.as_view(), name="exam-candidate-import"),
    path("ky-thi/<int:pk>/thi-sinh/mau-nhap.xlsx", CandidateImportTemplate.as_view(), name="exam-candidate-template"),
    path("ky-thi/<int:pk>/so-bao-danh/", AssignNumbers.as_view(), name="exam-assign-numbers"),
    path("ky-thi/<int:pk>/the-du-thi.pdf", ExamTickets.as_view(), name="exam-tickets"),
    path("thi-sinh/<int:pk>/", CandidateDetail.as_view(), name="candidate-detail"),
    path("thi-sinh/<int:pk>/sua/", CandidateUpdate.as_view(), name="candidate-update"),
    path("thi-sinh/<int:pk>/rut-ho-so/", CandidateWithdraw.as_view(), name="candidate-withdraw"),
    path("thi-sinh/<int:pk>/the-du-thi.pdf", CandidateTicket.as_view(), name="candidate-ticket"),
]
