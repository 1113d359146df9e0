from rest_framework import serializers

from sms.api.serializers import ScopedModelSerializer

from ..models import AdministrativeArea, SchoolClass, SchoolYear, Semester, Subject, SubjectPlan, Unit


class UnitSerializer(ScopedModelSerializer):
    domain_warning = serializers.CharField(read_only=True, allow_null=True)
    grades = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
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
            "dissolved_on",
            "path",
            "depth",
            "grades",
            "domain_warning",
        ]
        read_only_fields = ["path", "depth"]


class AdministrativeAreaSerializer(ScopedModelSerializer):
    class Meta:
        model = AdministrativeArea
        fields = [
            "id",
            "code",
            "name",
            "level",
            "parent",
            "valid_from",
            "valid_to",
            "successor",
            "owner",
            "path",
            "depth",
        ]
        read_only_fields = ["path", "depth"]


class SemesterSerializer(ScopedModelSerializer):
    class Meta:
        model = Semester
        fields = ["id", "school", "school_year", "number", "starts_on", "ends_on"]


class SchoolYearSerializer(ScopedModelSerializer):
    name = serializers.CharField(read_only=True)
    semesters = SemesterSerializer(many=True, read_only=True)

    class Meta:
        model = SchoolYear
        fields = ["id", "school", "start_year", "name", "starts_on", "ends_on", "is_current", "is_closed", "semesters"]
        read_only_fields = ["is_current", "is_closed"]


class SchoolClassSerializer(ScopedModelSerializer):
    class Meta:
        model = SchoolClass
        fields = ["id", "school", "school_year", "grade", "name", "homeroom_teacher"]


class SubjectSerializer(ScopedModelSerializer):
    class Meta:
        model = Subject
        fields = ["id", "school", "code", "name", "assessment", "is_active"]


class SubjectPlanSerializer(ScopedModelSerializer):
    class Meta:
        model = SubjectPlan
        fields = ["id", "school", "school_year", "grade", "subject", "periods_per_year"]
