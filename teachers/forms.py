"""Forms of the staff pages: every choice through the scoping door (``ScopedModelForm``)."""

from __future__ import annotations

from django import forms

from sms.accounts.roles import UnitKind
from sms.accounts.scoping import units_for
from sms.forms import DateInput, ScopedModelForm

from .models import MovementKind, StaffRecord, SubjectGroup


class StaffForm(ScopedModelForm):
    """A staff record; the school is one the actor administers (their own for a school admin).
    The school of an existing record is changed only by a transfer."""

    class Meta:
        model = StaffRecord
        fields = [
            "school",
            "staff_code",
            "full_name",
            "birth_date",
            "sex",
            "ethnicity",
            "personal_id",
            "phone",
            "email",
            "position",
            "subject_group",
            "subjects",
            "qualification_level",
            "qualification_field",
            "rank_code",
            "employment_type",
            "started_on",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        school = self.fields["school"]
        school.queryset = school.queryset.filter(kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE]).order_by("name")
        if self.instance.pk:
            school.disabled = True  # moved only by the transfer service
        elif school.queryset.count() == 1:
            school.initial = school.queryset.first()

    def clean(self):
        cleaned = super().clean()
        school = cleaned.get("school") or (self.instance.school if self.instance.pk else None)
        group = cleaned.get("subject_group")
        if school is not None and group is not None and group.school_id != school.pk:
            self.add_error("subject_group", "Tổ chuyên môn phải thuộc trường của cán bộ.")
        subjects = cleaned.get("subjects")
        if school is not None and subjects and any(s.school_id != school.pk for s in subjects):
            self.add_error("subjects", "Môn dạy phải là môn của trường của cán bộ.")
        return cleaned


class SubjectGroupForm(ScopedModelForm):
    class Meta:
        model = SubjectGroup
        fields = ["school", "name", "leader", "subjects"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        school = self.fields["school"]
        school.queryset = school.queryset.filter(kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE]).order_by("name")
        if self.instance.pk:
            school.disabled = True

    def clean(self):
        cleaned = super().clean()
        school = cleaned.get("school") or (self.instance.school if self.instance.pk else None)
        subjects = cleaned.get("subjects")
        if school is not None and subjects and any(s.school_id != school.pk for s in subjects):
            self.add_error("subjects", "Môn học phải là môn của trường.")
        return cleaned


class MovementForm(forms.Form):
    """What the movement service needs; the service checks who may do it."""

    kind = forms.ChoiceField(label="Loại biến động", choices=MovementKind.choices)
    to_school = forms.ModelChoiceField(label="Trường chuyển đến", queryset=None, required=False)
    effective_on = forms.DateField(label="Ngày hiệu lực", widget=DateInput())
    decision = forms.CharField(label="Số quyết định", max_length=100, required=False)
    note = forms.CharField(label="Ghi chú", max_length=500, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_school"].queryset = (
            units_for(actor, StaffRecord, "change").filter(kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE]).order_by("name")
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == MovementKind.TRANSFER and not cleaned.get("to_school"):
            self.add_error("to_school", "Chọn trường chuyển đến.")
        return cleaned
