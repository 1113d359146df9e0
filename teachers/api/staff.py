"""API of module (b): staff records, subject groups, movements and the staff statistics.
`routes`: (prefix, viewset, basename) registered by teachers/api/urls.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, UnitKind
from sms.accounts.scoping import units_for
from sms.api.errors import django_validation_to_dict
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedReadOnlyViewSet, ScopedViewSet

from .. import movements
from ..filters import MovementFilter, StaffFilter, SubjectGroupFilter
from ..models import MovementKind, StaffMovement, StaffRecord, SubjectGroup


def _keep_school(instance, attrs) -> None:
    """A row's school is not changed by an update (a person moves only by a transfer)."""
    if instance is not None and "school" in attrs and attrs["school"].pk != instance.school_id:
        raise serializers.ValidationError({"school": "Không đổi trường ở đây; dùng chức năng chuyển công tác."})


class StaffSerializer(ScopedModelSerializer):
    class Meta:
        model = StaffRecord
        fields = [
            "id",
            "school",
            "user",
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
            "status",
        ]
        read_only_fields = ["user", "status"]

    def validate(self, attrs):
        _keep_school(self.instance, attrs)
        school = attrs.get("school") or (self.instance.school if self.instance is not None else None)
        group = attrs.get("subject_group")
        if school is not None and group is not None and group.school_id != school.pk:
            raise serializers.ValidationError({"subject_group": "Tổ chuyên môn phải thuộc trường của cán bộ."})
        subjects = attrs.get("subjects") or []
        if school is not None and any(s.school_id != school.pk for s in subjects):
            raise serializers.ValidationError({"subjects": "Môn dạy phải là môn của trường của cán bộ."})
        return super().validate(attrs)


class SubjectGroupSerializer(ScopedModelSerializer):
    class Meta:
        model = SubjectGroup
        fields = ["id", "school", "name", "leader", "subjects"]

    def validate(self, attrs):
        _keep_school(self.instance, attrs)
        school = attrs.get("school") or (self.instance.school if self.instance is not None else None)
        subjects = attrs.get("subjects") or []
        if school is not None and any(s.school_id != school.pk for s in subjects):
            raise serializers.ValidationError({"subjects": "Môn học phải là môn của trường."})
        return super().validate(attrs)


class MovementSerializer(serializers.ModelSerializer):
    class Meta:
        model = StaffMovement
        fields = ["id", "school", "staff", "kind", "to_school", "effective_on", "decision", "note", "recorded_by"]
        read_only_fields = fields


class MovementInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    to_school = serializers.IntegerField(required=False)
    effective_on = serializers.DateField()
    decision = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StaffViewSet(ScopedViewSet):
    """Staff records (one per person). ``POST {id}/movement/``: a transfer, leave, return or
    retirement through teachers/movements.py; ``GET stats/``: counts per school."""

    queryset = StaffRecord.objects.select_related("school", "subject_group").prefetch_related("subjects")
    serializer_class = StaffSerializer
    filterset_class = StaffFilter

    @action(detail=True, methods=["post"])
    def movement(self, request, pk=None):
        staff = self.get_object()  # POST → "add": the actor writes this school's staff
        data = MovementInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        extra = {}
        if values["kind"] == MovementKind.TRANSFER:
            to_school = (
                units_for(self.actor, StaffRecord, "change")
                .filter(pk=values.get("to_school"), kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE])
                .first()
            )
            if to_school is None:
                raise serializers.ValidationError(
                    {"to_school": "Không tìm thấy trường chuyển đến trong phạm vi bạn quản lý."}
                )
            extra["to_school"] = to_school
        service = movements.KIND_SERVICES[values["kind"]]
        try:
            movement = service(
                self.actor,
                staff,
                effective_on=values["effective_on"],
                decision=values["decision"],
                note=values["note"],
                **extra,
            )
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_validation_to_dict(error)) from None
        return Response(MovementSerializer(movement).data, status=201)

    @action(detail=False, methods=["get"])
    def stats(self, request):
        from ..views.staff import staff_stats

        if self.actor is None or self.actor.role not in ADMIN_ROLES | OVERSIGHT_ROLES:
            raise PermissionDenied("Chỉ lãnh đạo nhà trường, Phòng và Sở xem thống kê đội ngũ.")
        schools, dims = staff_stats(self.actor)
        return Response(
            {
                "schools": [{"id": s.pk, "code": s.code, "name": s.name} for s in schools],
                "tables": [
                    {
                        "title": d.title,
                        "columns": [{"key": k, "label": str(label)} for k, label in d.columns],
                        "rows": [{"school": s.pk, "counts": values, "total": total} for s, values, total in d.rows],
                        "totals": d.totals,
                        "total": d.total,
                    }
                    for d in dims
                ],
            }
        )


class SubjectGroupViewSet(ScopedViewSet):
    queryset = SubjectGroup.objects.select_related("school", "leader").prefetch_related("subjects")
    serializer_class = SubjectGroupSerializer
    filterset_class = SubjectGroupFilter


class MovementViewSet(ScopedReadOnlyViewSet):
    """Movements, recorded at the school the person left; written only through ``staff/{id}/movement/``."""

    queryset = StaffMovement.objects.select_related("staff", "school", "to_school")
    serializer_class = MovementSerializer
    filterset_class = MovementFilter


routes = [
    ("staff", StaffViewSet, "staffrecord"),
    ("groups", SubjectGroupViewSet, "subjectgroup"),
    ("movements", MovementViewSet, "staffmovement"),
]
