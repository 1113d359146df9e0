"""API of the diploma register, under /api/exams/: issuers, the register (diplomas) with the actions that write it
(issue a batch, issue one, correct, copy, revoke), and the corrections, copies and revocations (read).

Every write calls ``exams.services.register`` — the functions the HTML pages call — so the API accepts and refuses
exactly what the pages do: the service's Vietnamese ``ValidationError`` is the platform's 400, a refusal a 403,
another unit's row a 404 (rows come through the door first). Learners (student, parent) read their own diplomas:
the door grants them.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.api.serializers import ScopedModelSerializer
from sms.api.viewsets import ScopedMixin

from .. import rules
from ..filters_register import (
    DiplomaCopyFilter,
    DiplomaCorrectionFilter,
    DiplomaFilter,
    DiplomaRevocationFilter,
    IssuerFilter,
)
from ..models import Diploma, DiplomaCopy, DiplomaCorrection, DiplomaKind, DiplomaRevocation, DossierFile, Issuer
from ..selectors import may_keep_register
from ..services import register as services

# --- serializers ------------------------------------------------------------------------------------------------------

#: ids in a request body: positive and within the database's integer range (a larger one is a 400, not a 500)
ID_MAX = 2**31 - 1
#: a copy's fields about the requester's identity papers, for the register's keepers only
KEEPERS_ONLY = ("requester_id_number", "authorisation")


class IssuerSerializer(ScopedModelSerializer):
    """An issuer. ``unit`` (where its register is kept) is given once, at creation; ``covers`` are units of the
    writer's subtree (empty: the keeping unit's subtree); ``kinds`` codes of the diploma types it issues."""

    unit_name = serializers.CharField(source="unit.name", read_only=True)
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=DiplomaKind.choices), allow_empty=False)

    class Meta:
        model = Issuer
        fields = [
            "id",
            "unit",
            "unit_name",
            "name",
            "signer_title",
            "signer_name",
            "place_name",
            "kinds",
            "covers",
            "area",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"covers": {"required": False}, "area": {"required": False}}

    def validate(self, attrs):
        # the rules are checked once, by the service that writes the row
        return attrs


class RevocationSummarySerializer(serializers.ModelSerializer):
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)

    class Meta:
        model = DiplomaRevocation
        fields = ["id", "reason", "reason_display", "decision_number", "decision_date", "decision_signer"]
        read_only_fields = fields


class DiplomaSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    entry_label = serializers.CharField(read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    revoked = serializers.BooleanField(source="is_revoked", read_only=True)
    revocation = serializers.SerializerMethodField()

    class Meta:
        model = Diploma
        fields = [
            "id",
            "issuer",
            "issuer_name",
            "kind",
            "kind_display",
            "year",
            "entry_number",
            "entry_label",
            "serial",
            "status",
            "status_display",
            "revoked",
            "full_name",
            "birth_date",
            "birthplace",
            "sex",
            "ethnicity",
            "nationality",
            "personal_id",
            "student",
            "school",
            "school_name",
            "graduation_year",
            "entry",
            "decision_number",
            "decision_date",
            "issued_on",
            "signer_title",
            "signer_name",
            "imported",
            "note",
            "revocation",
        ]
        read_only_fields = fields

    def get_revocation(self, diploma) -> dict | None:
        try:
            revocation = diploma.revocation
        except DiplomaRevocation.DoesNotExist:
            return None
        return RevocationSummarySerializer(revocation).data


class DossierFileSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    name = serializers.CharField(source="file.name", read_only=True)
    size = serializers.IntegerField(source="file.size", read_only=True)
    download_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = DossierFile
        fields = ["id", "kind", "kind_display", "name", "size", "download_url"]
        read_only_fields = fields


class DiplomaCorrectionSerializer(serializers.ModelSerializer):
    ground_display = serializers.CharField(source="get_ground_display", read_only=True)
    dossier = serializers.SerializerMethodField()

    class Meta:
        model = DiplomaCorrection
        fields = [
            "id",
            "diploma",
            "ground",
            "ground_display",
            "changes",
            "reason",
            "decision_number",
            "decision_date",
            "made_at",
            "dossier",
        ]
        read_only_fields = fields

    def get_dossier(self, correction) -> list[dict]:
        """The dossier's files the reader may open (the viewset prefetches them through the door)."""
        return DossierFileSerializer(correction.dossier.all(), many=True).data


class DiplomaCopySerializer(serializers.ModelSerializer):
    """A copy from the register. The requester's identity papers (``requester_id_number``, ``authorisation``) are
    given only to who keeps the issuer's register (``selectors.may_keep_register``); other readers — the holder's
    school, the holder — get the copy without them. The context's ``actor`` is the reader (the viewsets set it)."""

    number_label = serializers.CharField(read_only=True)
    relation_display = serializers.CharField(source="get_relation_display", read_only=True)
    requester_id_number = serializers.CharField(
        read_only=True, required=False, help_text="Chỉ cán bộ quản lý sổ gốc của cơ quan cấp mới nhận được."
    )
    authorisation = serializers.CharField(
        read_only=True, required=False, help_text="Chỉ cán bộ quản lý sổ gốc của cơ quan cấp mới nhận được."
    )

    class Meta:
        model = DiplomaCopy
        fields = [
            "id",
            "diploma",
            "issuer",
            "kind",
            "year",
            "number",
            "number_label",
            "requester_name",
            "relation",
            "relation_display",
            "requester_id_number",
            "authorisation",
            "holder_deceased",
            "quantity",
            "issued_on",
            "signer_title",
            "signer_name",
        ]
        read_only_fields = fields

    def to_representation(self, copy):
        data = super().to_representation(copy)
        if not self._keeps(copy):
            for name in KEEPERS_ONLY:
                data.pop(name, None)
        return data

    def _keeps(self, copy) -> bool:
        """Whether the reader keeps the copy's issuer's register, once per issuer of a list."""
        known = self.context.setdefault("keeps", {})
        if copy.issuer_id not in known:
            actor = self.context.get("actor")
            known[copy.issuer_id] = may_keep_register(actor, copy.issuer) if actor is not None else False
        return known[copy.issuer_id]


class DiplomaRevocationSerializer(serializers.ModelSerializer):
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)
    serial = serializers.CharField(source="diploma.serial", read_only=True)
    full_name = serializers.CharField(source="diploma.full_name", read_only=True)

    class Meta:
        model = DiplomaRevocation
        fields = [
            "id",
            "diploma",
            "serial",
            "full_name",
            "reason",
            "reason_display",
            "detail",
            "decision_number",
            "decision_date",
            "decision_signer",
            "recorded_at",
        ]
        read_only_fields = fields


class IssueBatchSerializer(serializers.Serializer):
    issuer = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="Mã cơ quan cấp văn bằng (bạn quản lý sổ gốc)."
    )
    kind = serializers.ChoiceField(choices=DiplomaKind.choices)
    entries = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Mã người học trong danh sách chờ cấp; bỏ trống: tất cả người đang chờ cấp loại văn bằng này.",
    )
    issued_on = serializers.DateField()
    first_serial = serializers.CharField(max_length=30, help_text="Số hiệu của phôi đầu tiên; các số sau tăng dần.")

    def validate_entries(self, value: list[int]) -> list[int]:
        bad = [v for v in value if not 1 <= v <= ID_MAX]
        if bad:
            raise serializers.ValidationError(f"Mã người học không hợp lệ: {', '.join(map(str, bad[:5]))}.")
        return value


class IssueOneSerializer(serializers.Serializer):
    issuer = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    kind = serializers.ChoiceField(choices=DiplomaKind.choices)
    full_name = serializers.CharField(max_length=150)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=[("M", "Nam"), ("F", "Nữ")])
    ethnicity = serializers.CharField(max_length=40, required=False, default="Kinh")
    birthplace = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    nationality = serializers.CharField(max_length=60, required=False, default="Việt Nam")
    personal_id = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    school = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="Mã trường (trường hoặc trung tâm thuộc phạm vi cấp của cơ quan cấp), nếu có.",
    )
    school_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    graduation_year = serializers.IntegerField(min_value=1, max_value=9999)
    decision_number = serializers.CharField(max_length=60)
    decision_date = serializers.DateField()
    serial = serializers.CharField(max_length=30)
    issued_on = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CorrectSerializer(serializers.Serializer):
    """Multipart: the new values of the fields to correct (only those given, and only those that differ, are
    recorded), the decision, and the dossier: one or more ``dossier`` files with, in the same order, their
    ``dossier_kind`` (one kind for all when given once; "other" when absent)."""

    ground = serializers.ChoiceField(choices=list(rules.CORRECTION_GROUNDS.items()))
    full_name = serializers.CharField(max_length=150, required=False)
    birth_date = serializers.DateField(required=False)
    birthplace = serializers.CharField(max_length=255, required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=[("M", "Nam"), ("F", "Nữ")], required=False)
    ethnicity = serializers.CharField(max_length=40, required=False)
    reason = serializers.CharField(max_length=2000)
    decision_number = serializers.CharField(max_length=60)
    decision_date = serializers.DateField()
    dossier = serializers.ListField(child=serializers.FileField(), required=False)
    dossier_kind = serializers.ListField(
        child=serializers.ChoiceField(choices=DossierFile.Kind.choices), required=False
    )


class CopySerializer(serializers.Serializer):
    requester_name = serializers.CharField(max_length=150)
    relation = serializers.ChoiceField(choices=list(rules.COPY_REQUESTERS.items()))
    requester_id_number = serializers.CharField(max_length=20)
    authorisation = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    holder_deceased = serializers.BooleanField(required=False, default=False)
    quantity = serializers.IntegerField(required=False, default=1)
    issued_on = serializers.DateField(required=False, allow_null=True, default=None)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=list(rules.REVOCATION_REASONS.items()))
    detail = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    decision_number = serializers.CharField(max_length=60)
    decision_date = serializers.DateField()
    decision_signer = serializers.CharField(max_length=255)


class AwaitingRowSerializer(serializers.Serializer):
    """One graduate waiting for a diploma: the entry, the decision it rests on and the 75-day deadline."""

    entry = serializers.IntegerField()
    kind = serializers.CharField()
    full_name = serializers.CharField()
    birth_date = serializers.DateField()
    school = serializers.CharField()
    class_name = serializers.CharField()
    round = serializers.IntegerField()
    decision_number = serializers.CharField()
    decision_date = serializers.DateField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()


# --- viewsets ---------------------------------------------------------------------------------------------------------


def _fresh(diplomas) -> list[Diploma]:
    """Diplomas just issued, read again with what their serializer follows (the issuer, the revocation — none yet):
    one query whatever their number."""
    if not diplomas:
        return []
    first = diplomas[0]
    return list(
        Diploma.objects.filter(
            issuer_id=first.issuer_id,
            kind=first.kind,
            year=first.year,
            entry_number__in=[d.entry_number for d in diplomas],
        )
        .select_related("issuer", "revocation")
        .order_by("entry_number")
    )


class IssuerViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Issuers the door shows (the subtree's and, inherited, those above). Admins of the keeping unit's subtree
    create and change them (``services.create_issuer`` / ``update_issuer``); the keeping unit never changes.
    ``awaiting/`` lists the graduates waiting for one type (``?kind=``), for who keeps the register."""

    queryset = Issuer.objects.select_related("unit").prefetch_related("covers")
    serializer_class = IssuerSerializer
    filterset_class = IssuerFilter

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.action in ("update", "partial_update"):
            serializer.fields["unit"].read_only = True  # the register stays with its keeping unit
        return serializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        issuer = services.create_issuer(self.actor, **data)
        return Response(self.get_serializer(issuer).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        issuer = self.get_object()
        serializer = self.get_serializer(issuer, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "unit"}
        issuer = services.update_issuer(self.actor, issuer, **data)
        return Response(self.get_serializer(issuer).data)

    @extend_schema(responses=AwaitingRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def awaiting(self, request, pk=None):
        issuer = self.get_object()
        kind = request.query_params.get("kind") or (issuer.kinds[0] if issuer.kinds else "")
        rows = services.awaiting(self.actor, issuer, kind) if kind in DiplomaKind.values else []
        body = [
            {
                "entry": r.entry.pk,
                "kind": r.kind,
                "full_name": r.entry.full_name,
                "birth_date": r.entry.birth_date,
                "school": r.school_label,
                "class_name": r.entry.class_name,
                "round": r.entry.round_id,
                "decision_number": r.entry.round.decision_number,
                "decision_date": r.entry.round.decision_date,
                "deadline": r.deadline,
                "overdue": r.overdue,
            }
            for r in rows
        ]
        return Response(AwaitingRowSerializer(body, many=True).data)


class DiplomaViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The original register through the door, with the register's FilterSet (issuer, kind, year, status, school,
    ``q``: name without diacritics or serial). The keeping unit's staff and the offices above read their issuers'
    books, a school its own graduates' diplomas, a learner their own. Writes are actions calling the services:
    ``issue-batch``, ``issue-one`` (on the register), ``correct`` (multipart, with the dossier), ``copy``,
    ``revoke`` (on one diploma)."""

    queryset = Diploma.objects.select_related("issuer", "revocation")
    serializer_class = DiplomaSerializer
    filterset_class = DiplomaFilter

    def _issuer(self, pk) -> Issuer:
        return get_visible_or_404(self.actor, Issuer.objects.select_related("unit"), pk)

    def _diploma(self, pk) -> Diploma:
        return get_visible_or_404(self.actor, Diploma.objects.select_related("issuer", "issuer__unit"), pk)

    @extend_schema(request=IssueBatchSerializer, responses={201: DiplomaSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="issue-batch")
    def issue_batch(self, request):
        data = IssueBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        issuer = self._issuer(attrs["issuer"])
        entries = attrs.get("entries")
        if entries is None:
            entries = [r.entry.pk for r in services.awaiting(self.actor, issuer, attrs["kind"])]
        diplomas = services.issue_batch(
            self.actor,
            issuer,
            attrs["kind"],
            entries,
            issued_on=attrs["issued_on"],
            first_serial=attrs["first_serial"],
        )
        return Response(DiplomaSerializer(_fresh(diplomas), many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IssueOneSerializer, responses={201: DiplomaSerializer})
    @action(detail=False, methods=["post"], url_path="issue-one")
    def issue_one(self, request):
        data = IssueOneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = dict(data.validated_data)
        issuer = self._issuer(attrs.pop("issuer"))
        diploma = services.issue_one(self.actor, issuer, **attrs)
        return Response(DiplomaSerializer(_fresh([diploma])[0]).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": CorrectSerializer}, responses={201: DiplomaCorrectionSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def correct(self, request, pk=None):
        diploma = self._diploma(pk)
        data = CorrectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        files = attrs.get("dossier") or []
        kinds = attrs.get("dossier_kind") or []
        if len(kinds) == 1:
            kinds = kinds * len(files)
        if kinds and len(kinds) != len(files):
            raise serializers.ValidationError({"dossier_kind": ["Số loại giấy tờ phải bằng số tệp hồ sơ."]})
        dossier = list(zip(kinds or [DossierFile.Kind.OTHER] * len(files), files, strict=True))
        correction = services.correct(
            self.actor,
            diploma,
            ground=attrs["ground"],
            values={f: attrs[f] for f in rules.CORRECTABLE_FIELDS if f in attrs},
            reason=attrs["reason"],
            decision_number=attrs["decision_number"],
            decision_date=attrs["decision_date"],
            dossier=dossier,
        )
        return Response(DiplomaCorrectionSerializer(correction).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CopySerializer, responses={201: DiplomaCopySerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        diploma = self._diploma(pk)
        data = CopySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        copy = services.issue_copy(self.actor, diploma, **data.validated_data)
        return Response(DiplomaCopySerializer(copy, context={"actor": self.actor}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeSerializer, responses={201: DiplomaRevocationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        diploma = self._diploma(pk)
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revocation = services.revoke(self.actor, diploma, **data.validated_data)
        return Response(DiplomaRevocationSerializer(revocation).data, status=status.HTTP_201_CREATED)


class DiplomaCorrectionViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Corrections the door shows (``?diploma=``), with the dossier's files the reader may open."""

    queryset = DiplomaCorrection.objects.all()
    serializer_class = DiplomaCorrectionSerializer
    filterset_class = DiplomaCorrectionFilter

    def get_queryset(self):
        files = visible_to(self.actor, DossierFile).select_related("file").order_by("kind", "pk")
        return super().get_queryset().prefetch_related(Prefetch("dossier", queryset=files))


class DiplomaCopyViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Copies from the register (``?diploma=``, ``?issuer=``, ``?year=``); the requester's identity papers only for
    who keeps the issuer's register."""

    queryset = DiplomaCopy.objects.select_related("issuer", "issuer__unit")
    serializer_class = DiplomaCopySerializer
    filterset_class = DiplomaCopyFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "actor": self.actor}


class DiplomaRevocationViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Revocations the door shows (the public list is part of the portal)."""

    queryset = DiplomaRevocation.objects.select_related("diploma")
    serializer_class = DiplomaRevocationSerializer
    filterset_class = DiplomaRevocationFilter


routes = [
    ("issuers", IssuerViewSet, "issuer"),
    ("diplomas", DiplomaViewSet, "diploma"),
    ("diploma-corrections", DiplomaCorrectionViewSet, "diplomacorrection"),
    ("diploma-copies", DiplomaCopyViewSet, "diplomacopy"),
    ("diploma-revocations", DiplomaRevocationViewSet, "diplomarevocation"),
]
extra_urlpatterns: list = []
