"""HTML pages for units, areas and each school's structure (thin: door, form, service)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views import generic

from sms.accounts.scoping import get_visible_or_404, units_for
from sms.views import ActorMixin, ScopedCreateView, ScopedDetailView, ScopedListView, ScopedUpdateView

from . import filters, forms, services
from .models import AdministrativeArea, SchoolClass, SchoolYear, Subject, SubjectPlan, Unit


class UnitList(ScopedListView):
    model = Unit
    filterset_class = filters.UnitFilter
    columns = [
        ("code", "Mã"),
        ("name", "Tên đơn vị"),
        ("get_kind_display", "Loại"),
        ("school_type", "Loại hình"),
        ("parent", "Cấp trên"),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class UnitDetail(ScopedDetailView):
    model = Unit
    template_name = "org/unit_detail.html"
    fields = [
        "code",
        "name",
        "kind",
        "school_type",
        "parent",
        "area",
        "edu_domain",
        "email",
        "phone",
        "address",
        "is_active",
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["children"] = self.object.children.order_by("name")
        context["moves"] = self.object.moves.select_related("from_parent", "to_parent", "moved_by")[:20]
        context["years"] = (
            SchoolYear.objects.filter(school=self.object).order_by("-start_year") if self.object.is_school_level else []
        )
        return context


class DomainWarningMixin:
    """The official domain is advice (Circular 53/2012, Art. 3): saved, with a warning."""

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.object.domain_warning:
            messages.warning(self.request, self.object.domain_warning)
        return response


class UnitCreate(DomainWarningMixin, ScopedCreateView):
    model = Unit
    form_class = forms.UnitForm


class UnitUpdate(DomainWarningMixin, ScopedUpdateView):
    model = Unit
    form_class = forms.UnitForm


class UnitMoveView(ActorMixin, generic.FormView):
    """Move a unit under another parent; the move and the old parent stay in history."""

    model = Unit
    required_action = "change"
    form_class = forms.MoveUnitForm
    template_name = "sms/object_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        self.object = get_visible_or_404(self.actor, Unit, kwargs["pk"], "change")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        parents = units_for(self.actor, Unit, "change").exclude(path__startswith=self.object.path)
        kwargs["parents"] = parents.exclude(kind__in=["school", "centre"])
        return kwargs

    def form_valid(self, form):
        try:
            services.move_unit(self.actor, self.object, form.cleaned_data["parent"], form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Đã chuyển đơn vị.")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(model_meta=Unit._meta, object=self.object, title=f"Chuyển đơn vị: {self.object}")
        return context


class AreaList(ScopedListView):
    model = AdministrativeArea
    filterset_class = filters.AreaFilter
    columns = [
        ("code", "Mã"),
        ("name", "Tên"),
        ("get_level_display", "Cấp"),
        ("parent", "Thuộc"),
        ("valid_to", "Hết hiệu lực"),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class AreaDetail(ScopedDetailView):
    model = AdministrativeArea
    fields = ["code", "name", "level", "parent", "valid_from", "valid_to", "successor", "owner"]


class AreaCreate(ScopedCreateView):
    model = AdministrativeArea
    form_class = forms.AreaForm


class AreaUpdate(ScopedUpdateView):
    model = AdministrativeArea
    form_class = forms.AreaForm


class SchoolYearList(ScopedListView):
    model = SchoolYear
    filterset_class = filters.SchoolYearFilter
    columns = [
        ("school", "Trường"),
        ("name", "Năm học"),
        ("starts_on", "Bắt đầu"),
        ("ends_on", "Kết thúc"),
        ("is_current", "Hiện tại"),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("school")


class SchoolYearDetail(ScopedDetailView):
    model = SchoolYear
    template_name = "org/schoolyear_detail.html"
    fields = ["school", "start_year", "starts_on", "ends_on", "is_current", "is_closed"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["semesters"] = self.object.semesters.all()
        context["classes"] = self.object.classes.select_related("homeroom_teacher").order_by("grade", "name")
        return context


class SchoolYearCreate(ScopedCreateView):
    model = SchoolYear
    form_class = forms.SchoolYearForm

    def form_valid(self, form):
        data = form.cleaned_data
        self.object = services.create_school_year(
            data["school"], data["start_year"], starts_on=data["starts_on"], ends_on=data["ends_on"]
        )
        messages.success(self.request, "Đã tạo năm học và hai học kỳ.")
        return redirect(self.object.get_absolute_url())


class SchoolYearUpdate(ScopedUpdateView):
    model = SchoolYear
    form_class = forms.SchoolYearForm


class SchoolClassList(ScopedListView):
    model = SchoolClass
    filterset_class = filters.SchoolClassFilter
    columns = [
        ("name", "Lớp"),
        ("grade", "Khối"),
        ("school_year", "Năm học"),
        ("homeroom_teacher", "GVCN"),
        ("school", "Trường"),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("school", "school_year", "homeroom_teacher")


class SchoolClassDetail(ScopedDetailView):
    model = SchoolClass
    fields = ["school", "school_year", "grade", "name", "homeroom_teacher"]


class SchoolClassCreate(ScopedCreateView):
    model = SchoolClass
    form_class = forms.SchoolClassForm


class SchoolClassUpdate(ScopedUpdateView):
    model = SchoolClass
    form_class = forms.SchoolClassForm


class SubjectList(ScopedListView):
    model = Subject
    filterset_class = filters.SubjectFilter
    columns = [("code", "Mã"), ("name", "Môn học"), ("get_assessment_display", "Đánh giá"), ("school", "Trường")]

    def get_queryset(self):
        return super().get_queryset().select_related("school")


class SubjectDetail(ScopedDetailView):
    model = Subject
    fields = ["school", "code", "name", "assessment", "is_active"]


class SubjectCreate(ScopedCreateView):
    model = Subject
    form_class = forms.SubjectForm


class SubjectUpdate(ScopedUpdateView):
    model = Subject
    form_class = forms.SubjectForm


class SubjectPlanList(ScopedListView):
    model = SubjectPlan
    filterset_class = filters.SubjectPlanFilter
    columns = [
        ("school_year", "Năm học"),
        ("grade", "Khối"),
        ("subject", "Môn học"),
        ("periods_per_year", "Số tiết/năm"),
        ("school", "Trường"),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("school", "school_year", "subject")


class SubjectPlanDetail(ScopedDetailView):
    model = SubjectPlan
    fields = ["school", "school_year", "grade", "subject", "periods_per_year"]


class SubjectPlanCreate(ScopedCreateView):
    model = SubjectPlan
    form_class = forms.SubjectPlanForm


class SubjectPlanUpdate(ScopedUpdateView):
    model = SubjectPlan
    form_class = forms.SubjectPlanForm
