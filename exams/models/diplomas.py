"""Module (e), part 2: graduation and the diploma registers.

See ``../shared/domain/exams-diplomas.md``, "Diplomas and certificates", and ``exams.rules`` (part 2) for the
regulation. Who reaches what:

- An ``Issuer`` (cơ quan cấp văn bằng: a Sở director, a commune People's Committee chair, a principal) is data:
  the unit that keeps its original register (sổ gốc) in this system, the diploma types it issues, and the units
  whose graduates it serves. Which issuer issues which type is deployment configuration.
- A register's rows (``Diploma``, its corrections, copies and revocation) belong to the issuer's keeping unit:
  that unit's staff and the offices above it read them, its registrars (admins, Sở/Phòng staff, a school's
  leaders) write them. The holder's school reads its own graduates' diplomas; a learner and their parents read
  the learner's own.
- A ``GraduationRound`` (đợt xét công nhận tốt nghiệp) belongs to the unit that runs it: a school for the THCS
  review of grade-9 results (TT31/2023), the exam's owner for THPT graduation from the exam. A school reads the
  entries of its own learners in a round run above it; a learner reads their own entry once it is decided.
- Nothing graded or issued is deleted: a diploma is revoked, corrected or copied, each with history.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from sms.accounts.roles import ADMIN_ROLES, STAFF_ROLES
from sms.accounts.scoping import Scope
from sms.audit.history import AuditedHistory
from sms.text import nfc, search_key, sort_key

from .. import rules
from .core import ORGANISERS, SCHOOL_REGISTRARS, _own, _staff_and_learners

__all__ = [
    "REGISTRARS",
    "CouncilRole",
    "Diploma",
    "DiplomaCopy",
    "DiplomaCorrection",
    "DiplomaKind",
    "DiplomaRevocation",
    "DiplomaStatus",
    "DossierFile",
    "GraduationCouncilMember",
    "GraduationEntry",
    "GraduationLevel",
    "GraduationRound",
    "Issuer",
    "RegisterBook",
    "RegisterCounter",
    "RoundStatus",
]

#: the choices of the regulation's tables (exams.rules), for the model fields and the API schema
COPY_REQUESTER_CHOICES = list(rules.COPY_REQUESTERS.items())
REVOCATION_REASON_CHOICES = list(rules.REVOCATION_REASONS.items())
CORRECTION_GROUND_CHOICES = list(rules.CORRECTION_GROUNDS.items())

#: who keeps the register of an issuer whose unit is in their subtree, and runs graduation rounds there
REGISTRARS = ORGANISERS | SCHOOL_REGISTRARS


class DiplomaKind(models.TextChoices):
    THCS = rules.THCS_DIPLOMA, "Bằng tốt nghiệp trung học cơ sở"
    THPT = rules.THPT_DIPLOMA, "Bằng tốt nghiệp trung học phổ thông"
    COMPLETION = rules.COMPLETION_CERTIFICATE, "Giấy chứng nhận hoàn thành chương trình giáo dục phổ thông"


class GraduationLevel(models.TextChoices):
    THCS = "thcs", "Xét công nhận tốt nghiệp THCS"
    THPT = "thpt", "Công nhận tốt nghiệp THPT (theo kết quả thi)"


#: the diploma a recognised graduate of each level receives
LEVEL_DIPLOMA = {GraduationLevel.THCS: DiplomaKind.THCS, GraduationLevel.THPT: DiplomaKind.THPT}


def _school_reads(school_path: str):
    """Staff grant: the holder's school (and the offices above it) read their own learners' rows."""

    def grant(actor, action) -> Q | None:
        if action != "view":
            return None
        return Q(**{f"{school_path}__path__startswith": actor.unit.path})

    return grant


# --- issuers and their counters ------------------------------------------------------------------------------


class Issuer(models.Model):
    """Who issues diplomas of some types to the graduates of some units, and keeps their original register."""

    unit = models.ForeignKey(
        "org.Unit",
        verbose_name="đơn vị giữ sổ gốc",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Đơn vị có cán bộ quản lý sổ gốc cấp văn bằng của cơ quan này trên hệ thống.",
    )
    name = models.CharField("cơ quan cấp văn bằng", max_length=255, help_text="Ví dụ: Sở Giáo dục và Đào tạo tỉnh …")
    signer_title = models.CharField(
        "chức danh người ký", max_length=120, help_text="Ví dụ: Giám đốc, Chủ tịch, Hiệu trưởng."
    )
    signer_name = models.CharField("họ tên người ký", max_length=150)
    place_name = models.CharField(
        "địa danh ghi trên văn bằng", max_length=120, blank=True, help_text="Phần “…, ngày … tháng … năm …”."
    )
    kinds = models.JSONField("loại văn bằng cấp", default=list, help_text="Các mã trong DiplomaKind.")
    covers = models.ManyToManyField(
        "org.Unit",
        verbose_name="cấp cho người học thuộc",
        blank=True,
        related_name="+",
        help_text="Để trống: người học của đơn vị giữ sổ gốc và các đơn vị trực thuộc.",
    )
    area = models.ForeignKey(
        "org.AdministrativeArea",
        verbose_name="địa bàn (xã, phường)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField("đang cấp", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistory()
    scope = Scope(unit="unit", readers=STAFF_ROLES, writers=ADMIN_ROLES, inherited=True)

    class Meta:
        verbose_name = "cơ quan cấp văn bằng"
        verbose_name_plural = "cơ quan cấp văn bằng"
        ordering = ["unit__path", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="exams_issuer_name_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("exams:issuer-detail", kwargs={"pk": self.pk})

    def save(self, *args, **kwargs):
        self.name = nfc(self.name).strip()
        self.signer_title = nfc(self.signer_title).strip()
        self.signer_name = nfc(self.signer_name).strip()
        self.place_name = nfc(self.place_name).strip()
        super().save(*args, **kwargs)


class RegisterBook(models.TextChoices):
    ORIGINAL = "original", "Sổ gốc cấp văn bằng"
    COPY = "copy", "Sổ cấp bản sao văn bằng"


class RegisterCounter(models.Model):
    """The last entry number given in one book of an issuer, per diploma type and calendar year. The issuing
    services lock this row (``select_for_update``) while numbering, so two clerks never get the same number."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="counters")
    book = models.CharField(max_length=10, choices=RegisterBook.choices, default=RegisterBook.ORIGINAL)
    kind = models.CharField(max_length=12, choices=DiplomaKind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    scope = Scope(unit="issuer__unit", readers=REGISTRARS, writers=REGISTRARS)

    class Meta:
        verbose_name = "bộ đếm số vào sổ"
        verbose_name_plural = "bộ đếm số vào sổ"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "book", "kind", "year"], name="exams_register_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.book} {self.kind} {self.year}: {self.last_number}"


# --- graduation rounds ----------------------------------------------------------------------------------------


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "Đang xét"
    PROPOSED = "proposed", "Đã trình công nhận"
    DECIDED = "decided", "Đã có quyết định công nhận"


class GraduationRound(models.Model):
    """One round of graduation recognition: a school's THCS review of grade-9 results (TT31/2023, at most two a
    year), or the THPT recognition from a graduation exam's results, ending in a decision (số, ngày, người ký)."""

    unit = models.ForeignKey("org.Unit", verbose_name="đơn vị xét", on_delete=models.PROTECT, related_name="+")
    level = models.CharField("cấp", max_length=4, choices=GraduationLevel.choices)
    start_year = models.PositiveSmallIntegerField("năm học (năm bắt đầu)")
    number = models.PositiveSmallIntegerField(
        "đợt", default=1, validators=[MinValueValidator(1), MaxValueValidator(rules.GRADUATION_ROUNDS_PER_YEAR)]
    )
    exam = models.ForeignKey(
        "exams.Exam",
        verbose_name="kỳ thi tốt nghiệp",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="graduation_rounds",
    )
    issuer = models.ForeignKey(
        Issuer,
        verbose_name="cơ quan công nhận và cấp bằng",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    status = models.CharField("trạng thái", max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    reviewed_at = models.DateTimeField("xét lần cuối", null=True, blank=True)
    proposed_at = models.DateTimeField("trình lúc", null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_number = models.CharField("số quyết định công nhận", max_length=60, blank=True)
    decision_date = models.DateField("ngày ký quyết định", null=True, blank=True)
    decision_signer = models.CharField("người ký quyết định", max_length=255, blank=True)
    decided_at = models.DateTimeField("ghi nhận quyết định lúc", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField("ghi chú", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistory()
    scope = Scope(unit="unit", readers=STAFF_ROLES, writers=REGISTRARS, inherited=True)

    class Meta:
        verbose_name = "đợt xét công nhận tốt nghiệp"
        verbose_name_plural = "đợt xét công nhận tốt nghiệp"
        ordering = ["-start_year", "unit__name", "level", "number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "level", "start_year", "number"], name="exams_graduation_round_unique"
            ),
            models.CheckConstraint(
                condition=Q(level=GraduationLevel.THCS) | Q(exam__isnull=False), name="exams_round_thpt_has_exam"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} năm học {self.start_year}–{self.start_year + 1}, đợt {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("exams:round-detail", kwargs={"pk": self.pk})

    @property
    def is_decided(self) -> bool:
        return self.status == RoundStatus.DECIDED

    @property
    def diploma_kind(self) -> str:
        return LEVEL_DIPLOMA[self.level]


class CouncilRole(models.TextChoices):
    CHAIR = "chair", rules.COUNCIL_ROLES["chair"]
    VICE_CHAIR = "vice_chair", rules.COUNCIL_ROLES["vice_chair"]
    SECRETARY = "secretary", rules.COUNCIL_ROLES["secretary"]
    MEMBER = "member", rules.COUNCIL_ROLES["member"]


class GraduationCouncilMember(models.Model):
    """A member of a round's council (Hội đồng xét công nhận tốt nghiệp, TT31/2023: at least seven)."""

    round = models.ForeignKey(GraduationRound, verbose_name="đợt xét", on_delete=models.CASCADE, related_name="council")
    full_name = models.CharField("họ và tên", max_length=150)
    position = models.CharField("chức vụ", max_length=120, blank=True)
    role = models.CharField("nhiệm vụ trong hội đồng", max_length=12, choices=CouncilRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="tài khoản",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveSmallIntegerField("thứ tự", default=0)

    history = AuditedHistory()
    scope = Scope(unit="round__unit", readers=STAFF_ROLES, writers=REGISTRARS, inherited=True)

    class Meta:
        verbose_name = "thành viên hội đồng xét tốt nghiệp"
        verbose_name_plural = "thành viên hội đồng xét tốt nghiệp"
        ordering = ["round_id", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_role_display()})"

    def get_absolute_url(self) -> str:
        return reverse("exams:round-detail", kwargs={"pk": self.round_id})

    def save(self, *args, **kwargs):
        self.full_name = nfc(self.full_name).strip()
        self.position = nfc(self.position).strip()
        super().save(*args, **kwargs)


class GraduationEntry(models.Model):
    """One learner in a round: the identity as it will be printed, what the review read, the verdict and why."""

    round = models.ForeignKey(GraduationRound, verbose_name="đợt xét", on_delete=models.PROTECT, related_name="entries")
    student = models.ForeignKey(
        "students.Student", verbose_name="học sinh", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    candidate = models.ForeignKey(
        "exams.Candidate", verbose_name="thí sinh", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        "org.Unit", verbose_name="trường", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school_name = models.CharField("trường (ngoài hệ thống)", max_length=255, blank=True)
    class_name = models.CharField("lớp", max_length=30, blank=True)
    full_name = models.CharField("họ và tên", max_length=150)
    birth_date = models.DateField("ngày sinh")
    sex = models.CharField("giới tính", max_length=1, choices=[("M", "Nam"), ("F", "Nữ")])
    ethnicity = models.CharField("dân tộc", max_length=40, default="Kinh")
    birthplace = models.CharField("nơi sinh", max_length=255, blank=True)
    personal_id = models.CharField("số định danh cá nhân", max_length=12, blank=True)
    # what the review read (THCS: the approved grade-9 year result; THPT: the exam and the year averages)
    outcome = models.CharField("kết quả cuối năm", max_length=14, blank=True)
    learning = models.CharField("học tập cả năm", max_length=12, blank=True)
    conduct = models.CharField("rèn luyện cả năm", max_length=12, blank=True)
    absences = models.PositiveSmallIntegerField("số buổi nghỉ", default=0)
    tests = models.JSONField("điểm các bài thi", default=list, blank=True)
    record_average = models.DecimalField("ĐTB các năm học", max_digits=5, decimal_places=2, null=True, blank=True)
    graduation_score = models.DecimalField("điểm xét tốt nghiệp", max_digits=5, decimal_places=2, null=True, blank=True)
    # the verdict
    recognised = models.BooleanField("được công nhận tốt nghiệp", default=False)
    reasons = models.JSONField("lý do không công nhận", default=list, blank=True)
    may_retry = models.BooleanField("được xét đợt sau", default=False)
    excluded = models.BooleanField(
        "hội đồng không công nhận", default=False, help_text="Hội đồng quyết định không công nhận, ghi rõ lý do."
    )
    note = models.CharField("ghi chú của hội đồng", max_length=500, blank=True)
    search_key = models.CharField(max_length=150, editable=False, db_index=True, default="")
    sort_key = models.CharField(max_length=1000, editable=False, default="")

    history = AuditedHistory()
    scope = Scope(
        unit="round__unit",
        readers=STAFF_ROLES,
        writers=REGISTRARS,
        grant=_staff_and_learners(
            _school_reads("school"), lambda actor: _own("student")(actor) & Q(round__status=RoundStatus.DECIDED)
        ),
    )

    class Meta:
        verbose_name = "người học trong đợt xét tốt nghiệp"
        verbose_name_plural = "danh sách xét công nhận tốt nghiệp"
        ordering = ["round_id", "school__name", "class_name", "sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "student"], condition=Q(student__isnull=False), name="exams_entry_student_once"
            ),
            models.UniqueConstraint(
                fields=["round", "candidate"], condition=Q(candidate__isnull=False), name="exams_entry_candidate_once"
            ),
        ]
        indexes = [models.Index(fields=["round", "recognised"]), models.Index(fields=["round", "school"])]

    def __str__(self) -> str:
        return f"{self.full_name} – {self.round}"

    def get_absolute_url(self) -> str:
        return reverse("exams:entry-detail", kwargs={"pk": self.pk})

    def save(self, *args, **kwargs):
        self.full_name = nfc(self.full_name).strip()
        self.search_key = search_key(self.full_name)
        self.sort_key = sort_key(self.full_name)
        super().save(*args, **kwargs)


# --- the register -----------------------------------------------------------------------------------------------


class DiplomaStatus(models.TextChoices):
    VALID = "valid", "Có hiệu lực"
    CORRECTED = "corrected", "Có hiệu lực, đã chỉnh sửa"
    REVOKED = "revoked", "Đã thu hồi"


class Diploma(models.Model):
    """One entry of an issuer's original register (sổ gốc cấp văn bằng, TT21/2019): the holder's identity, the
    serial number printed on the blank (số hiệu), the entry number (số vào sổ gốc: consecutive per issuer,
    diploma type and calendar year), the decision it rests on, the issue date and the signer."""

    issuer = models.ForeignKey(Issuer, verbose_name="cơ quan cấp", on_delete=models.PROTECT, related_name="diplomas")
    kind = models.CharField("loại văn bằng", max_length=12, choices=DiplomaKind.choices)
    year = models.PositiveSmallIntegerField("năm cấp")
    entry_number = models.PositiveIntegerField("số thứ tự vào sổ")
    serial = models.CharField("số hiệu", max_length=30)
    status = models.CharField("tình trạng", max_length=10, choices=DiplomaStatus.choices, default=DiplomaStatus.VALID)
    # the holder, as printed
    full_name = models.CharField("họ và tên", max_length=150)
    birth_date = models.DateField("ngày sinh")
    birthplace = models.CharField("nơi sinh", max_length=255, blank=True)
    sex = models.CharField("giới tính", max_length=1, choices=[("M", "Nam"), ("F", "Nữ")])
    ethnicity = models.CharField("dân tộc", max_length=40, default="Kinh")
    nationality = models.CharField("quốc tịch", max_length=60, default="Việt Nam")
    personal_id = models.CharField("số định danh cá nhân", max_length=12, blank=True)
    student = models.ForeignKey(
        "students.Student", verbose_name="học sinh", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        "org.Unit", verbose_name="trường", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school_name = models.CharField("nơi học", max_length=255, blank=True)
    graduation_year = models.PositiveSmallIntegerField("năm tốt nghiệp")
    # what it rests on
    entry = models.ForeignKey(
        GraduationEntry,
        verbose_name="theo danh sách công nhận",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="diplomas",
    )
    decision_number = models.CharField("số quyết định công nhận tốt nghiệp", max_length=60, blank=True)
    decision_date = models.DateField("ngày quyết định", null=True, blank=True)
    issued_on = models.DateField("ngày cấp")
    signer_title = models.CharField("chức danh người ký", max_length=120)
    signer_name = models.CharField("người ký", max_length=150)
    imported = models.BooleanField("nhập từ sổ gốc cũ", default=False)
    note = models.CharField("ghi chú", max_length=500, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    search_key = models.CharField(max_length=150, editable=False, default="")
    sort_key = models.CharField(max_length=1000, editable=False, default="")

    history = AuditedHistory()
    scope = Scope(
        unit="issuer__unit",
        readers=STAFF_ROLES,
        writers=REGISTRARS,
        grant=_staff_and_learners(_school_reads("school"), _own("student")),
    )

    class Meta:
        verbose_name = "văn bằng"
        verbose_name_plural = "sổ gốc cấp văn bằng"
        ordering = ["issuer_id", "kind", "-year", "entry_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "kind", "year", "entry_number"], name="exams_diploma_entry_unique"
            ),
            models.UniqueConstraint(fields=["kind", "serial"], name="exams_diploma_serial_unique"),
            models.UniqueConstraint(
                fields=["entry", "kind"], condition=Q(entry__isnull=False), name="exams_diploma_once_per_entry"
            ),
        ]
        indexes = [
            models.Index(fields=["search_key", "birth_date"], name="exams_diploma_name_dob"),
            models.Index(fields=["school", "graduation_year"], name="exams_diploma_school_year"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} số hiệu {self.serial} – {self.full_name}"

    def get_absolute_url(self) -> str:
        return reverse("exams:diploma-detail", kwargs={"pk": self.pk})

    def save(self, *args, **kwargs):
        for name in (
            "full_name",
            "birthplace",
            "ethnicity",
            "nationality",
            "school_name",
            "signer_title",
            "signer_name",
            "note",
        ):
            setattr(self, name, nfc(getattr(self, name) or "").strip())
        self.search_key = search_key(self.full_name)
        self.sort_key = sort_key(self.full_name)
        super().save(*args, **kwargs)

    @property
    def entry_label(self) -> str:
        return rules.entry_label(self.kind, self.year, self.entry_number)

    @property
    def is_revoked(self) -> bool:
        return self.status == DiplomaStatus.REVOKED


_DIPLOMA_SCOPE = dict(
    readers=STAFF_ROLES,
    writers=REGISTRARS,
    grant=_staff_and_learners(_school_reads("diploma__school"), _own("diploma__student")),
)


class DiplomaCorrection(models.Model):
    """A correction of a diploma's content (chỉnh sửa nội dung văn bằng, TT21/2019), by decision, with the
    dossier; ``changes`` is {field: [old, new]}. The diploma's own history keeps the field changes too."""

    diploma = models.ForeignKey(Diploma, verbose_name="văn bằng", on_delete=models.PROTECT, related_name="corrections")
    ground = models.CharField("căn cứ chỉnh sửa", max_length=15, choices=CORRECTION_GROUND_CHOICES)
    changes = models.JSONField("nội dung chỉnh sửa", default=dict)
    reason = models.TextField("lý do")
    decision_number = models.CharField("số quyết định chỉnh sửa", max_length=60)
    decision_date = models.DateField("ngày quyết định")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now, editable=False)

    history = AuditedHistory()
    scope = Scope(unit="diploma__issuer__unit", **_DIPLOMA_SCOPE)

    class Meta:
        verbose_name = "chỉnh sửa văn bằng"
        verbose_name_plural = "chỉnh sửa văn bằng"
        ordering = ["diploma_id", "made_at", "pk"]

    def __str__(self) -> str:
        return f"Chỉnh sửa {self.diploma} theo QĐ {self.decision_number}"

    def get_absolute_url(self) -> str:
        return reverse("exams:diploma-detail", kwargs={"pk": self.diploma_id})


class DossierFile(models.Model):
    """A file of a correction's dossier (đơn đề nghị, giấy khai sinh, quyết định cải chính hộ tịch…), checked on
    upload and served only through the door."""

    class Kind(models.TextChoices):
        REQUEST = "request", "Đơn đề nghị chỉnh sửa"
        CIVIL = "civil", "Giấy khai sinh / quyết định thay đổi, cải chính hộ tịch"
        DIPLOMA = "diploma", "Văn bằng đề nghị chỉnh sửa"
        IDENTITY = "identity", "Giấy tờ tùy thân"
        OTHER = "other", "Giấy tờ khác"

    correction = models.ForeignKey(
        DiplomaCorrection, verbose_name="chỉnh sửa", on_delete=models.PROTECT, related_name="dossier"
    )
    kind = models.CharField("loại giấy tờ", max_length=10, choices=Kind.choices)
    file = models.ForeignKey("files.StoredFile", verbose_name="tệp", on_delete=models.PROTECT, related_name="+")

    # birth certificates and identity papers: only who keeps the register (and the offices above) reads them
    scope = Scope(unit="correction__diploma__issuer__unit", readers=REGISTRARS, writers=REGISTRARS)

    class Meta:
        verbose_name = "hồ sơ chỉnh sửa văn bằng"
        verbose_name_plural = "hồ sơ chỉnh sửa văn bằng"
        ordering = ["correction_id", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.file}"

    def get_absolute_url(self) -> str:
        return reverse("exams:dossierfile-download", kwargs={"pk": self.pk})


class DiplomaCopy(models.Model):
    """Copies issued from the original register (bản sao văn bằng từ sổ gốc, TT21/2019) to the holder, their
    representative or — when the holder has died — their relatives, numbered in the issuer's copy book."""

    diploma = models.ForeignKey(Diploma, verbose_name="văn bằng", on_delete=models.PROTECT, related_name="copies")
    issuer = models.ForeignKey(Issuer, verbose_name="cơ quan cấp", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("loại văn bằng", max_length=12, choices=DiplomaKind.choices)
    year = models.PositiveSmallIntegerField("năm cấp bản sao")
    number = models.PositiveIntegerField("số vào sổ cấp bản sao")
    requester_name = models.CharField("người yêu cầu", max_length=150)
    relation = models.CharField("quan hệ với người được cấp", max_length=15, choices=COPY_REQUESTER_CHOICES)
    requester_id_number = models.CharField("số giấy tờ tùy thân của người yêu cầu", max_length=20)
    authorisation = models.CharField("giấy ủy quyền / căn cứ đại diện", max_length=255, blank=True)
    holder_deceased = models.BooleanField("người được cấp văn bằng đã chết", default=False)
    quantity = models.PositiveSmallIntegerField(
        "số bản", default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    issued_on = models.DateField("ngày cấp bản sao", default=timezone.localdate)
    signer_title = models.CharField("chức danh người ký bản sao", max_length=120, blank=True)
    signer_name = models.CharField("người ký bản sao", max_length=150, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = AuditedHistory()
    scope = Scope(unit="diploma__issuer__unit", **_DIPLOMA_SCOPE)

    class Meta:
        verbose_name = "bản sao văn bằng từ sổ gốc"
        verbose_name_plural = "sổ cấp bản sao văn bằng"
        ordering = ["issuer_id", "kind", "-year", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "kind", "year", "number"], name="exams_diploma_copy_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Bản sao {self.number_label} – {self.diploma}"

    def get_absolute_url(self) -> str:
        return reverse("exams:diploma-detail", kwargs={"pk": self.diploma_id})

    @property
    def number_label(self) -> str:
        return rules.entry_label(self.kind, self.year, self.number, book="copy")

    def save(self, *args, **kwargs):
        self.requester_name = nfc(self.requester_name).strip()
        self.authorisation = nfc(self.authorisation).strip()
        super().save(*args, **kwargs)


class DiplomaRevocation(models.Model):
    """The revocation of a diploma (thu hồi, hủy bỏ văn bằng, TT21/2019), by decision; published on the portal."""

    diploma = models.OneToOneField(
        Diploma, verbose_name="văn bằng", on_delete=models.PROTECT, related_name="revocation"
    )
    reason = models.CharField("lý do thu hồi", max_length=15, choices=REVOCATION_REASON_CHOICES)
    detail = models.TextField("nội dung", blank=True)
    decision_number = models.CharField("số quyết định thu hồi", max_length=60)
    decision_date = models.DateField("ngày quyết định")
    decision_signer = models.CharField("người ký quyết định", max_length=255)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = AuditedHistory()
    scope = Scope(unit="diploma__issuer__unit", **_DIPLOMA_SCOPE)

    class Meta:
        verbose_name = "thu hồi văn bằng"
        verbose_name_plural = "văn bằng bị thu hồi"
        ordering = ["-decision_date", "-pk"]

    def __str__(self) -> str:
        return f"Thu hồi {self.diploma} theo QĐ {self.decision_number}"

    def get_absolute_url(self) -> str:
        return reverse("exams:diploma-detail", kwargs={"pk": self.diploma_id})
