"""Staff records, subject groups, teaching assignments, evaluation (TT 20/2018) and in-service
training (TT 19/2019) — module (b), ../shared/domain/teachers.md.

A person is one ``StaffRecord`` whatever the number of schools they work in (a shared
teacher holds two memberships); ``school`` is their current school, moved only by the
transfer service. Rows of a school year (assignments, evaluations, training) keep the
school where they were recorded, so the old school keeps reading its years.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, STAFF_ROLES, Role
from sms.accounts.scoping import Scope
from sms.audit.history import AuditedHistory
from sms.files.storage import unit_upload_to
from sms.org.models import SchoolOwned
from sms.text import nfc, search_key, sort_key

from . import catalogue

personal_id_validator = RegexValidator(r"^\d{12}$", "Số định danh cá nhân gồm đúng 12 chữ số.")


class Sex(models.TextChoices):
    MALE = "M", "Nam"
    FEMALE = "F", "Nữ"


class Position(models.TextChoices):
    PRINCIPAL = "principal", "Hiệu trưởng / Giám đốc"
    VICE_PRINCIPAL = "vice_principal", "Phó hiệu trưởng / Phó giám đốc"
    TEACHER = "teacher", "Giáo viên"
    STAFF = "staff", "Nhân viên"


class EmploymentType(models.TextChoices):
    PERMANENT = "bien_che", "Biên chế (viên chức)"
    CONTRACT = "hop_dong", "Hợp đồng"


class StaffStatus(models.TextChoices):
    WORKING = "working", "Đang công tác"
    ON_LEAVE = "on_leave", "Tạm nghỉ"
    TRANSFERRED = "transferred", "Đã chuyển công tác"
    RETIRED = "retired", "Đã nghỉ hưu"


class QualificationLevel(models.TextChoices):
    INTERMEDIATE = "trung_cap", "Trung cấp"
    COLLEGE = "cao_dang", "Cao đẳng"
    BACHELOR = "dai_hoc", "Đại học"
    MASTER = "thac_si", "Thạc sĩ"
    DOCTOR = "tien_si", "Tiến sĩ"
    OTHER = "khac", "Khác"


# Staff of a school read its staff list; Sở/Phòng staff read their subtree; admins write.
STAFF_SCOPE = Scope(unit="school", readers=STAFF_ROLES, writers=ADMIN_ROLES)


def _own_rows(path: str, *, group_leader: str | None = None):
    """A teacher reaches their own rows (``path`` leads to the user), and, with
    ``group_leader``, those of the subject group they lead (for the group's comment)."""

    def narrow(actor) -> Q:
        q = Q(**{path: actor.user})
        if group_leader:
            q |= Q(**{group_leader: actor.user})
        return q

    return narrow


#: who reads and writes a teacher's own yearly rows: the school's leaders and the teacher
#: (Sở/Phòng read for their summaries); other staff (clerks, librarians…) do not
PERSONAL_READERS = ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER}
PERSONAL_WRITERS = ADMIN_ROLES | {Role.TEACHER}


class SubjectGroup(SchoolOwned):
    """A subject group (tổ chuyên môn) of a school, with its leader and subjects."""

    name = models.CharField("tên tổ", max_length=120)
    leader = models.ForeignKey(
        "StaffRecord", verbose_name="tổ trưởng", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subjects = models.ManyToManyField("org.Subject", verbose_name="môn học", blank=True, related_name="+")

    scope = STAFF_SCOPE

    class Meta:
        verbose_name = "tổ chuyên môn"
        verbose_name_plural = "tổ chuyên môn"
        ordering = ["school_id", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="teachers_group_unique_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teachers:group-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        self.name = nfc(self.name).strip()
        errors: dict = {}
        self.check_same_school(errors, "leader")
        if errors:
            raise ValidationError(errors)


class StaffRecord(SchoolOwned):
    """Hồ sơ cán bộ: one per person; ``school`` is the current school."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="tài khoản",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_record",
    )
    staff_code = models.CharField("mã cán bộ", max_length=30, blank=True)
    full_name = models.CharField("họ và tên", max_length=150)
    birth_date = models.DateField("ngày sinh", null=True, blank=True)
    sex = models.CharField("giới tính", max_length=1, choices=Sex.choices, blank=True)
    ethnicity = models.CharField("dân tộc", max_length=40, blank=True)
    personal_id = models.CharField(
        "số định danh cá nhân", max_length=12, blank=True, validators=[personal_id_validator]
    )
    phone = models.CharField("điện thoại", max_length=30, blank=True)
    email = models.EmailField("hộp thư công vụ", blank=True)
    position = models.CharField("chức vụ", max_length=20, choices=Position.choices, default=Position.TEACHER)
    subject_group = models.ForeignKey(
        SubjectGroup,
        verbose_name="tổ chuyên môn",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    subjects = models.ManyToManyField("org.Subject", verbose_name="môn dạy", blank=True, related_name="+")
    qualification_level = models.CharField(
        "trình độ đào tạo", max_length=20, choices=QualificationLevel.choices, blank=True
    )
    qualification_field = models.CharField("chuyên ngành đào tạo", max_length=150, blank=True)
    rank_code = models.CharField(
        "hạng chức danh nghề nghiệp", max_length=20, choices=catalogue.RANK_CHOICES, blank=True
    )
    employment_type = models.CharField(
        "loại hình", max_length=10, choices=EmploymentType.choices, default=EmploymentType.PERMANENT
    )
    started_on = models.DateField("ngày vào ngành", null=True, blank=True)
    status = models.CharField("tình trạng", max_length=12, choices=StaffStatus.choices, default=StaffStatus.WORKING)
    search_key = models.CharField(max_length=150, editable=False, db_index=True, default="")
    sort_key = models.CharField(max_length=1000, editable=False, default="")

    history = AuditedHistory()
    scope = STAFF_SCOPE

    class Meta:
        verbose_name = "hồ sơ cán bộ"
        verbose_name_plural = "hồ sơ cán bộ"
        ordering = ["school_id", "sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["personal_id"], condition=~Q(personal_id=""), name="teachers_staff_personal_id_unique"
            ),
            models.UniqueConstraint(
                fields=["school", "staff_code"], condition=~Q(staff_code=""), name="teachers_staff_code_unique"
            ),
        ]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("teachers:staff-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        self.full_name = nfc(self.full_name).strip()
        self.email = (self.email or "").strip().lower()
        errors: dict = {}
        self.check_same_school(errors, "subject_group")
        if self.email and catalogue.is_private_mailbox(self.email):
            errors["email"] = "Chỉ dùng hộp thư công vụ (Thông tư 53/2012, Điều 4), không dùng Gmail, Yahoo…"
        if self.ethnicity and self.ethnicity not in catalogue.ETHNIC_GROUPS:
            errors["ethnicity"] = "Dân tộc không có trong danh mục 54 dân tộc."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.full_name = nfc(self.full_name).strip()
        self.search_key = search_key(self.full_name)
        self.sort_key = sort_key(self.full_name)
        super().save(*args, **kwargs)


class MovementKind(models.TextChoices):
    TRANSFER = "transfer", "Chuyển công tác"
    LEAVE = "leave", "Tạm nghỉ"
    RETURN = "return", "Trở lại công tác"
    RETIRE = "retire", "Nghỉ hưu"


class StaffMovement(SchoolOwned):
    """A transfer, leave, return or retirement, recorded at the school the person left (or
    worked at); ``to_school`` for a transfer. Written only by the movement service."""

    staff = models.ForeignKey(StaffRecord, verbose_name="cán bộ", on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField("loại", max_length=10, choices=MovementKind.choices)
    to_school = models.ForeignKey(
        "org.Unit", verbose_name="trường chuyển đến", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective_on = models.DateField("ngày hiệu lực")
    decision = models.CharField("số quyết định", max_length=100, blank=True)
    note = models.CharField("ghi chú", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người ghi",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope = STAFF_SCOPE

    class Meta:
        verbose_name = "biến động cán bộ"
        verbose_name_plural = "biến động cán bộ"
        ordering = ["-effective_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.staff} – {self.effective_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("teachers:movement-detail", kwargs={"pk": self.pk})


class TeachingAssignment(SchoolOwned):
    """Phân công chuyên môn: teacher × class × subject × semester. The only thing that lets a
    teacher enter a class's grades for a subject."""

    semester = models.ForeignKey("org.Semester", verbose_name="học kỳ", on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(
        "org.SchoolClass", verbose_name="lớp", on_delete=models.PROTECT, related_name="assignments"
    )
    subject = models.ForeignKey("org.Subject", verbose_name="môn học", on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey(
        StaffRecord, verbose_name="giáo viên", on_delete=models.PROTECT, related_name="assignments"
    )

    history = AuditedHistory()
    school_from = "school_class"
    scope = Scope(unit="school", readers=STAFF_ROLES, writers=ADMIN_ROLES)

    class Meta:
        verbose_name = "phân công chuyên môn"
        verbose_name_plural = "phân công chuyên môn"
        ordering = ["semester_id", "school_class__grade", "school_class__name", "subject__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["semester", "school_class", "subject"], name="teachers_assignment_one_teacher"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} – {self.subject} – {self.school_class}"

    def get_absolute_url(self) -> str:
        return reverse("teachers:assignment-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        errors: dict = {}
        self.check_same_school(errors, "semester", "subject", "teacher")
        if (
            self.semester_id
            and self.school_class_id
            and self.semester.school_year_id != self.school_class.school_year_id
        ):
            errors["semester"] = "Học kỳ phải thuộc năm học của lớp."
        if errors:
            raise ValidationError(errors)


class TeachingNorm(models.Model):
    """A unit's override of the weekly teaching norm (Thông tư 05/2025): per school level and
    position, for ethnic boarding schools or not. Set by a Sở (or Phòng) and read by the schools
    under it; without a row the defaults of ``rules.DEFAULT_NORMS`` apply."""

    unit = models.ForeignKey("org.Unit", verbose_name="đơn vị", on_delete=models.CASCADE, related_name="+")
    level = models.CharField("cấp học", max_length=10, choices=catalogue.LEVEL_CHOICES)
    position = models.CharField("chức vụ", max_length=20, choices=Position.choices)
    boarding = models.BooleanField("trường phổ thông dân tộc nội trú", default=False)
    periods_per_week = models.DecimalField(
        "số tiết / tuần", max_digits=4, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(40)]
    )
    teaching_weeks = models.PositiveSmallIntegerField("số tuần dạy / năm", default=35)

    scope = Scope(
        unit="unit", readers=STAFF_ROLES, writers=frozenset({Role.SO_ADMIN, Role.PHONG_ADMIN}), inherited=True
    )

    class Meta:
        verbose_name = "định mức tiết dạy"
        verbose_name_plural = "định mức tiết dạy"
        ordering = ["unit_id", "level", "position", "boarding"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "level", "position", "boarding"], name="teachers_norm_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} – {self.get_position_display()}: {self.periods_per_week} tiết/tuần"

    def get_absolute_url(self) -> str:
        return reverse("teachers:norm-detail", kwargs={"pk": self.pk})


class Rating(models.TextChoices):
    """A criterion's (and the overall) level, Thông tư 20/2018, Art. 5."""

    NOT_MET = "chua_dat", "Chưa đạt"
    MET = "dat", "Đạt"
    FAIR = "kha", "Khá"
    GOOD = "tot", "Tốt"


class EvaluationStage(models.TextChoices):
    DRAFT = "draft", "Đang tự đánh giá"
    SELF_ASSESSED = "self_assessed", "Đã tự đánh giá"
    GROUP_COMMENTED = "group_commented", "Tổ chuyên môn đã góp ý"
    DECIDED = "decided", "Hiệu trưởng đã quyết định"


class Evaluation(SchoolOwned):
    """One teacher's professional-standard evaluation of one school year (Thông tư 20/2018):
    self-assessment → subject-group comment → principal's decision."""

    school_year = models.ForeignKey(
        "org.SchoolYear", verbose_name="năm học", on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        StaffRecord, verbose_name="giáo viên", on_delete=models.PROTECT, related_name="evaluations"
    )
    stage = models.CharField("bước", max_length=20, choices=EvaluationStage.choices, default=EvaluationStage.DRAFT)
    self_level = models.CharField("tự xếp loại", max_length=10, choices=Rating.choices, blank=True)
    group_comment = models.TextField("ý kiến của tổ chuyên môn", blank=True)
    group_level = models.CharField("tổ đề nghị xếp loại", max_length=10, choices=Rating.choices, blank=True)
    final_level = models.CharField("hiệu trưởng xếp loại", max_length=10, choices=Rating.choices, blank=True)
    principal_comment = models.TextField("nhận xét của hiệu trưởng", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người quyết định",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("ngày quyết định", null=True, blank=True)

    history = AuditedHistory()
    school_from = "school_year"
    scope = Scope(
        unit="school",
        readers=PERSONAL_READERS,
        writers=PERSONAL_WRITERS,
        narrow={Role.TEACHER: _own_rows("staff__user", group_leader="staff__subject_group__leader__user")},
    )

    class Meta:
        verbose_name = "đánh giá chuẩn nghề nghiệp"
        verbose_name_plural = "đánh giá chuẩn nghề nghiệp"
        ordering = ["-school_year__start_year", "staff__sort_key"]
        constraints = [models.UniqueConstraint(fields=["school_year", "staff"], name="teachers_evaluation_once_a_year")]

    def __str__(self) -> str:
        return f"{self.staff} – {self.school_year}"

    def get_absolute_url(self) -> str:
        return reverse("teachers:evaluation-detail", kwargs={"pk": self.pk})


class CriterionRating(SchoolOwned):
    """One of the 15 criteria of an evaluation: the teacher's, the group's and the final
    rating, with the evidence the teacher attaches."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name="phiếu đánh giá", on_delete=models.CASCADE, related_name="ratings"
    )
    criterion = models.PositiveSmallIntegerField("tiêu chí", validators=[MinValueValidator(1), MaxValueValidator(15)])
    self_rating = models.CharField("tự đánh giá", max_length=10, choices=Rating.choices, blank=True)
    group_rating = models.CharField("tổ đánh giá", max_length=10, choices=Rating.choices, blank=True)
    final_rating = models.CharField("hiệu trưởng đánh giá", max_length=10, choices=Rating.choices, blank=True)
    evidence_note = models.TextField("minh chứng (mô tả)", blank=True)
    evidence = models.FileField("tệp minh chứng", upload_to=unit_upload_to("school"), max_length=500, blank=True)

    history = AuditedHistory()
    school_from = "evaluation"
    scope = Scope(
        unit="school",
        readers=PERSONAL_READERS,
        writers=PERSONAL_WRITERS,
        narrow={
            Role.TEACHER: _own_rows(
                "evaluation__staff__user", group_leader="evaluation__staff__subject_group__leader__user"
            )
        },
    )

    class Meta:
        verbose_name = "tiêu chí đánh giá"
        verbose_name_plural = "tiêu chí đánh giá"
        ordering = ["evaluation_id", "criterion"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "criterion"], name="teachers_rating_unique")]

    def __str__(self) -> str:
        return f"Tiêu chí {self.criterion}"

    def get_absolute_url(self) -> str:
        return reverse("teachers:evaluation-detail", kwargs={"pk": self.evaluation_id})


class TrainingPlan(SchoolOwned):
    """In-service training (bồi dưỡng thường xuyên) of one teacher for one school year
    (Thông tư 19/2019; programme of Thông tư 17/2019): periods and test score per content."""

    school_year = models.ForeignKey(
        "org.SchoolYear", verbose_name="năm học", on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        StaffRecord, verbose_name="giáo viên", on_delete=models.PROTECT, related_name="training_plans"
    )
    content1_periods = models.PositiveSmallIntegerField("nội dung 1: số tiết", default=40)
    content2_periods = models.PositiveSmallIntegerField("nội dung 2: số tiết", default=40)
    content3_periods = models.PositiveSmallIntegerField("nội dung 3: số tiết", default=40)
    content3_modules = models.CharField("nội dung 3: các mô-đun chọn học", max_length=500, blank=True)
    submitted_on = models.DateField("ngày nộp kế hoạch", null=True, blank=True)
    score1 = models.DecimalField(
        "điểm nội dung 1",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    score2 = models.DecimalField(
        "điểm nội dung 2",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    score3 = models.DecimalField(
        "điểm nội dung 3",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )

    history = AuditedHistory()
    school_from = "school_year"
    scope = Scope(
        unit="school",
        readers=PERSONAL_READERS,
        writers=PERSONAL_WRITERS,
        narrow={Role.TEACHER: _own_rows("staff__user")},
    )

    class Meta:
        verbose_name = "kế hoạch bồi dưỡng thường xuyên"
        verbose_name_plural = "bồi dưỡng thường xuyên"
        ordering = ["-school_year__start_year", "staff__sort_key"]
        constraints = [models.UniqueConstraint(fields=["school_year", "staff"], name="teachers_training_once_a_year")]

    def __str__(self) -> str:
        return f"BDTX {self.staff} – {self.school_year}"

    def get_absolute_url(self) -> str:
        return reverse("teachers:training-detail", kwargs={"pk": self.pk})


__all__ = [
    "CriterionRating",
    "EmploymentType",
    "Evaluation",
    "EvaluationStage",
    "MovementKind",
    "Position",
    "QualificationLevel",
    "Rating",
    "Sex",
    "StaffMovement",
    "StaffRecord",
    "StaffStatus",
    "SubjectGroup",
    "TeachingAssignment",
    "TeachingNorm",
    "TrainingPlan",
]
