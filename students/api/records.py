"""API of learner records, under /api/students/: students, guardians, enrolments, exemptions
and movements. Every relation a client sends is looked up through the door
(``ScopedModelSerializer``); every write calls students/services/records.py, like the pages.

``routes``: (prefix, viewset, basename), registered by students/api/urls.py.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from sms.api.errors import django_validation_to_dict
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedCreateModelMixin, ScopedMixin, ScopedReadOnlyViewSet, ScopedUpdateModelMixin
from sms.audit.mixins import AuditReadsMixin
from sms.org.models import SchoolClass

from ..filters import EnrolmentFilter, ExemptionFilter, GuardianFilter, MovementFilter, StudentFilter
from ..models import Enrolment, Exemption, Guardian, MovementKind, Student, StudentMovement, learner_code_validator
from ..services import records as services


def _call(service, *args, **kwargs):
    """Run a service; its refusals become the API's 400 / 403."""
    try:
        return service(*args, **kwargs)
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from None
    except DjangoValidationError as error:
        raise serializers.ValidationError(django_validation_to_dict(error)) from None


def _actor(serializer):
    request = serializer.context.get("request")
    return getattr(request, "actor", None)


# --- students --------------------------------------------------------------------------------------------


class StudentSerializer(ScopedModelSerializer):
    class Meta:
        model = Student
        fields = [
            "id",
            "school",
            "learner_code",
            "personal_id",
            "full_name",
            "birth_date",
            "sex",
            "ethnicity",
            "birthplace",
            "address_area",
            "address",
            "status",
            "status_changed_on",
            "disability_note",
            "register_number",
            "user",
        ]
        read_only_fields = ["school", "status", "status_changed_on", "user"]
        # the code's uniqueness is checked in validate(), with a message that names no school
        extra_kwargs = {"learner_code": {"validators": [learner_code_validator]}}

    def validate(self, attrs):
        instance = self.instance
        if instance is not None:
            if "learner_code" in attrs and attrs["learner_code"] != instance.learner_code:
                raise serializers.ValidationError({"learner_code": "Mã định danh học sinh không được thay đổi."})
        else:
            actor = _actor(self)
            attrs["school"] = actor.unit if actor is not None else None
        probe = Student(
            pk=instance.pk if instance is not None else None,
            learner_code=attrs.get("learner_code", instance.learner_code if instance else ""),
            personal_id=attrs.get("personal_id", instance.personal_id if instance else ""),
        )
        errors = services.identifier_errors(probe)
        if errors:
            raise serializers.ValidationError(errors)
        return super().validate(attrs)


class StudentListSerializer(serializers.ModelSerializer):
    """A list row: who the learner is, not where they live. The whole record (personal ID,
    address, birthplace, disability note) comes one at a time, each read logged."""

    class Meta:
        model = Student
        fields = ["id", "school", "learner_code", "full_name", "birth_date", "sex", "ethnicity", "status"]
        read_only_fields = fields


class StudentMovementSerializer(serializers.ModelSerializer):
    class Meta:
        model = StudentMovement
        fields = ["id", "school", "student", "kind", "to_school", "effective_on", "reason", "recorded_by", "created_at"]
        read_only_fields = fields


class StudentMovementInput(serializers.Serializer):
    """``POST students/{id}/movement/``: a drop-out, return or graduation (a transfer has its own action)."""

    kind = serializers.ChoiceField(choices=[k for k in MovementKind.choices if k[0] != MovementKind.TRANSFER])
    effective_on = serializers.DateField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    to_class = serializers.IntegerField(required=False, help_text="Khi trở lại học: lớp của trường (năm học hiện tại).")


class StudentTransferInput(serializers.Serializer):
    to_school = serializers.IntegerField(help_text="Trường hoặc trung tâm thuộc cùng Sở.")
    effective_on = serializers.DateField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    to_class = serializers.IntegerField(required=False, help_text="Lớp năm học hiện tại ở trường chuyển đến.")


class StudentViewSet(
    AuditReadsMixin,
    ScopedMixin,
    ScopedCreateModelMixin,
    ScopedUpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Learner records (one per learner for life). Each retrieve is logged as a read of a
    person's record. ``POST {id}/transfer/``: transfer within the Sở; ``POST {id}/movement/``:
    drop-out, return or graduation. The learner code is never changed."""

    queryset = Student.objects.select_related("school")
    serializer_class = StudentSerializer
    filterset_class = StudentFilter

    def get_serializer_class(self):
        return StudentListSerializer if self.action == "list" else StudentSerializer

    def perform_create(self, serializer):
        student = Student(**serializer.validated_data)
        serializer.instance = _call(services.save_student, self.actor, student)

    def perform_update(self, serializer):
        student = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(student, name, value)
        serializer.instance = _call(services.save_student, self.actor, student)

    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        student = self.get_object()  # POST → "add": only the school's writers reach it
        data = StudentTransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        to_school = services.school_units_of_so(self.actor.unit).filter(pk=values["to_school"]).first()
        if to_school is None:
            raise serializers.ValidationError(
                {"to_school": "Chỉ chuyển đến trường hoặc trung tâm đang hoạt động thuộc cùng Sở."}
            )
        to_class = None
        if values.get("to_class") is not None:
            to_class = SchoolClass.objects.filter(pk=values["to_class"], school=to_school).first()
            if to_class is None:
                raise serializers.ValidationError(
                    {"to_class": "Lớp không thuộc năm học hiện tại của trường chuyển đến."}
                )
        movement = _call(
            services.transfer,
            self.actor,
            student,
            to_school,
            values["effective_on"],
            values["reason"],
            to_class=to_class,
        )
        return Response(StudentMovementSerializer(movement).data, status=201)

    @action(detail=True, methods=["post"])
    def movement(self, request, pk=None):
        student = self.get_object()
        data = StudentMovementInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kind = values["kind"]
        if kind == MovementKind.RETURN:
            to_class = None
            if values.get("to_class") is not None:
                to_class = SchoolClass.objects.filter(pk=values["to_class"], school_id=student.school_id).first()
                if to_class is None:
                    raise serializers.ValidationError({"to_class": "Không tìm thấy lớp của trường."})
            movement = _call(
                services.readmit, self.actor, student, values["effective_on"], values["reason"], to_class=to_class
            )
        else:
            movement = _call(
                services.MOVEMENT_SERVICES[kind], self.actor, student, values["effective_on"], values["reason"]
            )
        return Response(StudentMovementSerializer(movement).data, status=201)


# --- guardians --------------------------------------------------------------------------------------------


class GuardianSerializer(ScopedModelSerializer):
    class Meta:
        model = Guardian
        fields = ["id", "student", "relation", "full_name", "birth_year", "occupation", "phone", "email", "user"]
        read_only_fields = ["user"]

    def validate(self, attrs):
        if self.instance is not None and "student" in attrs and attrs["student"].pk != self.instance.student_id:
            raise serializers.ValidationError({"student": "Không chuyển người giám hộ sang học sinh khác."})
        return super().validate(attrs)


class GuardianListSerializer(serializers.ModelSerializer):
    """A list row without contacts: phone and e-mail come one guardian at a time, each read logged."""

    class Meta:
        model = Guardian
        fields = ["id", "student", "relation", "full_name"]
        read_only_fields = fields


class GuardianViewSet(AuditReadsMixin, ScopedMixin, ScopedCreateModelMixin, ScopedUpdateModelMixin,
                      mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                      viewsets.GenericViewSet):  # fmt: skip
    """Parents and guardians with their contacts; each retrieve is logged."""

    queryset = Guardian.objects.select_related("student")
    serializer_class = GuardianSerializer
    filterset_class = GuardianFilter

    def get_serializer_class(self):
        return GuardianListSerializer if self.action == "list" else GuardianSerializer

    def perform_create(self, serializer):
        serializer.instance = _call(services.save_guardian, self.actor, Guardian(**serializer.validated_data))

    def perform_update(self, serializer):
        guardian = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(guardian, name, value)
        serializer.instance = _call(services.save_guardian, self.actor, guardian)

    def perform_destroy(self, instance):
        _call(services.remove_guardian, self.actor, instance)


# --- enrolments ----------------------------------------------------------------------------------------------


class EnrolmentSerializer(ScopedModelSerializer):
    """Create: put a learner in a class (one class a school year: a learner who has one moves).
    Update: ``school_class`` moves the learner to another class of the same year."""

    class Meta:
        model = Enrolment
        fields = ["id", "school", "student", "school_year", "school_class", "enrolled_on", "left_on"]
        read_only_fields = ["school_year", "left_on"]

    def validate(self, attrs):
        instance = self.instance
        if instance is not None:
            if "student" in attrs and attrs["student"].pk != instance.student_id:
                raise serializers.ValidationError({"student": "Không đổi học sinh của một năm học đã ghi."})
            if "enrolled_on" in attrs and attrs["enrolled_on"] != instance.enrolled_on:
                raise serializers.ValidationError({"enrolled_on": "Không sửa ngày vào lớp ở đây."})
        if attrs.get("school_class") is not None:
            attrs["school_year"] = attrs["school_class"].school_year
        # The service checks the rest (one class a year, the learner's school): no unique check here.
        return attrs


class EnrolmentViewSet(ScopedMixin, ScopedCreateModelMixin, ScopedUpdateModelMixin, mixins.ListModelMixin,
                       mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # fmt: skip
    queryset = Enrolment.objects.select_related("student", "school_year", "school_class")
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        if data.get("student") is None or data.get("school_class") is None:
            raise serializers.ValidationError({"school_class": "Cần học sinh và lớp."})
        serializer.instance = _call(
            services.enrol, self.actor, data["student"], data["school_class"], data.get("enrolled_on")
        )

    def perform_update(self, serializer):
        school_class = serializer.validated_data.get("school_class")
        if school_class is not None and school_class.pk != serializer.instance.school_class_id:
            serializer.instance = _call(services.change_class, self.actor, serializer.instance, school_class)


# --- exemptions --------------------------------------------------------------------------------------------------


class ExemptionSerializer(ScopedModelSerializer):
    class Meta:
        model = Exemption
        fields = ["id", "school", "enrolment", "subject", "kind", "semester", "reason"]

    def validate(self, attrs):
        if self.instance is not None and "enrolment" in attrs and attrs["enrolment"].pk != self.instance.enrolment_id:
            raise serializers.ValidationError({"enrolment": "Không chuyển sang học sinh khác."})
        enrolment = attrs.get("enrolment") or (self.instance.enrolment if self.instance is not None else None)
        subject = attrs.get("subject")
        if enrolment is not None and subject is not None and subject.school_id != enrolment.school_id:
            raise serializers.ValidationError({"subject": "Môn học phải là môn của trường."})
        return super().validate(attrs)


class ExemptionViewSet(ScopedMixin, ScopedCreateModelMixin, ScopedUpdateModelMixin, mixins.ListModelMixin,
                       mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """Subjects left out of a learner's automatic classification for a year or a semester."""

    queryset = Exemption.objects.select_related("enrolment", "subject")
    serializer_class = ExemptionSerializer
    filterset_class = ExemptionFilter

    def perform_create(self, serializer):
        serializer.instance = _call(services.save_exemption, self.actor, Exemption(**serializer.validated_data))

    def perform_update(self, serializer):
        exemption = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(exemption, name, value)
        serializer.instance = _call(services.save_exemption, self.actor, exemption)


# --- movements ------------------------------------------------------------------------------------------------------


class MovementViewSet(ScopedReadOnlyViewSet):
    """Movements, recorded at the school the learner left (or studied at); written only through
    ``students/{id}/transfer/`` and ``students/{id}/movement/``. At a school, ``?kind=transfer``
    lists the learners who moved away."""

    queryset = StudentMovement.objects.select_related("student", "school", "to_school")
    serializer_class = StudentMovementSerializer
    filterset_class = MovementFilter


routes = [
    ("students", StudentViewSet, "student"),
    ("guardians", GuardianViewSet, "guardian"),
    ("enrolments", EnrolmentViewSet, "enrolment"),
    ("exemptions", ExemptionViewSet, "exemption"),
    ("movements", MovementViewSet, "studentmovement"),
]
