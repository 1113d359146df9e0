"""Student records, enrolments, the grade book and its results — module (a),
../shared/domain/grading.md.

A learner is one ``Student`` for life; ``school`` is their current school and only the
transfer service moves it. Rows of a school year (enrolment, scores, conduct, absences,
results) keep the school where they were recorded, so the old school keeps reading its
years after a transfer, and never the learner's new address or family.

Nothing graded is hard-deleted: every graded model keeps row history (who, when, from where,
old → new) and is protected from deletion by the enrolment it hangs on.
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
from sms.org.catalogue import ETHNIC_GROUPS
from sms.org.models import SEMESTER_CHOICES, SchoolOwned
from sms.portal.codes import new_lookup_code
from sms.text import nfc, search_key, sort_key

from . import rules

learner_code_validator = RegexValidator(r"^\d{6,20}$", "Mã định danh học sinh chỉ gồm chữ số (thường là 10 chữ số).")
personal_id_validator = RegexValidator(r"^\d{12}$", "Số định danh cá nhân gồm đúng 12 chữ số.")

#: the school's own leaders write learner records; Sở/Phòng staff read them for their summaries
SCHOOL_WRITERS = frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN})
#: who reads a learner's personal record (identity, address, family): not the librarian or the
#: equipment officer, who reach borrowers through a selector of their own module
RECORD_READERS = (STAFF_ROLES - {Role.LIBRARIAN, Role.EQUIPMENT_OFFICER}) | {Role.STUDENT, Role.PARENT}
#: who reads the grade book of a class: the school's leaders, the teachers concerned, Sở/Phòng
GRADE_READERS = ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER}
GRADE_WRITERS = SCHOOL_WRITERS | {Role.TEACHER}


# --- narrowing for teachers and learners ------------------------------------------------------------
# Each returns a Q on the model's own rows. Multi-valued relations go through ``pk__in`` so the
# door never returns a row twice.


def teacher_classes(actor, *, current_only: bool = False):
    """Classes of the actor's school the teacher is homeroom teacher of or teaches (any
    semester); ``current_only`` keeps the current school year's (for a learner's personal
    record: last year's teacher no longer reads this year's address and family)."""
    from sms.org.models import SchoolClass

    qs = SchoolClass.objects.filter(school_id=actor.unit_id).filter(
        Q(homeroom_teacher=actor.user) | Q(assignments__teacher__user=actor.user)
    )
    if current_only:
        qs = qs.filter(school_year__is_current=True)
    return qs.values("pk")


def _student_narrow(prefix: str):
    """A student reaches their own rows; ``prefix`` leads from the model to the Student."""
    own = f"{prefix}__user" if prefix else "user"

    def narrow(actor) -> Q:
        return Q(**{own: actor.user})

    return narrow


def _parent_narrow(prefix: str):
    """A parent or guardian reaches their children's rows (through a Guardian with their account)."""

    def narrow(actor) -> Q:
        children = Guardian.objects.filter(user=actor.user).values("student_id")
        return Q(**{f"{prefix}_id__in" if prefix else "pk__in": children})

    return narrow


def _learner_narrows(prefix: str, extra: Q | None = None) -> dict:
    """Student and parent narrowing for rows reached through ``prefix`` (a path to Student)."""

    def wrap(fn):
        return (lambda actor: fn(actor) & extra) if extra is not None else fn

    return {Role.STUDENT: wrap(_student_narrow(prefix)), Role.PARENT: wrap(_parent_narrow(prefix))}


# --- the learner -------------------------------------------------------------------------------------


class Sex(models.TextChoices):
    MALE = "M", "Nam"
    FEMALE = "F", "Nữ"


class StudentStatus(models.TextChoices):
    STUDYING = "studying", "Đang học"
    TRANSFERRED = "transferred", "Đã chuyển trường"
    DROPPED = "dropped", "Đã thôi học"
    GRADUATED = "graduated", "Đã hoàn thành chương trình / tốt nghiệp"


def _student_teacher_narrow(actor) -> Q:
    classes = teacher_classes(actor, current_only=True)
    return Q(pk__in=Enrolment.objects.filter(school_class__in=classes).values("student_id"))


class Student(SchoolOwned):
    """Hồ sơ học sinh: one per learner for life; ``school`` is the current school."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="tài khoản học sinh",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="student_record",
    )
    learner_code = models.CharField(
        "mã định danh học sinh", max_length=20, unique=True, validators=[learner_code_validator]
    )
    personal_id = models.CharField(
        "số định danh cá nhân", max_length=12, blank=True, validators=[personal_id_validator]
    )
    full_name = models.CharField("họ và tên", max_length=150)
    birth_date = models.DateField("ngày sinh")
    sex = models.CharField("giới tính", max_length=1, choices=Sex.choices)
    ethnicity = models.CharField("dân tộc", max_length=40, default="Kinh")
    birthplace = models.CharField("nơi sinh", max_length=255, blank=True)
    address_area = models.ForeignKey(
        "org.AdministrativeArea",
        verbose_name="địa bàn cư trú (xã/phường, thôn/tổ)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField("số nhà, đường", max_length=255, blank=True)
    status = models.CharField(
        "tình trạng", max_length=12, choices=StudentStatus.choices, default=StudentStatus.STUDYING
    )
    status_changed_on = models.DateField("ngày thay đổi tình trạng", null=True, blank=True)
    disability_note = models.CharField("khuyết tật / kế hoạch giáo dục cá nhân", max_length=255, blank=True)
    register_number = models.CharField(
        "số đăng bộ", max_length=30, blank=True, help_text="Số đăng bộ / số học bạ của trường (in trên học bạ)."
    )
    lookup_code = models.CharField(
        "mã tra cứu kết quả",
        max_length=12,
        default=new_lookup_code,
        editable=False,
        help_text="In trên học bạ; cùng mã học sinh mở kết quả đã công bố trên cổng tra cứu.",
    )
    search_key = models.CharField(max_length=150, editable=False, db_index=True, default="")
    sort_key = models.CharField(max_length=1000, editable=False, default="")

    history = AuditedHistory()
    scope = Scope(
        unit="school",
        readers=RECORD_READERS,
        writers=SCHOOL_WRITERS,
        narrow={Role.TEACHER: _student_teacher_narrow, **_learner_narrows("")},
    )

    class Meta:
        verbose_name = "học sinh"
        verbose_name_plural = "học sinh"
        ordering = ["school_id", "sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["personal_id"], condition=~Q(personal_id=""), name="students_personal_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("students:student-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        self.full_name = nfc(self.full_name).strip()
        self.birthplace = nfc(self.birthplace).strip()
        self.address = nfc(self.address).strip()
        errors: dict = {}
        if self.ethnicity and self.ethnicity not in ETHNIC_GROUPS:
            errors["ethnicity"] = "Dân tộc không có trong danh mục 54 dân tộc."
        if self.school_id and not self.school.is_school_level:
            errors["school"] = "Học sinh thuộc về một trường hoặc trung tâm."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values_list("learner_code", flat=True).first()
            if stored is not None and stored != self.learner_code:
                # Thông tư 42/2021: the learner code is created once and never changes.
                raise ValidationError({"learner_code": "Mã định danh học sinh không được thay đổi."})
        self.full_name = nfc(self.full_name).strip()
        self.search_key = search_key(f"{self.full_name} {self.learner_code}")
        self.sort_key = sort_key(self.full_name)
        super().save(*args, **kwargs)


class Relation(models.TextChoices):
    FATHER = "father", "Cha"
    MOTHER = "mother", "Mẹ"
    GUARDIAN = "guardian", "Người giám hộ"


class Guardian(models.Model):
    """A parent or guardian of a learner, with contacts and (optionally) their own account."""

    student = models.ForeignKey(Student, verbose_name="học sinh", on_delete=models.CASCADE, related_name="guardians")
    relation = models.CharField("quan hệ", max_length=10, choices=Relation.choices)
    full_name = models.CharField("họ và tên", max_length=150)
    birth_year = models.PositiveSmallIntegerField(
        "năm sinh", null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    occupation = models.CharField("nghề nghiệp", max_length=120, blank=True)
    phone = models.CharField("điện thoại", max_length=30, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="tài khoản phụ huynh",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guardianships",
    )

    history = AuditedHistory()
    scope = Scope(
        unit="student__school",
        readers=RECORD_READERS,
        writers=SCHOOL_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: Q(student__in=Student.objects.filter(_student_teacher_narrow(actor))),
            Role.STUDENT: lambda actor: Q(student__user=actor.user),
            Role.PARENT: lambda actor: Q(user=actor.user),
        },
    )

    class Meta:
        verbose_name = "cha mẹ / người giám hộ"
        verbose_name_plural = "cha mẹ / người giám hộ"
        ordering = ["student_id", "relation", "pk"]

    def __str__(self) -> str:
        return f"{self.get_relation_display()}: {self.full_name}"

    def get_absolute_url(self) -> str:
        return reverse("students:guardian-detail", kwargs={"pk": self.pk})

    def save(self, *args, **kwargs):
        self.full_name = nfc(self.full_name).strip()
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class MovementKind(models.TextChoices):
    TRANSFER = "transfer", "Chuyển trường"
    DROP_OUT = "drop_out", "Thôi học"
    RETURN = "return", "Trở lại học"
    GRADUATE = "graduate", "Hoàn thành chương trình / tốt nghiệp"


class StudentMovement(SchoolOwned):
    """A transfer, drop-out, return or graduation, recorded at the school the learner left (or
    studied at); ``to_school`` for a transfer within the Sở. Written only by the movement service."""

    student = models.ForeignKey(Student, verbose_name="học sinh", on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField("loại", max_length=10, choices=MovementKind.choices)
    to_school = models.ForeignKey(
        "org.Unit", verbose_name="trường chuyển đến", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective_on = models.DateField("ngày hiệu lực")
    reason = models.CharField("lý do", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người ghi", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    scope = Scope(unit="school", readers=ADMIN_ROLES | OVERSIGHT_ROLES, writers=SCHOOL_WRITERS)

    class Meta:
        verbose_name = "biến động học sinh"
        verbose_name_plural = "biến động học sinh"
        ordering = ["-effective_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.student} – {self.effective_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("students:movement-detail", kwargs={"pk": self.pk})


# --- a year at a school --------------------------------------------------------------------------


class Enrolment(SchoolOwned):
    """A learner in a class for a school year, at the school where it happened (never rewritten).
    A transfer mid-year ends this row (``left_on``) and opens one at the new school."""

    student = models.ForeignKey(Student, verbose_name="học sinh", on_delete=models.PROTECT, related_name="enrolments")
    school_year = models.ForeignKey(
        "org.SchoolYear", verbose_name="năm học", on_delete=models.PROTECT, related_name="+"
    )
    school_class = models.ForeignKey(
        "org.SchoolClass", verbose_name="lớp", on_delete=models.PROTECT, related_name="enrolments"
    )
    enrolled_on = models.DateField("ngày vào lớp", null=True, blank=True)
    left_on = models.DateField("ngày rời lớp", null=True, blank=True)

    history = AuditedHistory()
    school_from = "school_class"
    scope = Scope(
        unit="school",
        readers=STAFF_ROLES | {Role.STUDENT, Role.PARENT},
        writers=SCHOOL_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: Q(school_class__in=teacher_classes(actor)),
            **_learner_narrows("student"),
        },
    )

    class Meta:
        verbose_name = "học sinh trong lớp"
        verbose_name_plural = "danh sách lớp"
        ordering = ["school_class_id", "student__sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "school_year"], name="students_one_class_a_year"),
        ]
        indexes = [models.Index(fields=["school_class", "left_on"])]

    def __str__(self) -> str:
        return f"{self.student} – {self.school_class}"

    def get_absolute_url(self) -> str:
        return reverse("students:enrolment-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        errors: dict = {}
        self.check_same_school(errors, "school_class", "school_year")
        if self.school_class_id and self.school_year_id and self.school_class.school_year_id != self.school_year_id:
            errors["school_class"] = "Lớp phải thuộc năm học đã chọn."
        if self.enrolled_on and self.left_on and self.left_on < self.enrolled_on:
            errors["left_on"] = "Ngày rời lớp không được trước ngày vào lớp."
        if errors:
            raise ValidationError(errors)


class ExemptionKind(models.TextChoices):
    EXEMPT = "exempt", "Miễn học / miễn đánh giá"
    INDIVIDUAL_PLAN = "iep", "Đánh giá theo kế hoạch giáo dục cá nhân"


class Exemption(SchoolOwned):
    """A subject left out of a learner's automatic classification for a year (or one semester):
    exempted (e.g. physical education for health reasons) or assessed on an individual plan."""

    enrolment = models.ForeignKey(
        Enrolment, verbose_name="học sinh", on_delete=models.PROTECT, related_name="exemptions"
    )
    subject = models.ForeignKey("org.Subject", verbose_name="môn học", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("loại", max_length=10, choices=ExemptionKind.choices, default=ExemptionKind.EXEMPT)
    semester = models.PositiveSmallIntegerField(
        "học kỳ", null=True, blank=True, choices=SEMESTER_CHOICES,
        help_text="Để trống nếu áp dụng cả năm.",
    )  # fmt: skip
    reason = models.CharField("lý do", max_length=500)

    history = AuditedHistory()
    school_from = "enrolment"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS,
        writers=SCHOOL_WRITERS,
        narrow={Role.TEACHER: lambda actor: Q(enrolment__school_class__in=teacher_classes(actor))},
    )

    class Meta:
        verbose_name = "miễn / đánh giá riêng"
        verbose_name_plural = "miễn / đánh giá riêng"
        ordering = ["enrolment_id", "subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "subject", "semester"], name="students_exemption_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.student} – {self.subject}: {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("students:exemption-detail", kwargs={"pk": self.pk})

    def applies_to(self, semester_number: int | None) -> bool:
        return self.semester is None or semester_number is None or self.semester == semester_number


# --- the grade book ----------------------------------------------------------------------------------


class SheetStatus(models.TextChoices):
    DRAFT = "draft", "Đang nhập"
    SUBMITTED = "submitted", "Giáo viên bộ môn đã gửi"
    CHECKED = "checked", "Giáo viên chủ nhiệm đã kiểm tra"
    APPROVED = "approved", "Hiệu trưởng đã duyệt (khoá)"


#: statuses at which a learner and their parents see the individual scores
SCORES_VISIBLE = (SheetStatus.SUBMITTED, SheetStatus.CHECKED, SheetStatus.APPROVED)


def _assigned_triples(actor) -> Q:
    """Sheets whose class, subject and semester the teacher is assigned to (teachers' selector)."""
    from django.db.models import Exists, OuterRef

    from teachers.selectors import assignments_of

    return Q(
        Exists(
            assignments_of(actor).filter(
                semester_id=OuterRef("semester_id"),
                school_class_id=OuterRef("school_class_id"),
                subject_id=OuterRef("subject_id"),
            )
        )
    )


class ScoreSheet(SchoolOwned):
    """One class × subject × semester of the grade book, with its approval lifecycle
    (teacher submits → homeroom teacher checks → principal approves and locks).

    ``columns`` freezes the layout chosen by ``rules.sheet_columns`` when the sheet is opened,
    so a later change of the subject plan never reshapes scores already entered.
    ``version`` grows with every save: a client holding an older version is told what changed.
    """

    semester = models.ForeignKey("org.Semester", verbose_name="học kỳ", on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(
        "org.SchoolClass", verbose_name="lớp", on_delete=models.PROTECT, related_name="score_sheets"
    )
    subject = models.ForeignKey("org.Subject", verbose_name="môn học", on_delete=models.PROTECT, related_name="+")
    rule_set = models.CharField("quy định áp dụng", max_length=8, choices=rules.RuleSet.choices)
    columns = models.JSONField("cột điểm", default=list)
    status = models.CharField("trạng thái", max_length=10, choices=SheetStatus.choices, default=SheetStatus.DRAFT)
    version = models.PositiveIntegerField("phiên bản", default=0)
    return_note = models.TextField("lý do trả lại", blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="người gửi",
    )  # fmt: skip
    submitted_at = models.DateTimeField("ngày gửi", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="GVCN kiểm tra",
    )  # fmt: skip
    checked_at = models.DateTimeField("ngày kiểm tra", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="người duyệt",
    )  # fmt: skip
    approved_at = models.DateTimeField("ngày duyệt", null=True, blank=True)

    history = AuditedHistory(excluded_fields=["version"])
    school_from = "school_class"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS,
        writers=GRADE_WRITERS,
        narrow={Role.TEACHER: lambda actor: Q(school_class__homeroom_teacher=actor.user) | _assigned_triples(actor)},
    )

    class Meta:
        verbose_name = "bảng điểm môn học"
        verbose_name_plural = "bảng điểm môn học"
        ordering = ["semester_id", "school_class__grade", "school_class__name", "subject__name"]
        constraints = [
            models.UniqueConstraint(fields=["semester", "school_class", "subject"], name="students_sheet_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} – {self.school_class} – {self.semester}"

    def get_absolute_url(self) -> str:
        return reverse("students:sheet-detail", kwargs={"pk": self.pk})

    @property
    def is_locked(self) -> bool:
        return self.status == SheetStatus.APPROVED

    @staticmethod
    def freeze_columns(columns) -> list[dict]:
        """The JSON kept in ``columns`` for a layout from ``rules.sheet_columns``."""
        return [
            {"key": c.key, "label": c.label, "kind": str(c.kind), "weight": c.weight, "required": c.required}
            for c in columns
        ]

    def column_specs(self) -> list[rules.Column]:
        return [rules.Column(**{**c, "kind": rules.CellKind(c["kind"])}) for c in self.columns]


class Score(SchoolOwned):
    """One cell of a sheet: a learner's score or assessment in one column. A cleared cell keeps
    its row with an empty value: nothing graded is deleted, and history shows the clearing."""

    sheet = models.ForeignKey(ScoreSheet, verbose_name="bảng điểm", on_delete=models.PROTECT, related_name="scores")
    enrolment = models.ForeignKey(Enrolment, verbose_name="học sinh", on_delete=models.PROTECT, related_name="scores")
    column = models.CharField("cột", max_length=12)
    value = models.CharField("giá trị", max_length=4, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="người sửa cuối",
    )  # fmt: skip
    updated_at = models.DateTimeField("lần sửa cuối", auto_now=True)

    history = AuditedHistory()
    school_from = "sheet"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS | {Role.STUDENT, Role.PARENT},
        writers=GRADE_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: (
                Q(sheet__school_class__homeroom_teacher=actor.user)
                | Q(sheet__in=ScoreSheet.objects.filter(_assigned_triples(actor)).values("pk"))
            ),
            **_learner_narrows("enrolment__student", Q(sheet__status__in=SCORES_VISIBLE)),
        },
    )

    class Meta:
        verbose_name = "điểm"
        verbose_name_plural = "điểm"
        ordering = ["sheet_id", "enrolment_id", "column"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "enrolment", "column"], name="students_score_one_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.student} – {self.column}: {self.value or '—'}"

    def get_absolute_url(self) -> str:
        return reverse("students:sheet-detail", kwargs={"pk": self.sheet_id})


class SaveBatch(SchoolOwned):
    """A grade-book save, by its client-made id: the same batch sent twice (a dropped
    connection, a resend after re-login) is applied once and answered with the stored reply."""

    batch_id = models.UUIDField("mã lần lưu", unique=True)
    sheet = models.ForeignKey(ScoreSheet, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reply = models.JSONField(default=dict)
    #: SHA-256 of the batch's cells: the same id with other cells is a mistake, not a resend
    digest = models.CharField(max_length=64, blank=True)

    scope = Scope(unit="school", readers=ADMIN_ROLES, writers=frozenset())

    class Meta:
        verbose_name = "lần lưu bảng điểm"
        verbose_name_plural = "lần lưu bảng điểm"


class EntryDeadline(SchoolOwned):
    """The school's last day for entering a semester's scores (optionally one grade only).
    After it a teacher's save is refused; the principal moves the date if needed."""

    semester = models.ForeignKey("org.Semester", verbose_name="học kỳ", on_delete=models.PROTECT, related_name="+")
    grade = models.PositiveSmallIntegerField("khối", null=True, blank=True, help_text="Để trống: mọi khối.")
    closes_on = models.DateField("hạn cuối nhập điểm")
    note = models.CharField("ghi chú", max_length=255, blank=True)

    history = AuditedHistory()
    school_from = "semester"
    scope = Scope(unit="school", readers=GRADE_READERS, writers=SCHOOL_WRITERS)

    class Meta:
        verbose_name = "hạn nhập điểm"
        verbose_name_plural = "hạn nhập điểm"
        ordering = ["semester_id", "grade"]
        constraints = [
            models.UniqueConstraint(fields=["semester", "grade"], name="students_deadline_unique"),
            models.UniqueConstraint(
                fields=["semester"], condition=Q(grade__isnull=True), name="students_deadline_all_grades_unique"
            ),
        ]

    def __str__(self) -> str:
        grade = f"khối {self.grade}" if self.grade else "mọi khối"
        return f"{self.semester} – {grade}: {self.closes_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("students:deadline-detail", kwargs={"pk": self.pk})


class UnlockStatus(models.TextChoices):
    PENDING = "pending", "Chờ duyệt"
    GRANTED = "granted", "Đã mở khoá"
    REFUSED = "refused", "Không đồng ý"


class UnlockRequest(SchoolOwned):
    """A request to reopen an approved (locked) sheet, with the reason; the principal decides."""

    sheet = models.ForeignKey(ScoreSheet, verbose_name="bảng điểm", on_delete=models.PROTECT, related_name="unlocks")
    reason = models.TextField("lý do")
    status = models.CharField("trạng thái", max_length=10, choices=UnlockStatus.choices, default=UnlockStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="người đề nghị"
    )
    requested_at = models.DateTimeField("ngày đề nghị", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="người quyết định",
    )  # fmt: skip
    decided_at = models.DateTimeField("ngày quyết định", null=True, blank=True)
    decision_note = models.CharField("ý kiến", max_length=500, blank=True)

    history = AuditedHistory()
    school_from = "sheet"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS,
        writers=GRADE_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: Q(sheet__in=ScoreSheet.objects.filter(_assigned_triples(actor)).values("pk"))
        },
    )

    class Meta:
        verbose_name = "đề nghị mở khoá bảng điểm"
        verbose_name_plural = "đề nghị mở khoá bảng điểm"
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.sheet} – {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("students:unlock-detail", kwargs={"pk": self.pk})


# --- homeroom: conduct, qualities, attendance ----------------------------------------------------------


class HomeroomAssessment(SchoolOwned):
    """A semester's assessment by the homeroom teacher: conduct (TT22 Art. 8; hạnh kiểm for
    legacy years) or, in primary, qualities and competencies (TT27 Art. 6–7), and a comment."""

    enrolment = models.ForeignKey(
        Enrolment, verbose_name="học sinh", on_delete=models.PROTECT, related_name="homeroom_assessments"
    )
    semester = models.ForeignKey("org.Semester", verbose_name="học kỳ", on_delete=models.PROTECT, related_name="+")
    conduct = models.CharField("kết quả rèn luyện", max_length=10, blank=True)
    qualities = models.JSONField("phẩm chất", default=dict, blank=True)
    competencies = models.JSONField("năng lực", default=dict, blank=True)
    comment = models.TextField("nhận xét", blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    approved = models.BooleanField("hiệu trưởng đã duyệt", default=False)

    history = AuditedHistory()
    school_from = "enrolment"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS | {Role.STUDENT, Role.PARENT},
        writers=GRADE_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: Q(enrolment__school_class__homeroom_teacher=actor.user),
            **_learner_narrows("enrolment__student", Q(approved=True)),
        },
    )

    class Meta:
        verbose_name = "đánh giá của giáo viên chủ nhiệm"
        verbose_name_plural = "đánh giá của giáo viên chủ nhiệm"
        ordering = ["semester_id", "enrolment_id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "semester"], name="students_homeroom_once_a_semester"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.student} – {self.semester}"

    def get_absolute_url(self) -> str:
        return reverse("students:homeroom-detail", kwargs={"pk": self.pk})


class Absence(SchoolOwned):
    """A day a learner missed: sessions (buổi) absent, excused or not. The 45-session limit of
    TT22 Art. 12 counts both kinds."""

    enrolment = models.ForeignKey(Enrolment, verbose_name="học sinh", on_delete=models.PROTECT, related_name="absences")
    day = models.DateField("ngày")
    sessions = models.PositiveSmallIntegerField(
        "số buổi nghỉ", default=1, validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    excused = models.BooleanField("có phép", default=False)
    reason = models.CharField("lý do", max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = AuditedHistory()
    school_from = "enrolment"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS | {Role.STUDENT, Role.PARENT},
        writers=GRADE_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: Q(enrolment__school_class__homeroom_teacher=actor.user),
            **_learner_narrows("enrolment__student"),
        },
    )

    class Meta:
        verbose_name = "ngày nghỉ học"
        verbose_name_plural = "chuyên cần"
        ordering = ["-day", "enrolment_id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "day"], name="students_absence_once_a_day"),
            models.CheckConstraint(condition=Q(sessions__gte=1, sessions__lte=2), name="students_absence_sessions"),
        ]
        indexes = [models.Index(fields=["school", "day"])]

    def __str__(self) -> str:
        return f"{self.enrolment.student} – {self.day:%d/%m/%Y}: {self.sessions} buổi"

    def get_absolute_url(self) -> str:
        return reverse("students:absence-detail", kwargs={"pk": self.pk})


# --- results -----------------------------------------------------------------------------------------


class Period(models.TextChoices):
    SEMESTER_1 = "hk1", "Học kỳ I"
    SEMESTER_2 = "hk2", "Học kỳ II"
    YEAR = "cn", "Cả năm"


class ResultStatus(models.TextChoices):
    COMPUTED = "computed", "Đã tính"
    APPROVED = "approved", "Hiệu trưởng đã duyệt"


class SubjectResult(SchoolOwned):
    """A learner's result in one subject for a semester or the year: the average (ĐTBmhk /
    ĐTBmcn) or Đạt/Chưa đạt, or in primary the level and the test score; the summer re-test
    result replaces the year's for the classification (both are kept)."""

    enrolment = models.ForeignKey(
        Enrolment, verbose_name="học sinh", on_delete=models.PROTECT, related_name="subject_results"
    )
    subject = models.ForeignKey("org.Subject", verbose_name="môn học", on_delete=models.PROTECT, related_name="+")
    period = models.CharField("kỳ", max_length=3, choices=Period.choices)
    average = models.DecimalField("điểm trung bình môn", max_digits=3, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField("đạt (môn đánh giá bằng nhận xét)", null=True, blank=True)
    level = models.CharField("mức đạt được (tiểu học)", max_length=1, blank=True)
    test_score = models.PositiveSmallIntegerField("điểm kiểm tra định kỳ", null=True, blank=True)
    retest_average = models.DecimalField("điểm kiểm tra lại", max_digits=3, decimal_places=1, null=True, blank=True)
    retest_passed = models.BooleanField("kiểm tra lại đạt", null=True, blank=True)
    excluded = models.BooleanField("không tính vào xếp loại (miễn / KHGD cá nhân)", default=False)
    status = models.CharField("trạng thái", max_length=10, choices=ResultStatus.choices, default=ResultStatus.COMPUTED)
    #: the values as last approved ({field: text}); a re-approval that differs writes Correction rows
    approved_values = models.JSONField("giá trị đã duyệt", default=dict, blank=True, editable=False)

    history = AuditedHistory(excluded_fields=["approved_values"])
    school_from = "enrolment"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS | {Role.STUDENT, Role.PARENT},
        writers=SCHOOL_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: Q(enrolment__school_class__in=teacher_classes(actor)),
            **_learner_narrows("enrolment__student", Q(status=ResultStatus.APPROVED)),
        },
    )

    class Meta:
        verbose_name = "kết quả môn học"
        verbose_name_plural = "kết quả môn học"
        ordering = ["enrolment_id", "subject_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "subject", "period"], name="students_subject_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.student} – {self.subject} – {self.get_period_display()}"

    def get_absolute_url(self) -> str:
        return reverse("students:enrolment-results", kwargs={"pk": self.enrolment_id})


class TermResult(SchoolOwned):
    """A learner's overall result for a semester or the year: learning result (TT22 Art. 9; học
    lực for legacy years; the primary year result of TT27 Art. 13), conduct, sessions absent,
    and for the year promotion, summer outcome and title. A principal may set the learning
    result by hand (learners on an individual plan) with a reason; the computed value is kept."""

    enrolment = models.ForeignKey(Enrolment, verbose_name="học sinh", on_delete=models.PROTECT, related_name="results")
    period = models.CharField("kỳ", max_length=3, choices=Period.choices)
    rule_set = models.CharField("quy định áp dụng", max_length=8, choices=rules.RuleSet.choices)
    learning = models.CharField("kết quả học tập", max_length=12, blank=True)
    learning_before_adjustment = models.CharField("kết quả trước điều chỉnh", max_length=12, blank=True)
    adjusted_by_subject = models.CharField("môn được điều chỉnh (Điều 9.3)", max_length=30, blank=True)
    manual_learning = models.CharField("kết quả do hiệu trưởng xác định", max_length=12, blank=True)
    manual_reason = models.CharField("lý do xác định thủ công", max_length=500, blank=True)
    conduct = models.CharField("kết quả rèn luyện", max_length=12, blank=True)
    conduct_after_summer = models.CharField("rèn luyện sau hè", max_length=12, blank=True)
    learning_after_retest = models.CharField("kết quả học tập sau kiểm tra lại", max_length=12, blank=True)
    absences = models.PositiveSmallIntegerField("số buổi nghỉ", default=0)
    absences_excused = models.PositiveSmallIntegerField("số buổi nghỉ có phép", default=0)
    outcome = models.CharField("lên lớp / hoàn thành", max_length=14, blank=True, choices=rules.Outcome.choices)
    title = models.CharField("danh hiệu", max_length=10, blank=True, choices=rules.Title.choices)
    missing = models.JSONField("còn thiếu", default=list, blank=True)
    status = models.CharField("trạng thái", max_length=10, choices=ResultStatus.choices, default=ResultStatus.COMPUTED)
    computed_at = models.DateTimeField("lần tính", auto_now=True)
    #: the values as last approved ({field: text}); a re-approval that differs writes Correction rows
    approved_values = models.JSONField("giá trị đã duyệt", default=dict, blank=True, editable=False)

    history = AuditedHistory(excluded_fields=["computed_at", "approved_values"])
    school_from = "enrolment"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS | {Role.STUDENT, Role.PARENT},
        writers=SCHOOL_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: Q(enrolment__school_class__in=teacher_classes(actor)),
            **_learner_narrows("enrolment__student", Q(status=ResultStatus.APPROVED)),
        },
    )

    class Meta:
        verbose_name = "kết quả học kỳ / cả năm"
        verbose_name_plural = "kết quả học kỳ / cả năm"
        ordering = ["enrolment_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "period"], name="students_term_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.student} – {self.get_period_display()}"

    def get_absolute_url(self) -> str:
        return reverse("students:enrolment-results", kwargs={"pk": self.enrolment_id})

    @property
    def final_learning(self) -> str:
        return self.manual_learning or self.learning


class Publication(SchoolOwned):
    """What a school publishes to the public portal for a term: nothing is public until a row
    says so, and withdrawing it (``withdrawn_at``) hides it again."""

    school_year = models.ForeignKey(
        "org.SchoolYear", verbose_name="năm học", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("kỳ", max_length=3, choices=Period.choices)
    grade = models.PositiveSmallIntegerField("khối", null=True, blank=True, help_text="Để trống: mọi khối.")
    include_scores = models.BooleanField("công bố cả điểm từng môn", default=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="người công bố"
    )
    published_at = models.DateTimeField("ngày công bố", auto_now_add=True)
    withdrawn_at = models.DateTimeField("ngày thu hồi", null=True, blank=True)

    history = AuditedHistory()
    school_from = "school_year"
    scope = Scope(unit="school", readers=ADMIN_ROLES | OVERSIGHT_ROLES, writers=frozenset({Role.PRINCIPAL}))

    class Meta:
        verbose_name = "công bố kết quả"
        verbose_name_plural = "công bố kết quả"
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.school_year} – {self.get_period_display()}"

    def get_absolute_url(self) -> str:
        return reverse("students:publication-detail", kwargs={"pk": self.pk})


class Correction(SchoolOwned):
    """A record-book value changed after the principal had approved it (grading.md, "The books"):
    the học bạ prints the old value struck through, the new value, and who corrected it.
    Append-only; written by the services when an approval replaces different approved values."""

    enrolment = models.ForeignKey(
        Enrolment, verbose_name="học sinh", on_delete=models.PROTECT, related_name="corrections"
    )
    subject = models.ForeignKey(
        "org.Subject", verbose_name="môn học", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("kỳ", max_length=3, choices=Period.choices)
    field = models.CharField("nội dung", max_length=30)
    old_value = models.CharField("giá trị cũ", max_length=40, blank=True)
    new_value = models.CharField("giá trị mới", max_length=40, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người sửa",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người duyệt",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField("lý do", max_length=500, blank=True)
    created_at = models.DateTimeField("ngày sửa", auto_now_add=True)

    school_from = "enrolment"
    scope = Scope(
        unit="school",
        readers=GRADE_READERS | {Role.STUDENT, Role.PARENT},
        writers=SCHOOL_WRITERS,
        narrow={
            Role.TEACHER: lambda actor: Q(enrolment__school_class__in=teacher_classes(actor)),
            **_learner_narrows("enrolment__student"),
        },
    )

    class Meta:
        verbose_name = "sửa chữa học bạ"
        verbose_name_plural = "sửa chữa học bạ"
        ordering = ["enrolment_id", "created_at", "pk"]
        indexes = [models.Index(fields=["enrolment", "period"])]

    def __str__(self) -> str:
        return f"{self.enrolment.student} – {self.field}: {self.old_value} → {self.new_value}"

    def get_absolute_url(self) -> str:
        return reverse("students:enrolment-results", kwargs={"pk": self.enrolment_id})


class YearOpening(SchoolOwned):
    """Opening a school year from the previous one (students.services.newyear): promotion by the
    year's decisions, next year's classes, copied subject plans and assignments, and the old year
    closed read-only. One per previous year, so running it twice cannot promote anybody twice."""

    from_year = models.OneToOneField(
        "org.SchoolYear", verbose_name="năm học cũ", on_delete=models.PROTECT, related_name="+"
    )
    to_year = models.ForeignKey(
        "org.SchoolYear", verbose_name="năm học mới", on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người thực hiện", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField("thực hiện lúc", auto_now_add=True)
    summary = models.JSONField("tóm tắt", default=dict, blank=True)
    closed_at = models.DateTimeField("khoá sổ năm cũ lúc", null=True, blank=True)

    history = AuditedHistory()
    school_from = "from_year"
    scope = Scope(unit="school", readers=ADMIN_ROLES | OVERSIGHT_ROLES, writers=SCHOOL_WRITERS)

    class Meta:
        verbose_name = "mở năm học mới"
        verbose_name_plural = "mở năm học mới"
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_year} → {self.to_year}"

    def get_absolute_url(self) -> str:
        return reverse("students:year-opening-detail", kwargs={"pk": self.pk})
