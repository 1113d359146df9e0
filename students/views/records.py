"""HTML pages of learner records: the student list and record (identity, guardians, years,
movements, exemptions), create and edit, movements (transfer within the Sở, drop-out, return,
graduation), enrolment and class change, exemptions, the class pages (roster, export) and the
class-list import. Every page reaches its rows through the door; every write calls
students/services/records.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views import generic

from sms.accounts.models import User
from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, STAFF_ROLES, Role
from sms.accounts.scoping import units_for, visible_to
from sms.audit.models import EventKind
from sms.audit.services import record as record_event
from sms.exports import xlsx
from sms.forms import DateInput, ScopedModelForm
from sms.imports import ImportFlowView, ImportTemplateView, UploadForm
from sms.org.catalogue import ETHNIC_CHOICES
from sms.org.filters import SchoolClassFilter
from sms.org.models import SchoolClass, SchoolYear, Subject
from sms.org.rules import ascii_slug
from sms.shell.modules import ModulePage, register_page
from sms.views import (
    ActorMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ScopedUpdateView,
    role_may,
)

from ..filters import MovementFilter, StudentFilter
from ..models import (
    Enrolment,
    Exemption,
    Guardian,
    MovementKind,
    Sex,
    Student,
    StudentMovement,
)
from ..resources import ClassListImporter, export_class
from ..selectors import roster
from ..services import records as services

# --- forms ----------------------------------------------------------------------------------------


def add_errors(form, error) -> None:
    """A service's ValidationError / PermissionDenied shown on the form, on the field it names."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in getattr(error, "messages", None) or [str(error)]:
            form.add_error(None, message)


def _accounts(unit_id: int, role: str):
    """Accounts holding ``role`` at the school: the choices to link a learner or a parent."""
    return (
        User.objects.filter(memberships__unit_id=unit_id, memberships__role=role, memberships__is_active=True)
        .distinct()
        .order_by("sort_key")
    )


class StudentForm(ScopedModelForm):
    """A learner's record. The learner code is typed once, at creation, and never offered
    again; the school is the actor's (moved only by a transfer); the status changes only
    through movements."""

    ethnicity = forms.ChoiceField(label="Dân tộc", choices=ETHNIC_CHOICES, initial="Kinh")

    class Meta:
        model = Student
        fields = [
            "learner_code",
            "personal_id",
            "full_name",
            "birth_date",
            "sex",
            "ethnicity",
            "birthplace",
            "address_area",
            "address",
            "disability_note",
            "register_number",
            "user",
        ]
        help_texts = {
            "learner_code": "Mã định danh do ngành cấp (thường 10 chữ số); không sửa được sau khi lưu.",
            "personal_id": "12 chữ số, theo căn cước / giấy khai sinh. Để trống nếu chưa có.",
            "address_area": "Xã/phường hoặc thôn/tổ dân phố hiện nay.",
            "user": "Tài khoản học sinh của trường (nếu có), để học sinh xem kết quả của mình.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk:
            del self.fields["learner_code"]  # immutable: the model refuses a change too
        areas = services.address_areas(self.actor)
        if instance.address_area_id:
            areas = areas | type(instance.address_area).objects.filter(pk=instance.address_area_id)
        self.fields["address_area"].queryset = areas.select_related("parent").order_by("path")
        self.fields["address_area"].label_from_instance = lambda a: (
            f"{a.name} – {a.parent.name}" if a.parent_id else a.name
        )
        self.fields["user"].queryset = (
            _accounts(instance.school_id, Role.STUDENT) if instance.school_id else User.objects.none()
        )

    def clean(self):
        cleaned = super().clean()
        probe = Student(
            pk=self.instance.pk,
            learner_code=cleaned.get("learner_code") or self.instance.learner_code,
            personal_id=cleaned.get("personal_id") or "",
        )
        for field, message in services.identifier_errors(probe).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return cleaned


class GuardianForm(ScopedModelForm):
    class Meta:
        model = Guardian
        fields = ["relation", "full_name", "birth_year", "occupation", "phone", "email", "user"]
        help_texts = {"user": "Tài khoản phụ huynh của trường (nếu có), để xem kết quả của con."}

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.student = student
        self.fields["user"].queryset = _accounts(student.school_id, Role.PARENT)


class ExemptionForm(ScopedModelForm):
    class Meta:
        model = Exemption
        fields = ["subject", "kind", "semester", "reason"]

    def __init__(self, *args, enrolment, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.enrolment = enrolment
        self.instance.school_id = enrolment.school_id
        self.fields["subject"].queryset = (
            visible_to(self.actor, Subject).filter(school_id=enrolment.school_id).order_by("name")
        )


class MovementForm(forms.Form):
    """What the movement services need; the services check who may do it."""

    kind = forms.ChoiceField(label="Loại biến động", choices=MovementKind.choices)
    to_school = forms.ModelChoiceField(
        label="Trường chuyển đến", queryset=None, required=False, help_text="Trường hoặc trung tâm thuộc cùng Sở."
    )
    to_class = forms.CharField(
        label="Lớp", max_length=30, required=False,
        help_text="Tên lớp năm học hiện tại ở trường chuyển đến (khi chuyển trường) hoặc ở trường (khi trở lại học); "
        "để trống nếu chưa xếp lớp.",
    )  # fmt: skip
    effective_on = forms.DateField(label="Ngày hiệu lực", widget=DateInput())
    reason = forms.CharField(label="Lý do", max_length=500, required=False)

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_school"].queryset = services.school_units_of_so(student.school).exclude(pk=student.school_id)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == MovementKind.TRANSFER and not cleaned.get("to_school"):
            self.add_error("to_school", "Chọn trường chuyển đến.")
        return cleaned


class EnrolForm(forms.Form):
    school_class = forms.ModelChoiceField(label="Lớp", queryset=None)
    enrolled_on = forms.DateField(
        label="Ngày vào lớp", required=False, widget=DateInput(), help_text="Để trống: hôm nay (hoặc ngày đầu năm học)."
    )

    def __init__(self, *args, actor, student, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["school_class"]
        field.queryset = (
            visible_to(actor, SchoolClass)
            .filter(school_id=student.school_id, school_year__is_closed=False)
            .select_related("school_year")
            .order_by("-school_year__start_year", "grade", "name")
        )
        field.label_from_instance = lambda c: f"{c.name} – năm học {c.school_year.name}"


class ChangeClassForm(forms.Form):
    school_class = forms.ModelChoiceField(label="Chuyển sang lớp", queryset=None)

    def __init__(self, *args, actor, enrolment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = (
            visible_to(actor, SchoolClass)
            .filter(school_year_id=enrolment.school_year_id)
            .exclude(pk=enrolment.school_class_id)
            .order_by("grade", "name")
        )


class ClassListUploadForm(UploadForm):
    school_year = forms.ModelChoiceField(
        label="Năm học", queryset=None, help_text="Cột “Lớp” của tệp là tên lớp của năm học này."
    )
    field_order = ["school_year", "file"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["school_year"]
        field.queryset = importable_years(actor).select_related("school")
        field.label_from_instance = lambda y: f"{y.name} – {y.school.name}"
        current = field.queryset.filter(is_current=True).first()
        if current is not None:
            field.initial = current.pk


def importable_years(actor):
    """Open school years of the schools where the actor writes learner records."""
    return (
        visible_to(actor, SchoolYear)
        .filter(school__in=units_for(actor, Student, "add"), is_closed=False)
        .order_by("-start_year")
    )


# --- a form about one object (the object through the door first) -------------------------------------


class ObjectFormView(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.FormView):
    """A form about one object that the actor must be able to ``scope_action``: a stranger's
    object is a 404 before anything else happens."""

    scope_action = "change"

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        self.object = self.get_object()
        return super(ScopedObjectMixin, self).dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **self.extra_form_kwargs()}

    def extra_form_kwargs(self) -> dict:
        return {}


# --- the learner's record --------------------------------------------------------------------------------


def _current_class_name():
    return Subquery(
        Enrolment.objects.filter(
            student=OuterRef("pk"), school=OuterRef("school"), school_year__is_current=True, left_on__isnull=True
        ).values("school_class__name")[:1]
    )


class StudentList(ScopedListView):
    model = Student
    filterset_class = StudentFilter
    template_name = "students/student_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school").annotate(class_name=_current_class_name())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_see_movements"] = self.actor.role in ADMIN_ROLES | OVERSIGHT_ROLES
        context["can_import"] = importable_years(self.actor).exists()
        return context


class StudentDetail(ScopedDetailView):
    """Hồ sơ học sinh. Each view of it is logged (a person's record)."""

    model = Student
    template_name = "students/student_detail.html"
    audit_reads = True
    fields = [
        "school",
        "learner_code",
        "personal_id",
        "full_name",
        "birth_date",
        "sex",
        "ethnicity",
        "birthplace",
        "status",
        "status_changed_on",
        "disability_note",
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("school", "address_area__parent", "user")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj, actor = self.object, self.actor
        guardians = list(visible_to(actor, Guardian).filter(student=obj).select_related("user"))
        enrolments = list(
            visible_to(actor, Enrolment)
            .filter(student=obj)
            .select_related("school_year", "school_class", "school")
            .order_by("-school_year__start_year", "-pk")
        )
        exemptions = visible_to(actor, Exemption).filter(enrolment__student=obj).select_related("subject", "enrolment")
        by_enrolment: dict[int, list] = {}
        for exemption in exemptions:
            by_enrolment.setdefault(exemption.enrolment_id, []).append(exemption)
        writable_guardians = set(visible_to(actor, Guardian, "change").filter(student=obj).values_list("pk", flat=True))
        can_change = context["can_change"]
        context.update(
            guardians=[
                (
                    g,
                    GuardianForm(instance=g, actor=actor, action="change", student=obj, prefix=f"g{g.pk}")
                    if g.pk in writable_guardians
                    else None,
                )
                for g in guardians
            ],
            guardian_form=GuardianForm(actor=actor, student=obj, prefix="new") if can_change else None,
            enrolments=[(e, by_enrolment.get(e.pk, [])) for e in enrolments],
            movements=visible_to(actor, StudentMovement).filter(student=obj).select_related("to_school", "school"),
            can_move=services.may_record_movement(actor, obj),
            may_print_book=_may_print_book(actor, obj),
            **_portal_context(self.request, actor, obj),
        )
        return context


def _portal_context(request, actor, student: Student) -> dict:
    """The record book's printed QR codes (the school's leaders and the offices above read them, the leaders
    revoke them) and the lookup code with its reissue button (the current school's principal or admin)."""
    from sms.portal import documents
    from sms.portal.models import DocumentToken

    from ..portal import RECORD_BOOK
    from ..services.portal import may_reissue_lookup_code

    show_tokens = role_may(actor, DocumentToken, "view")
    codes = (
        documents.printed_codes(actor, RECORD_BOOK, student.pk, next_url=request.get_full_path())
        if show_tokens
        else {"tokens": [], "can_revoke_tokens": False, "next": request.get_full_path()}
    )
    return {**codes, "show_tokens": show_tokens, "may_reissue_code": may_reissue_lookup_code(actor, student)}


class StudentLookupCodeReissue(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.View):
    """Cấp lại mã tra cứu (POST): a new code for the public results lookup; the printed one stops working."""

    model = Student
    scope_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        from ..services.portal import reissue_lookup_code

        student = self.get_object()
        try:
            student = reissue_lookup_code(self.actor, student)
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Đã cấp lại mã tra cứu cho {student.full_name}: {student.lookup_code}. Mã cũ in trên học bạ "
                "không còn dùng để tra cứu được; hãy in lại học bạ hoặc báo mã mới cho gia đình.",
            )
        return redirect(student.get_absolute_url() + "#ma-tra-cuu")


class StudentCreate(ScopedCreateView):
    model = Student
    form_class = StudentForm
    template_name = "students/student_form.html"
    success_message = "Đã thêm hồ sơ học sinh."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Student(school_id=self.actor.unit_id)
        return kwargs

    def form_valid(self, form):
        try:
            self.object = services.save_student(self.actor, form.instance)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.object.get_absolute_url())


class StudentUpdate(ScopedUpdateView):
    model = Student
    form_class = StudentForm
    template_name = "students/student_form.html"

    def form_valid(self, form):
        try:
            self.object = services.save_student(self.actor, form.instance)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.object.get_absolute_url())


class StudentExport(ActorMixin, generic.View):
    """The filtered list as xlsx (identity and current class; no contacts)."""

    model = Student
    required_action = "view"

    def get(self, request, *args, **kwargs):
        queryset = visible_to(self.actor, Student).select_related("school").annotate(class_name=_current_class_name())
        filterset = StudentFilter(request.GET or None, queryset=queryset, request=request)
        rows = filterset.qs if not filterset.is_bound or filterset.is_valid() else queryset.none()
        book = xlsx.Workbook()
        sheet = book.sheet(
            "Học sinh",
            [("Mã định danh", 14), ("Họ và tên", 28), ("Ngày sinh", 12), ("Giới tính", 10), ("Dân tộc", 12),
             ("Lớp", 8), ("Tình trạng", 18), ("Trường", 32)],
        )  # fmt: skip
        for s in rows:
            sheet.row(
                [s.learner_code, s.full_name, s.birth_date, s.get_sex_display(), s.ethnicity, s.class_name or "",
                 s.get_status_display(), s.school.name]
            )  # fmt: skip
        record_event(EventKind.EXPORT, request=request, actor=self.actor, detail="Danh sách học sinh (xlsx)")
        return xlsx.response(book.save(), "danh-sach-hoc-sinh.xlsx")


# --- guardians -------------------------------------------------------------------------------------------


class GuardianCreate(ObjectFormView):
    """Add a parent or guardian, from the learner's page (the form there posts here)."""

    model = Student
    form_class = GuardianForm
    template_name = "students/guardian_form.html"
    prefix = "new"

    def extra_form_kwargs(self):
        return {"actor": self.actor, "action": "add", "student": self.object}

    def form_valid(self, form):
        try:
            services.save_guardian(self.actor, form.instance)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã thêm cha mẹ / người giám hộ.")
        return redirect(self.object.get_absolute_url())


class GuardianDetail(ScopedDetailView):
    model = Guardian
    template_name = "students/guardian_detail.html"
    audit_reads = True
    fields = ["student", "relation", "full_name", "birth_year", "occupation", "phone", "email", "user"]

    def get_queryset(self):
        return super().get_queryset().select_related("student", "user")


class GuardianUpdate(ScopedUpdateView):
    model = Guardian
    form_class = GuardianForm
    template_name = "students/guardian_form.html"

    def get_prefix(self):
        return f"g{self.object.pk}"  # the same prefix as the inline form on the learner's page

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "student": self.object.student}

    def form_valid(self, form):
        try:
            services.save_guardian(self.actor, form.instance)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu cha mẹ / người giám hộ.")
        return redirect(self.object.student.get_absolute_url())


class GuardianDelete(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.TemplateView):
    """Remove a parent or guardian (GET asks to confirm; the learner's page posts directly)."""

    model = Guardian
    scope_action = "delete"
    template_name = "students/guardian_confirm_delete.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data(object=self.object))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        student = self.object.student
        services.remove_guardian(self.actor, self.object)
        messages.success(request, "Đã xoá cha mẹ / người giám hộ.")
        return redirect(student.get_absolute_url())


# --- movements --------------------------------------------------------------------------------------------


class MovementList(ScopedListView):
    """Biến động học sinh of the schools in reach; ``?kind=transfer`` is a school's list of
    learners who moved away (“Đã chuyển đi”), read from these rows, not from the records."""

    model = StudentMovement
    filterset_class = MovementFilter
    template_name = "students/movement_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("student", "school", "to_school")


class MovementDetail(ScopedDetailView):
    model = StudentMovement
    template_name = "students/movement_detail.html"
    fields = ["school", "kind", "to_school", "effective_on", "reason", "recorded_by", "created_at"]

    def get_queryset(self):
        return super().get_queryset().select_related("student", "school", "to_school", "recorded_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["student_readable"] = visible_to(self.actor, Student).filter(pk=self.object.student_id).exists()
        context["enrolments"] = (
            visible_to(self.actor, Enrolment)
            .filter(student_id=self.object.student_id, school_id=self.object.school_id)
            .select_related("school_year", "school_class")
        )
        return context


class StudentMovementRecord(ObjectFormView):
    """Ghi biến động: transfer within the Sở, drop-out, return, graduation."""

    model = Student
    form_class = MovementForm
    template_name = "students/movement_form.html"

    def extra_form_kwargs(self):
        return {"student": self.object}

    def form_valid(self, form):
        data = form.cleaned_data
        kind = data["kind"]
        to_class = None
        class_name = (data.get("to_class") or "").strip()
        if class_name and kind in (MovementKind.TRANSFER, MovementKind.RETURN):
            school = data["to_school"] if kind == MovementKind.TRANSFER else self.object.school
            to_class = SchoolClass.objects.filter(
                school=school, school_year__is_current=True, name__iexact=class_name
            ).first()
            if to_class is None:
                form.add_error("to_class", f"Năm học hiện tại của trường không có lớp “{class_name}”.")
                return self.form_invalid(form)
        args = (self.actor, self.object)
        try:
            if kind == MovementKind.TRANSFER:
                movement = services.transfer(
                    *args, data["to_school"], data["effective_on"], data["reason"], to_class=to_class
                )
            elif kind == MovementKind.RETURN:
                movement = services.readmit(*args, data["effective_on"], data["reason"], to_class=to_class)
            else:
                movement = services.MOVEMENT_SERVICES[kind](*args, data["effective_on"], data["reason"])
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã ghi biến động: {movement.get_kind_display().lower()}.")
        if visible_to(self.actor, Student).filter(pk=self.object.pk).exists():
            return redirect(self.object.get_absolute_url())
        return redirect(movement.get_absolute_url())  # moved away: the movement stays with us


# --- enrolment ----------------------------------------------------------------------------------------------


class StudentEnrol(ObjectFormView):
    """Xếp lớp: one class a school year; a learner who already has a class that year moves."""

    model = Student
    form_class = EnrolForm
    template_name = "students/enrolment_form.html"

    def extra_form_kwargs(self):
        return {"actor": self.actor, "student": self.object}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            enrolment = services.enrol(self.actor, self.object, data["school_class"], data.get("enrolled_on"))
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã xếp vào lớp {enrolment.school_class.name}.")
        return redirect(self.object.get_absolute_url())


class EnrolmentDetail(ScopedDetailView):
    """A learner's year in a class, with the subjects exempted or on an individual plan."""

    model = Enrolment
    template_name = "students/enrolment_detail.html"
    fields = ["school", "school_year", "school_class", "enrolled_on", "left_on"]

    def get_queryset(self):
        return super().get_queryset().select_related("student", "school", "school_year", "school_class")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj, actor = self.object, self.actor
        context.update(
            student_readable=visible_to(actor, Student).filter(pk=obj.student_id).exists(),
            exemptions=visible_to(actor, Exemption).filter(enrolment=obj).select_related("subject"),
            exemption_form=(
                ExemptionForm(actor=actor, enrolment=obj, prefix="new")
                if visible_to(actor, Enrolment, "change").filter(pk=obj.pk).exists() and not obj.school_year.is_closed
                else None
            ),
            can_change_class=(
                context["can_change"]
                and obj.left_on is None
                and not obj.school_year.is_closed
                and actor.unit_id == obj.school_id
            ),
        )
        return context


class EnrolmentChangeClass(ObjectFormView):
    model = Enrolment
    form_class = ChangeClassForm
    template_name = "students/enrolment_change_class.html"

    def get_queryset(self):
        return super().get_queryset().select_related("student", "school_year", "school_class")

    def extra_form_kwargs(self):
        return {"actor": self.actor, "enrolment": self.object}

    def form_valid(self, form):
        try:
            services.change_class(self.actor, self.object, form.cleaned_data["school_class"])
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã chuyển sang lớp {form.cleaned_data['school_class'].name}.")
        return redirect(self.object.get_absolute_url())


# --- exemptions ------------------------------------------------------------------------------------------------


class ExemptionCreate(ObjectFormView):
    """Add an exempted or individual-plan subject to a learner's year (from the year's page)."""

    model = Enrolment
    form_class = ExemptionForm
    template_name = "students/exemption_form.html"
    prefix = "new"

    def extra_form_kwargs(self):
        return {"actor": self.actor, "action": "add", "enrolment": self.object}

    def form_valid(self, form):
        try:
            services.save_exemption(self.actor, form.instance)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã thêm môn miễn / đánh giá riêng.")
        return redirect(self.object.get_absolute_url())


class ExemptionDetail(ScopedDetailView):
    model = Exemption
    template_name = "students/exemption_detail.html"
    fields = ["school", "enrolment", "subject", "kind", "semester", "reason"]

    def get_queryset(self):
        return (
            super().get_queryset().select_related("school", "enrolment__student", "enrolment__school_class", "subject")
        )


class ExemptionUpdate(ScopedUpdateView):
    model = Exemption
    form_class = ExemptionForm
    template_name = "students/exemption_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enrolment": self.object.enrolment}

    def form_valid(self, form):
        try:
            services.save_exemption(self.actor, form.instance)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu.")
        return redirect(self.object.enrolment.get_absolute_url())


# --- classes ----------------------------------------------------------------------------------------------------


class ClassList(ScopedListView):
    """Lớp học: the classes in reach, each with its roster page."""

    model = SchoolClass
    filterset_class = SchoolClassFilter
    template_name = "students/class_list.html"

    def get_queryset(self):
        today = timezone.localdate()
        still = Q(enrolments__left_on__isnull=True) | Q(enrolments__left_on__gt=today)
        return (
            super()
            .get_queryset()
            .select_related("school", "school_year", "homeroom_teacher")
            .annotate(size=Count("enrolments", filter=still))
            .order_by("school__name", "-school_year__start_year", "grade", "name")
        )


def _optional_url(name: str, *, kwargs=None, query: str = "") -> str | None:
    """A link to a page another area of the module provides, if it is there."""
    try:
        return reverse(name, kwargs=kwargs) + query
    except NoReverseMatch:
        return None


class ClassRoster(ScopedDetailView):
    """A class: its roster in Vietnamese name order, homeroom teacher, counts by sex, and
    links to its grade-book sheets and results."""

    model = SchoolClass
    template_name = "students/class_roster.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "school_year", "homeroom_teacher")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        klass, actor = self.object, self.actor
        everyone = list(visible_to(actor, roster(klass, include_left=True)))
        today = timezone.localdate()
        current = [e for e in everyone if e.left_on is None or e.left_on > today]
        left = [e for e in everyone if not (e.left_on is None or e.left_on > today)]
        readable = set(
            visible_to(actor, Student).filter(pk__in=[e.student_id for e in everyone]).values_list("pk", flat=True)
        )
        context.update(
            current=current,
            left=left,
            readable=readable,
            boys=sum(1 for e in current if e.student.sex == Sex.MALE),
            girls=sum(1 for e in current if e.student.sex == Sex.FEMALE),
            sheets_url=_optional_url("students:sheet-list", query=f"?school_class={klass.pk}"),
            results_url=_optional_url("students:class-results", kwargs={"pk": klass.pk}),
            can_import=importable_years(actor).filter(pk=klass.school_year_id).exists(),
            books=_class_books(actor, klass),
        )
        return context


def _may_print_book(actor, student: Student) -> bool:
    """Whether to offer the learner's record book (the download checks again): the roles that read
    results; a teacher only as the current homeroom teacher (a query only for teachers)."""
    from ..reports.recordbook import RECORD_BOOK_READERS, readable_students

    if actor.role not in RECORD_BOOK_READERS:
        return False
    return actor.role != Role.TEACHER or readable_students(actor).filter(pk=student.pk).exists()


def _class_books(actor, klass: SchoolClass) -> list[tuple[str, str]]:
    """The class's books and family accounts the actor's role works with (each page checks again)."""
    links = []
    leader = actor.role in (Role.PRINCIPAL, Role.SCHOOL_ADMIN)
    if actor.role in ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER}:
        links.append(("Sổ theo dõi và đánh giá học sinh (Excel)", "students:markbook-export"))
    if leader or actor.role == Role.TEACHER:
        links.append(("Nhập lại sổ theo dõi và đánh giá từ Excel", "students:markbook-import"))
    if leader or (actor.role == Role.TEACHER and klass.homeroom_teacher_id == actor.user.pk):
        links.append(("In học bạ cả lớp (PDF)", "students:recordbook-class"))
    if leader:
        links.append(("Tài khoản học sinh và cha mẹ", "students:family-accounts"))
        links.append(("Cấp lại mật khẩu học sinh và cha mẹ", "students:family-reissue"))
    return [(label, url) for label, name in links if (url := _optional_url(name, kwargs={"pk": klass.pk}))]


class ClassExport(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.View):
    """The class list as xlsx, in the import template's columns."""

    model = SchoolClass

    def get(self, request, *args, **kwargs):
        klass = self.get_object()
        enrolments = list(visible_to(self.actor, roster(klass)))
        readable = set(
            visible_to(self.actor, Student)
            .filter(pk__in=[e.student_id for e in enrolments])
            .values_list("pk", flat=True)
        )
        name = ascii_slug(klass.name) or str(klass.pk)
        return xlsx.response(
            export_class(klass, enrolments, readable), f"danh-sach-lop-{name}-{klass.school_year.start_year}.xlsx"
        )


# --- class-list import ---------------------------------------------------------------------------------------------

_YEAR_KEY = "students-import-year-"


class ClassImport(ImportFlowView):
    """Upload → dry run → confirm, for one school year chosen on the upload form (kept with
    the uploaded sheet in the session until the confirm)."""

    model = Student
    importer_class = ClassListImporter
    template_url_name = "students:class-import-template"
    school_year = None

    def get_importer(self):
        return self.importer_class(self.actor, self.request, school_year=self.school_year)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", ClassListUploadForm(actor=self.actor))
        return super().get_context_data(**kwargs)

    def render_page(self, template, status=200, **context):
        upload = context.get("upload")
        if upload is not None and self.school_year is not None:
            self.request.session[f"{_YEAR_KEY}{upload.pk}"] = self.school_year.pk
        return super().render_page(template, status, **context)

    def post(self, request, *args, **kwargs):
        if "confirm" in request.POST:
            stored = self.stored_upload(request.POST.get("upload"))
            year_id = request.session.get(f"{_YEAR_KEY}{stored.pk}")
            self.school_year = importable_years(self.actor).filter(pk=year_id).select_related("school").first()
            if self.school_year is None:
                messages.error(request, "Chưa lưu gì: không rõ năm học của tệp. Hãy tải tệp lên lại.")
                return redirect(request.path)
            return self.confirm(stored)
        form = ClassListUploadForm(request.POST, request.FILES, actor=self.actor)
        if not form.is_valid():
            return self.render_page(self.template_name, status=400, form=form)
        self.school_year = form.cleaned_data["school_year"]
        return super().post(request, *args, **kwargs)


class ClassImportTemplate(ImportTemplateView):
    model = Student
    importer_class = ClassListImporter


urlpatterns = [
    path("ho-so/", StudentList.as_view(), name="student-list"),
    path("ho-so/them/", StudentCreate.as_view(), name="student-create"),
    path("ho-so/xuat.xlsx", StudentExport.as_view(), name="student-export"),
    path("ho-so/<int:pk>/", StudentDetail.as_view(), name="student-detail"),
    path("ho-so/<int:pk>/sua/", StudentUpdate.as_view(), name="student-update"),
    path("ho-so/<int:pk>/bien-dong/", StudentMovementRecord.as_view(), name="student-movement"),
    path("ho-so/<int:pk>/xep-lop/", StudentEnrol.as_view(), name="student-enrol"),
    path("ho-so/<int:pk>/cap-lai-ma-tra-cuu/", StudentLookupCodeReissue.as_view(), name="student-lookup-code"),
    path("ho-so/<int:pk>/cha-me/them/", GuardianCreate.as_view(), name="guardian-create"),
    path("cha-me/<int:pk>/", GuardianDetail.as_view(), name="guardian-detail"),
    path("cha-me/<int:pk>/sua/", GuardianUpdate.as_view(), name="guardian-update"),
    path("cha-me/<int:pk>/xoa/", GuardianDelete.as_view(), name="guardian-delete"),
    path("bien-dong/", MovementList.as_view(), name="movement-list"),
    path("bien-dong/<int:pk>/", MovementDetail.as_view(), name="movement-detail"),
    path("nam-hoc-cua-hoc-sinh/<int:pk>/", EnrolmentDetail.as_view(), name="enrolment-detail"),
    path("nam-hoc-cua-hoc-sinh/<int:pk>/chuyen-lop/", EnrolmentChangeClass.as_view(), name="enrolment-change-class"),
    path("nam-hoc-cua-hoc-sinh/<int:pk>/mien/them/", ExemptionCreate.as_view(), name="exemption-create"),
    path("mien/<int:pk>/", ExemptionDetail.as_view(), name="exemption-detail"),
    path("mien/<int:pk>/sua/", ExemptionUpdate.as_view(), name="exemption-update"),
    path("lop/", ClassList.as_view(), name="class-list"),
    path("lop/<int:pk>/", ClassRoster.as_view(), name="class-roster"),
    path("lop/<int:pk>/xuat.xlsx", ClassExport.as_view(), name="class-export"),
    path("nhap-danh-sach-lop/", ClassImport.as_view(), name="class-import"),
    path("nhap-danh-sach-lop/mau.xlsx", ClassImportTemplate.as_view(), name="class-import-template"),
]

#: the pages of this area on the module's landing page
PAGES = (
    ModulePage(
        "Hồ sơ học sinh",
        "students:student-list",
        ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER, Role.CLERK},
        "Danh sách, tìm theo tên không dấu hoặc mã định danh, lọc theo lớp, khối, tình trạng.",
    ),
    ModulePage("Lớp học", "students:class-list", STAFF_ROLES, "Danh sách lớp, sĩ số, xuất danh sách lớp."),
    ModulePage(
        "Nhập danh sách lớp",
        "students:class-import",
        frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN}),
        "Từ tệp Excel: kiểm tra thử từng dòng rồi mới lưu.",
    ),
    ModulePage(
        "Biến động học sinh",
        "students:movement-list",
        ADMIN_ROLES | OVERSIGHT_ROLES,
        "Chuyển trường, thôi học, trở lại học, hoàn thành chương trình; danh sách học sinh đã chuyển đi.",
    ),
)
for _page in PAGES:
    register_page("students", _page)
