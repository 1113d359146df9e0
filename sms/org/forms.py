from django import forms

from sms.forms import ScopedModelForm

from .models import AdministrativeArea, SchoolClass, SchoolYear, Subject, SubjectPlan, Unit


class UnitForm(ScopedModelForm):
    class Meta:
        model = Unit
        fields = [
            "kind",
            "school_type",
            "code",
            "name",
            "parent",
            "area",
            "edu_domain",
            "email",
            "phone",
            "address",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Moving a unit is its own action (it keeps history); not an edit of a field.
            self.fields["parent"].disabled = True


class AreaForm(ScopedModelForm):
    class Meta:
        model = AdministrativeArea
        fields = ["code", "name", "level", "parent", "valid_from", "valid_to", "successor", "owner"]


class SchoolYearForm(ScopedModelForm):
    class Meta:
        model = SchoolYear
        fields = ["school", "start_year", "starts_on", "ends_on"]


class SchoolClassForm(ScopedModelForm):
    class Meta:
        model = SchoolClass
        fields = ["school_year", "grade", "name", "homeroom_teacher"]


class SubjectForm(ScopedModelForm):
    class Meta:
        model = Subject
        fields = ["school", "code", "name", "assessment", "is_active"]


class SubjectPlanForm(ScopedModelForm):
    class Meta:
        model = SubjectPlan
        fields = ["school_year", "grade", "subject", "periods_per_year"]


class MoveUnitForm(forms.Form):
    parent = forms.ModelChoiceField(label="Đơn vị cấp trên mới", queryset=Unit.objects.none())
    reason = forms.CharField(label="Lý do (quyết định, văn bản)", max_length=255, required=False)

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
