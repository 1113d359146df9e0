"""HTML pages of the exams module's setup area: the exam list, an exam's page (summary,
timetable, board by role, points table and the other areas' pages), the create and edit forms,
subjects, the board and the points table, and "my work on exam boards".

Every page reaches its rows through the door; every write calls ``exams.services.setup``, the
same functions the API calls. Per-exam pages take the exam's id as ``pk`` and name
``model = Exam``. See ``/work/shared/domain/exams-diplomas.md``.
"""

from __future__ import annotations

from collections import OrderedDict

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.scoping import units_for, visible_to
from sms.audit.history import changes
from sms.forms import ScopedModelForm
from sms.org.models import Unit
from sms.text import search_key
from sms.views import (
    ActorMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ScopedUpdateView,
)

from ..filters import ExamFilter
from ..models import BoardMember, BoardRole, Exam, ExamSubject, PointRule, Room
from ..services import setup as services
from . import exam_page, exam_pages

DATETIME_ATTRS = {"placeholder": "dd/mm/yyyy hh:mm", "inputmode": "numeric"}
#: how many people the board's person picker lists at once (a Sở has thousands of staff)
PICKER_LIMIT = 200

# --- helpers --------------------------------------------------------------------------------------------------


def add_errors(form, error) -> None:
    """A service's refusal on the form: a field's message on that field, the rest on top."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "Bạn không có quyền thực hiện thao tác này.")
        return
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            target = field if field in form.fields and field not in form.errors else None
            for message in messages_:
                form.add_error(target, message)
        return
    for message in error.messages:
        form.add_error(None, message)


def history_rows(obj, limit: int = 30) -> list[dict]:
    """The row's history, newest first, with the changed fields in words."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for i, record in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        rows.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "kind": {"+": "Tạo mới", "~": "Sửa", "-": "Xoá"}.get(record.history_type, record.history_type),
                "reason": record.history_change_reason or "",
                "changes": changes(record, previous) if record.history_type != "-" and previous else [],
            }
        )
    return rows


def _board_visible(actor, exam):
    return visible_to(actor, BoardMember).filter(exam=exam).select_related("user", "home_unit")


def _board_link_shown(actor, exam) -> bool:
    return services.may_manage_board(actor, exam) or _board_visible(actor, exam).exists()


class ObjectFormView(ScopedObjectMixin, SingleObjectMixin, generic.FormView):
    """A form about one object the actor must reach for ``scope_action`` (a stranger's is a
    404 before anything else; one they only read a 403)."""

    scope_action = "change"

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        self.object = self.get_object()
        return super(ScopedObjectMixin, self).dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.actor, "action": "add"}


class ObjectPost(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """A POST about one object (seen through the door); the service decides the rest."""

    http_method_names = ["post"]
    success_message = ""

    def post(self, request, *args, **kwargs):
        obj = self.object = self.get_object()
        try:
            target = self.act(request, obj)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                raise
            messages.error(request, " ".join(error.messages))
            return redirect(self.back(obj))
        messages.success(request, self.success_message)
        return redirect(target or self.back(obj))

    def back(self, obj) -> str:
        return obj.get_absolute_url()


# --- forms ---------------------------------------------------------------------------------------------------


class ExamForm(ScopedModelForm):
    """The exam's configuration. Blank numbers take the kind's defaults (services.kind_defaults)."""

    choice_margins = forms.CharField(
        label="Điểm cộng thêm so với điểm chuẩn theo nguyện vọng",
        required=False,
        help_text="Theo thứ tự nguyện vọng, cách nhau bởi dấu chấm phẩy, ví dụ: 0; 1,5; 3. Để trống: theo loại kỳ thi.",
    )
    tie_break_1 = forms.ChoiceField(label="Tiêu chí xét khi bằng điểm thứ nhất", required=False)
    tie_break_2 = forms.ChoiceField(label="Tiêu chí xét khi bằng điểm thứ hai", required=False)
    tie_break_3 = forms.ChoiceField(label="Tiêu chí xét khi bằng điểm thứ ba", required=False)

    class Meta:
        model = Exam
        fields = [
            "unit",
            "kind",
            "name",
            "start_year",
            "grade",
            "accepts_online",
            "applications_open_at",
            "applications_close_at",
            "room_capacity",
            "number_prefix",
            "number_width",
            "mark_threshold",
            "choices_allowed",
        ]
        localized_fields = ["mark_threshold"]  # 1,5 (decimal comma)
        widgets = {
            "applications_open_at": forms.DateTimeInput(attrs=DATETIME_ATTRS),
            "applications_close_at": forms.DateTimeInput(attrs=DATETIME_ATTRS),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        exam = self.instance
        for name in ("grade", "room_capacity", "number_width", "choices_allowed", "mark_threshold"):
            self.fields[name].required = False
        self.fields["grade"].help_text = "Để trống: theo loại kỳ thi (lớp 9 với tuyển sinh lớp 10, lớp 5 với lớp 6)."
        self.fields[
            "choices_allowed"
        ].help_text = "Để trống: theo loại kỳ thi (3 với lớp 10, 2 với tuyển sinh đầu cấp)."
        self.fields["room_capacity"].help_text = "Tuyển sinh lớp 10: tối đa 24 thí sinh một phòng."
        unit_field = self.fields["unit"]
        if exam.pk:
            fixed = exam.candidates.exists()
            if fixed or not unit_field.queryset.filter(pk=exam.unit_id).exists():
                unit_field.queryset = Unit.objects.filter(pk=exam.unit_id)
                unit_field.disabled = True
            if fixed:
                self.fields["kind"].disabled = True
                self.fields["kind"].help_text = "Kỳ thi đã có thí sinh: không đổi loại kỳ thi, đơn vị tổ chức."
            self.initial["choice_margins"] = "; ".join(str(m).replace(".", ",") for m in exam.choice_margins or [])
            for i, key in enumerate((exam.tie_breaks or [])[:3], start=1):
                self.initial[f"tie_break_{i}"] = key
        elif len(unit_field.queryset) == 1:
            unit_field.initial = unit_field.queryset[0].pk
        choices = [("", "—")] + list(services.tie_break_labels().items())
        if exam.pk:
            choices += [(f"subject:{s.code}", f"Điểm bài thi môn {s.name}") for s in exam.subjects.all()]
        for i in (1, 2, 3):
            self.fields[f"tie_break_{i}"].choices = choices

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k in self._meta.fields}
        for name in ("unit", "kind"):
            if self.fields[name].disabled:
                data.pop(name, None)
        margins = self.cleaned_data.get("choice_margins") or ""
        data["choice_margins"] = margins if margins.strip() else (None if not self.instance.pk else [])
        tie_breaks = [self.cleaned_data.get(f"tie_break_{i}") for i in (1, 2, 3)]
        tie_breaks = [t for t in tie_breaks if t]
        data["tie_breaks"] = tie_breaks if tie_breaks or self.instance.pk else None
        return data


class SubjectForm(ScopedModelForm):
    class Meta:
        model = ExamSubject
        fields = ["code", "name", "duration_minutes", "coefficient", "max_score", "double_marked", "starts_at", "order"]
        localized_fields = ["coefficient", "max_score"]
        widgets = {"starts_at": forms.DateTimeInput(attrs=DATETIME_ATTRS)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        self.fields["code"].help_text = "Chữ thường không dấu, ví dụ toan, ngu-van. Để trống: tạo từ tên môn."
        self.fields["order"].required = False


class PointRuleForm(ScopedModelForm):
    class Meta:
        model = PointRule
        fields = ["kind", "code", "label", "points"]
        localized_fields = ["points"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].help_text = "Diện tuyển thẳng không có điểm cộng."


class BoardMemberForm(forms.Form):
    """Seat a person of the owner's subtree: the pick is one of their memberships (the person
    and their home unit)."""

    person = forms.ModelChoiceField(label="Người được phân công", queryset=None)
    role = forms.ChoiceField(label="Nhiệm vụ", choices=BoardRole.choices)

    def __init__(self, *args, exam, actor=None, roles=None, query: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if actor is not None:  # only the seats this person may give (the chair and secretariat: admins)
            self.fields["role"].choices = roles if roles is not None else services.seatable_roles(actor, exam)
        eligible = services.eligible_memberships(exam)
        if actor is not None:  # nobody seats themselves
            eligible = eligible.exclude(user=actor.user)
        self.fields["person"].queryset = eligible
        self.fields["person"].label_from_instance = lambda m: (
            f"{m.user.full_name or m.user.username} – {m.get_role_display()}, {m.unit.name}"
        )
        if not self.is_bound:
            key = search_key(query)
            shown = eligible.filter(user__search_key__contains=key) if key else eligible
            self.fields["person"].queryset = shown
            self.fields["person"].choices = [("", "— chọn người —")] + [
                (m.pk, self.fields["person"].label_from_instance(m)) for m in shown[:PICKER_LIMIT]
            ]


# --- the exam ------------------------------------------------------------------------------------------------


class ExamList(ScopedListView):
    """Exams the actor sees: organisers their subtree's, schools the Sở's and Phòng's
    (``inherited``), board members their own — all ``visible_to(actor, Exam)``."""

    model = Exam
    filterset_class = ExamFilter
    template_name = "exams/setup/exam_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit")


class ExamCreate(ScopedCreateView):
    model = Exam
    form_class = ExamForm
    template_name = "exams/setup/exam_form.html"

    def form_valid(self, form):
        try:
            self.object = services.create_exam(self.actor, **form.service_fields())
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã tạo kỳ thi.")
        return redirect(self.object.get_absolute_url())


class ExamUpdate(ScopedUpdateView):
    model = Exam
    form_class = ExamForm
    template_name = "exams/setup/exam_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit")

    def form_valid(self, form):
        try:
            self.object = services.update_exam(self.actor, self.object, **form.service_fields())
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu kỳ thi.")
        return redirect(self.object.get_absolute_url())


def board_by_role(members) -> list[tuple[str, list[BoardMember]]]:
    groups: OrderedDict[str, list] = OrderedDict((label, []) for _, label in BoardRole.choices)
    labels = dict(BoardRole.choices)
    for member in members:
        groups[labels[member.role]].append(member)
    return [(label, rows) for label, rows in groups.items() if rows]


class ExamDetail(ScopedDetailView):
    """The exam's page: summary, timetable, the board by role (to those the door shows its
    rows), the points table and the pages the other areas add (``exam_pages``)."""

    model = Exam
    template_name = "exams/setup/exam_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exam = self.object
        actor = self.actor
        members = list(_board_visible(actor, exam).order_by("role", "full_name", "pk"))
        labels = services.tie_break_labels()
        subjects = list(visible_to(actor, ExamSubject).filter(exam=exam))
        names = {f"subject:{s.code}": f"Điểm bài thi môn {s.name}" for s in subjects}
        context.update(
            subjects=subjects,
            board=board_by_role(members),
            may_manage_board=services.may_manage_board(actor, exam),
            point_rules=list(visible_to(actor, PointRule).filter(exam=exam)),
            may_edit_points=units_for(actor, PointRule, "add").filter(pk=exam.unit_id).exists(),
            pages=exam_pages(actor, exam),
            margins=[str(m).replace(".", ",") for m in exam.choice_margins or []],
            tie_breaks=[labels.get(k) or names.get(k) or k for k in exam.tie_breaks or []],
            history=history_rows(exam) if context["can_change"] else [],
        )
        return context


# --- subjects --------------------------------------------------------------------------------------------


class SubjectCreate(ObjectFormView):
    """A subject of the exam (``pk`` is the exam's)."""

    model = Exam
    form_class = SubjectForm
    template_name = "exams/setup/subject_form.html"

    def form_valid(self, form):
        data = {k: v for k, v in form.cleaned_data.items() if v is not None and v != ""}
        data.setdefault("double_marked", False)
        try:
            subject = services.add_subject(self.actor, self.object, **data)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã thêm môn {subject.name}.")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "exam": self.object, "title": "Thêm môn thi"}


class SubjectDetail(ScopedDetailView):
    model = ExamSubject
    template_name = "exams/setup/subject_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            exam=self.object.exam,
            history=history_rows(self.object) if context["can_change"] else [],
            locked=services.has_scripts(self.object.exam_id),
        )
        return context


class SubjectUpdate(ScopedUpdateView):
    model = ExamSubject
    form_class = SubjectForm
    template_name = "exams/setup/subject_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam")

    def form_valid(self, form):
        data = {k: v for k, v in form.cleaned_data.items() if k != "order" or v is not None}
        try:
            self.object = services.update_subject(self.actor, self.object, **data)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu môn thi.")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "exam": self.object.exam, "title": "Sửa môn thi"}


class SubjectRemove(ObjectPost):
    model = ExamSubject
    success_message = "Đã xoá môn thi."

    def act(self, request, subject):
        exam_url = subject.exam.get_absolute_url()
        services.remove_subject(self.actor, subject)
        return exam_url


# --- the board -----------------------------------------------------------------------------------------------


class ExamBoard(ScopedObjectMixin, generic.DetailView):
    """The exam's board by role, and (organisers, the chair) the form seating a person."""

    model = Exam
    template_name = "exams/setup/board.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exam = self.object
        roles = services.seatable_roles(self.actor, exam)
        may_manage = bool(roles)
        query = self.request.GET.get("q", "")
        members = list(_board_visible(self.actor, exam).order_by("role", "-is_active", "full_name", "pk"))
        context.update(
            board=board_by_role(members),
            may_manage=may_manage,
            changeable=[label for _role, label in roles],
            query=query,
            form=kwargs.get("form")
            or (BoardMemberForm(exam=exam, actor=self.actor, roles=roles, query=query) if may_manage else None),
        )
        return context

    def post(self, request, *args, **kwargs):
        exam = self.object = self.get_object()
        if not services.may_manage_board(self.actor, exam):
            raise PermissionDenied("Chỉ đơn vị tổ chức kỳ thi hoặc chủ tịch hội đồng thay đổi được hội đồng thi.")
        form = BoardMemberForm(request.POST, exam=exam, actor=self.actor)
        if form.is_valid():
            membership = form.cleaned_data["person"]
            try:
                seat = services.add_member(
                    self.actor, exam, membership.user, form.cleaned_data["role"], home_unit=membership.unit
                )
            except (ValidationError, PermissionDenied) as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Đã phân công {seat.full_name}: {seat.get_role_display().lower()}.")
                return redirect(reverse("exams:exam-board", kwargs={"pk": exam.pk}))
        return self.render_to_response(self.get_context_data(form=form), status=400)


def rooms_watched(actor, seats) -> dict[int, list[Room]]:
    """The rooms each of ``seats`` (board members) watches as invigilator 1 or 2, through the door
    (an invigilator reads the rooms they watch: ``Room.scope``'s grant), site and number order;
    one query for any number of seats."""
    ids = [seat.pk for seat in seats]
    if not ids:
        return {}
    rooms = (
        visible_to(actor, Room)
        .filter(Q(invigilator_1_id__in=ids) | Q(invigilator_2_id__in=ids))
        .select_related("site")
        .order_by("site__code", "number", "pk")
    )
    watched: dict[int, list[Room]] = {}
    for room in rooms:
        for seat_id in {room.invigilator_1_id, room.invigilator_2_id} & set(ids):
            watched.setdefault(seat_id, []).append(room)
    return watched


class BoardMemberDetail(ScopedDetailView):
    model = BoardMember
    template_name = "exams/setup/member_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam", "user", "home_unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.object
        context.update(
            exam=member.exam,
            in_use=services.member_in_use(member),
            history=history_rows(member) if context["can_change"] else [],
            may_change_seat=context["can_change"] and services.may_seat(self.actor, member.exam, member.role),
            is_invigilator=member.role == BoardRole.INVIGILATOR,
            rooms=rooms_watched(self.actor, [member]).get(member.pk, []),
        )
        return context


class BoardMemberDeactivate(ObjectPost):
    model = BoardMember
    success_message = "Đã cho thôi nhiệm vụ; các điểm đã chấm vẫn được giữ."

    def act(self, request, member):
        services.deactivate_member(self.actor, member, request.POST.get("reason", ""))


class BoardMemberReactivate(ObjectPost):
    model = BoardMember
    success_message = "Đã phân công làm nhiệm vụ trở lại."

    def act(self, request, member):
        services.reactivate_member(self.actor, member)


class MyBoardSeats(ActorMixin, generic.TemplateView):
    """ "Việc của tôi trong hội đồng thi": the exams and roles of the actor's user on any board,
    whatever unit they act in now (the board's grant), and "Phòng coi thi của tôi": the rooms each
    seat watches, linked to the room's page and its list (PDF) — an invigilator does not reach the
    exam's rooms page, so this is their way in. Two queries, whatever the number of seats."""

    template_name = "exams/setup/my_board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seats = (
            visible_to(self.actor, BoardMember)
            .filter(user=self.actor.user)
            .select_related("exam__unit", "home_unit")
            .order_by("-exam__start_year", "exam__name", "role", "pk")
        )
        seats = list(seats)
        watched = rooms_watched(self.actor, seats)
        for seat in seats:
            seat.rooms = watched.get(seat.pk, [])
        context["seats"] = seats
        context["invigilating"] = [seat for seat in seats if seat.role == BoardRole.INVIGILATOR or seat.rooms]
        return context


# --- the points table -----------------------------------------------------------------------------------------


class PointRuleCreate(ObjectFormView):
    """A line of the exam's priority / bonus / direct table (``pk`` is the exam's)."""

    model = Exam
    form_class = PointRuleForm
    template_name = "exams/setup/subject_form.html"
    scope_action = "view"  # the service decides: organisers only

    def form_valid(self, form):
        try:
            services.add_point_rule(self.actor, self.object, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã thêm vào bảng điểm ưu tiên, khuyến khích.")
        return redirect(self.object.get_absolute_url() + "#diem-uu-tien")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "exam": self.object,
            "title": "Thêm đối tượng ưu tiên, khuyến khích, tuyển thẳng",
        }


class PointRuleDetail(ScopedDetailView):
    model = PointRule
    template_name = "exams/setup/pointrule_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(exam=self.object.exam, history=history_rows(self.object) if context["can_change"] else [])
        return context


class PointRuleUpdate(ScopedUpdateView):
    model = PointRule
    form_class = PointRuleForm
    template_name = "exams/setup/subject_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam")

    def form_valid(self, form):
        try:
            self.object = services.update_point_rule(self.actor, self.object, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu.")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "exam": self.object.exam, "title": "Sửa dòng bảng điểm"}


class PointRuleRemove(ObjectPost):
    model = PointRule
    success_message = "Đã xoá khỏi bảng điểm ưu tiên, khuyến khích."

    def act(self, request, rule):
        exam_url = rule.exam.get_absolute_url()
        services.remove_point_rule(self.actor, rule)
        return exam_url


# --- routes and the exam's own pages -------------------------------------------------------------------------

exam_page("Hội đồng thi", "exam-board", _board_link_shown, order=10)

urlpatterns = [
    path("ky-thi/", ExamList.as_view(), name="exam-list"),
    path("ky-thi/them/", ExamCreate.as_view(), name="exam-create"),
    path("ky-thi/<int:pk>/", ExamDetail.as_view(), name="exam-detail"),
    path("ky-thi/<int:pk>/sua/", ExamUpdate.as_view(), name="exam-update"),
    path("ky-thi/<int:pk>/hoi-dong/", ExamBoard.as_view(), name="exam-board"),
    path("ky-thi/<int:pk>/mon-thi/them/", SubjectCreate.as_view(), name="examsubject-create"),
    path("ky-thi/<int:pk>/diem-uu-tien/them/", PointRuleCreate.as_view(), name="pointrule-create"),
    path("mon-thi/<int:pk>/", SubjectDetail.as_view(), name="examsubject-detail"),
    path("mon-thi/<int:pk>/sua/", SubjectUpdate.as_view(), name="examsubject-update"),
    path("mon-thi/<int:pk>/xoa/", SubjectRemove.as_view(), name="examsubject-delete"),
    path("hoi-dong/<int:pk>/", BoardMemberDetail.as_view(), name="boardmember-detail"),
    path("hoi-dong/<int:pk>/thoi-nhiem-vu/", BoardMemberDeactivate.as_view(), name="boardmember-deactivate"),
    path("hoi-dong/<int:pk>/lam-lai/", BoardMemberReactivate.as_view(), name="boardmember-reactivate"),
    path("hoi-dong-cua-toi/", MyBoardSeats.as_view(), name="my-board"),
    path("diem-uu-tien/<int:pk>/", PointRuleDetail.as_view(), name="pointrule-detail"),
    path("diem-uu-tien/<int:pk>/sua/", PointRuleUpdate.as_view(), name="pointrule-update"),
    path("diem-uu-tien/<int:pk>/xoa/", PointRuleRemove.as_view(), name="pointrule-delete"),
]
