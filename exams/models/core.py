"""Module (e), part 1: exams and admissions, from registration to published results.

See ``../shared/domain/exams-diplomas.md``. Who reaches what:

- An exam belongs to the unit that runs it (a school's gifted competition, a Phòng's grade-6
  intake, the Sở's grade-10 admission). Its staff (admins and Sở/Phòng staff of the owner's
  subtree) organise it; the units under the owner read it (``inherited``), so a school sees
  the Sở's exams it sends candidates to.
- Its board (``BoardMember``) cuts across the tree (ARCHITECTURE.md): a member reaches the
  exam's rows through the scope's ``grant`` whatever unit they act in. Only the board sees
  marks before publication (``Script``, ``Mark``, ``CandidateScore``), not even the Sở's other
  staff; only the secretariat sees which code is whose (``ScriptKey``).
- A candidate's school of origin reads its own candidates; a learner and their parents read
  the learner's own candidacy, and its scores once published. Learners are *granted* these
  rows, not narrowed to them: a Sở's exam lies outside a student's unit path.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from sms.accounts.roles import ADMIN_ROLES, LEARNER_ROLES, OVERSIGHT_ROLES, STAFF_ROLES, Role
from sms.accounts.scoping import Scope
from sms.audit.history import AuditedHistory
from sms.text import nfc, search_key, sort_key

#: who organises an exam in the owner's subtree: its admins and the Sở/Phòng staff
ORGANISERS = ADMIN_ROLES | OVERSIGHT_ROLES
#: who may register their own school's learners as candidates
SCHOOL_REGISTRARS = frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN})

SCORE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class ExamKind(models.TextChoices):
    ADMISSION_10 = "admission_10", "Tuyển sinh lớp 10"
    GIFTED = "gifted", "Thi học sinh giỏi"
    VOCATIONAL = "vocational", "Thi nghề phổ thông"
    GRADUATION = "graduation", "Thi tốt nghiệp THPT (phần của Sở)"
    INTAKE_1 = "intake_1", "Tuyển sinh lớp 1 (xét tuyển)"
    INTAKE_6 = "intake_6", "Tuyển sinh lớp 6 (xét tuyển)"


#: kinds decided by review of records, without written tests (no subjects, rooms or marking)
REVIEW_KINDS = frozenset({ExamKind.INTAKE_1, ExamKind.INTAKE_6})
#: kinds that end in an allocation to schools by choices and quotas
ADMISSION_KINDS = frozenset({ExamKind.ADMISSION_10, ExamKind.INTAKE_1, ExamKind.INTAKE_6})


class BoardRole(models.TextChoices):
    CHAIR = "chair", "Chủ tịch hội đồng"
    SECRETARIAT = "secretariat", "Thư ký / ban thư ký"
    MARKER = "marker", "Cán bộ chấm thi"
    INVIGILATOR = "invigilator", "Cán bộ coi thi"


# --- the board's grants ----------------------------------------------------------------------------


def board_exams(actor, roles) -> models.QuerySet:
    """Ids of the exams where the actor's user sits on the board in one of ``roles``."""
    return BoardMember.objects.filter(user=actor.user, role__in=roles, is_active=True).values("exam_id")


def _board_grant(exam_path: str, *, view=(BoardRole.CHAIR, BoardRole.SECRETARIAT), change=(BoardRole.SECRETARIAT,)):
    """Board members reach ``exam_path``'s rows: ``view`` roles read, ``change`` roles write."""
    key = f"{exam_path}_id__in" if exam_path else "pk__in"

    def grant(actor, action) -> Q | None:
        if actor.role in LEARNER_ROLES:  # a seat reaches nothing while its holder acts as a parent
            return None
        roles = view if action == "view" else change
        return Q(**{key: board_exams(actor, roles)}) if roles else None

    return grant


def _published(exam_path: str) -> Q:
    prefix = f"{exam_path}__" if exam_path else ""
    return Q(**{f"{prefix}results_publish_at__lte": timezone.now()})


def _learner_q(actor, student_path: str, *, published_exam: str | None = None) -> Q | None:
    """A student's own rows, a parent's children's (``student_path`` leads to the Student);
    ``published_exam`` (a path to the Exam) keeps them hidden until the publication time."""
    if actor.role == Role.STUDENT:
        q = Q(**{f"{student_path}__user": actor.user})
    elif actor.role == Role.PARENT:
        from students.selectors import children_of

        q = Q(**{f"{student_path}_id__in": children_of(actor.user)})
    else:
        return None
    return q & _published(published_exam) if published_exam is not None else q


def _own(student_path: str, *, published_exam: str | None = None):
    """The learner's part of a grant: their own rows (see ``_learner_q``)."""
    return lambda actor: _learner_q(actor, student_path, published_exam=published_exam)


def _staff_and_learners(staff_grant, learner=None, *, learner_actions=("view",)):
    """A grant: ``staff_grant(actor, action)`` for staff roles (the board, a school), and
    ``learner(actor)`` — their own rows — for students and parents. Learners are granted, not
    narrowed: an exam run by the Sở is outside a student's unit path, and their candidacy must
    reach them all the same. A board seat reaches nothing while its holder acts as a parent."""

    def grant(actor, action) -> Q | None:
        if actor.role in LEARNER_ROLES:
            return learner(actor) if learner is not None and action in learner_actions else None
        return staff_grant(actor, action)

    return grant


# --- the exam and its setup ----------------------------------------------------------------------------


class Exam(models.Model):
    """An exam or admission round run by ``unit``, with its configuration."""

    unit = models.ForeignKey("org.Unit", verbose_name="đơn vị tổ chức", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("loại kỳ thi", max_length=20, choices=ExamKind.choices)
    name = models.CharField("tên kỳ thi", max_length=255)
    start_year = models.PositiveSmallIntegerField("năm học (năm bắt đầu)")
    grade = models.PositiveSmallIntegerField(
        "khối dự thi", null=True, blank=True, help_text="Khối của học sinh dự thi (ví dụ 9 cho tuyển sinh lớp 10)."
    )
    # the online application window (Circular 53/2012 Art. 14.3c)
    accepts_online = models.BooleanField("nhận hồ sơ trực tuyến", default=False)
    applications_open_at = models.DateTimeField("mở nhận hồ sơ", null=True, blank=True)
    applications_close_at = models.DateTimeField("hạn nộp hồ sơ", null=True, blank=True)
    # rooms and marking
    room_capacity = models.PositiveSmallIntegerField(
        "số thí sinh tối đa mỗi phòng", default=24, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    number_prefix = models.CharField("tiền tố số báo danh", max_length=10, blank=True)
    number_width = models.PositiveSmallIntegerField(
        "số chữ số của số báo danh",
        default=6,
        validators=[MaxValueValidator(10)],
        help_text="Số thứ tự được thêm số 0 phía trước cho đủ (0: không thêm).",
    )
    mark_threshold = models.DecimalField(
        "chênh lệch tối đa giữa hai lần chấm",
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Hai điểm chấm lệch nhau quá mức này thì phải chấm lần ba hoặc đối thoại.",
    )
    # admission (configuration of the round, not code: domain file, "Grade-10 admission")
    choices_allowed = models.PositiveSmallIntegerField(
        "số nguyện vọng", default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    choice_margins = models.JSONField(
        "điểm cộng thêm so với điểm chuẩn theo thứ tự nguyện vọng",
        default=list,
        blank=True,
        help_text='Ví dụ ["0", "1.5", "3"]: nguyện vọng 2 phải cao hơn điểm chuẩn 1,5 điểm.',
    )
    tie_breaks = models.JSONField(
        "tiêu chí xét khi bằng điểm",
        default=list,
        blank=True,
        help_text='Theo thứ tự, ví dụ ["grade9_average", "grade9_conduct"].',
    )
    # publication
    results_publish_at = models.DateTimeField("thời điểm công bố kết quả", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistory()
    scope = Scope(
        unit="unit",
        readers=STAFF_ROLES,
        writers=ORGANISERS,
        inherited=True,
        grant=_staff_and_learners(
            _board_grant("", view=tuple(BoardRole), change=(BoardRole.CHAIR, BoardRole.SECRETARIAT)),
            lambda actor: Q(pk__in=_learner_exams(actor)),
        ),
    )

    class Meta:
        verbose_name = "kỳ thi"
        verbose_name_plural = "kỳ thi"
        ordering = ["-start_year", "name", "pk"]
        indexes = [models.Index(fields=["unit", "-start_year"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("exams:exam-detail", kwargs={"pk": self.pk})

    def clean(self):
        errors = {}
        self.name = nfc(self.name).strip()
        opens, closes = self.applications_open_at, self.applications_close_at
        if opens and closes and closes <= opens:
            errors["applications_close_at"] = "Hạn nộp hồ sơ phải sau thời điểm mở nhận hồ sơ."
        if self.accepts_online and not (self.applications_open_at and self.applications_close_at):
            errors["applications_open_at"] = "Nhận hồ sơ trực tuyến thì phải có thời gian mở và hạn nộp."
        for name in ("choice_margins", "tie_breaks"):
            if not isinstance(getattr(self, name), list):
                errors[name] = "Phải là một danh sách."
        if errors:
            raise ValidationError(errors)

    @property
    def is_review(self) -> bool:
        return self.kind in REVIEW_KINDS

    @property
    def is_admission(self) -> bool:
        return self.kind in ADMISSION_KINDS

    def is_published(self, now=None) -> bool:
        return self.results_publish_at is not None and self.results_publish_at <= (now or timezone.now())

    def window_open(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(
            self.accepts_online
            and self.applications_open_at
            and self.applications_close_at
            and self.applications_open_at <= now < self.applications_close_at
        )


def _learner_exams(actor) -> models.QuerySet:
    """Ids of the exams the learner (a student, or a parent's children) is a candidate in."""
    from students.selectors import children_of

    if actor.role == Role.STUDENT:
        return Candidate.objects.filter(student__user=actor.user).values("exam_id")
    return Candidate.objects.filter(student_id__in=children_of(actor.user)).values("exam_id")


class ExamSubject(models.Model):
    """A test of the exam: its duration, coefficient and sitting (the timetable)."""

    exam = models.ForeignKey(Exam, verbose_name="kỳ thi", on_delete=models.CASCADE, related_name="subjects")
    code = models.SlugField("mã môn", max_length=30)
    name = models.CharField("môn thi", max_length=120)
    duration_minutes = models.PositiveSmallIntegerField(
        "thời gian làm bài (phút)", validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    coefficient = models.DecimalField(
        "hệ số", max_digits=3, decimal_places=1, default=Decimal("1.0"), validators=[MinValueValidator(Decimal("0.1"))]
    )
    max_score = models.DecimalField("thang điểm", max_digits=5, decimal_places=2, default=Decimal("10"))
    double_marked = models.BooleanField("chấm hai vòng độc lập (bài tự luận)", default=True)
    starts_at = models.DateTimeField("giờ bắt đầu", null=True, blank=True)
    order = models.PositiveSmallIntegerField("thứ tự", default=0)

    history = AuditedHistory()
    scope = Scope(
        unit="exam__unit",
        readers=STAFF_ROLES,
        writers=ORGANISERS,
        inherited=True,
        grant=_staff_and_learners(
            _board_grant("exam", view=tuple(BoardRole), change=(BoardRole.CHAIR, BoardRole.SECRETARIAT)),
            lambda actor: Q(exam_id__in=_learner_exams(actor)),
        ),
    )

    class Meta:
        verbose_name = "môn thi"
        verbose_name_plural = "môn thi"
        ordering = ["exam_id", "order", "starts_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["exam", "code"], name="exams_subject_code_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("exams:examsubject-detail", kwargs={"pk": self.pk})


def _board_member_grant(actor, action) -> Q:
    """The chair and secretariat read the whole board, the chair changes it; every member
    reads their own seats."""
    if action == "view":
        return Q(exam_id__in=board_exams(actor, (BoardRole.CHAIR, BoardRole.SECRETARIAT))) | Q(user=actor.user)
    return Q(exam_id__in=board_exams(actor, (BoardRole.CHAIR,)))


class BoardMember(models.Model):
    """A seat on an exam's board. ``home_unit`` is the member's own school or office: an
    invigilator never watches a room holding candidates of their own school."""

    exam = models.ForeignKey(Exam, verbose_name="kỳ thi", on_delete=models.CASCADE, related_name="board")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="thành viên", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("nhiệm vụ", max_length=20, choices=BoardRole.choices)
    home_unit = models.ForeignKey(
        "org.Unit", verbose_name="đơn vị công tác", on_delete=models.PROTECT, related_name="+"
    )
    full_name = models.CharField("họ và tên", max_length=150, blank=True)
    is_active = models.BooleanField("đang làm nhiệm vụ", default=True)

    history = AuditedHistory()
    scope = Scope(
        unit="exam__unit",
        readers=ORGANISERS,
        writers=ORGANISERS,
        grant=_staff_and_learners(_board_member_grant),
    )

    class Meta:
        verbose_name = "thành viên hội đồng thi"
        verbose_name_plural = "hội đồng thi"
        ordering = ["exam_id", "role", "full_name", "pk"]
        constraints = [models.UniqueConstraint(fields=["exam", "user", "role"], name="exams_board_seat_unique")]

    def __str__(self) -> str:
        return f"{self.full_name or self.user} – {self.get_role_display()}"

    def get_absolute_url(self) -> str:
        return reverse("exams:boardmember-detail", kwargs={"pk": self.pk})


class PointRule(models.Model):
    """A line of the exam's priority or bonus table (configurable; defaults from
    ``rules.DEFAULT_POINT_RULES``, Thông tư 30/2024)."""

    class Kind(models.TextChoices):
        PRIORITY = "priority", "Điểm ưu tiên"
        BONUS = "bonus", "Điểm khuyến khích"
        DIRECT = "direct", "Tuyển thẳng"

    exam = models.ForeignKey(Exam, verbose_name="kỳ thi", on_delete=models.CASCADE, related_name="point_rules")
    kind = models.CharField("loại", max_length=10, choices=Kind.choices)
    code = models.SlugField("mã", max_length=30)
    label = models.CharField("đối tượng", max_length=255)
    points = models.DecimalField("điểm cộng", max_digits=4, decimal_places=2, default=Decimal("0"))

    history = AuditedHistory()
    scope = Scope(unit="exam__unit", readers=STAFF_ROLES, writers=ORGANISERS, inherited=True)

    class Meta:
        verbose_name = "đối tượng ưu tiên, khuyến khích"
        verbose_name_plural = "bảng điểm ưu tiên, khuyến khích"
        ordering = ["exam_id", "kind", "-points", "code"]
        constraints = [models.UniqueConstraint(fields=["exam", "code"], name="exams_point_rule_unique")]

    def __str__(self) -> str:
        return f"{self.label} (+{self.points})" if self.kind != self.Kind.DIRECT else self.label

    def get_absolute_url(self) -> str:
        return reverse("exams:pointrule-detail", kwargs={"pk": self.pk})


class Quota(models.Model):
    """How many a school admits in this round, and the cut-off the allocation found."""

    exam = models.ForeignKey(Exam, verbose_name="kỳ thi", on_delete=models.CASCADE, related_name="quotas")
    school = models.ForeignKey("org.Unit", verbose_name="trường tuyển", on_delete=models.PROTECT, related_name="+")
    places = models.PositiveIntegerField("chỉ tiêu")
    cut_off = models.DecimalField("điểm chuẩn", max_digits=6, decimal_places=2, null=True, blank=True, editable=False)
    admitted = models.PositiveIntegerField("số trúng tuyển", default=0, editable=False)

    history = AuditedHistory()
    scope = Scope(unit="exam__unit", readers=STAFF_ROLES, writers=ORGANISERS, inherited=True)

    class Meta:
        verbose_name = "chỉ tiêu tuyển sinh"
        verbose_name_plural = "chỉ tiêu tuyển sinh"
        ordering = ["exam_id", "school__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["exam", "school"], name="exams_quota_unique")]

    def __str__(self) -> str:
        return f"{self.school} – {self.places}"

    def get_absolute_url(self) -> str:
        return reverse("exams:quota-detail", kwargs={"pk": self.pk})


# --- sites and rooms -----------------------------------------------------------------------------------


class Site(models.Model):
    """An exam site (điểm thi), usually a school."""

    exam = models.ForeignKey(Exam, verbose_name="kỳ thi", on_delete=models.CASCADE, related_name="sites")
    code = models.CharField("mã điểm thi", max_length=20)
    name = models.CharField("điểm thi", max_length=255)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    host = models.ForeignKey(
        "org.Unit",
        verbose_name="trường đặt điểm thi",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = AuditedHistory()
    scope = Scope(
        unit="exam__unit",
        readers=ORGANISERS,
        writers=ORGANISERS,
        grant=_board_grant("exam", view=tuple(BoardRole), change=(BoardRole.SECRETARIAT,)),
    )

    class Meta:
        verbose_name = "điểm thi"
        verbose_name_plural = "điểm thi"
        ordering = ["exam_id", "code", "pk"]
        constraints = [models.UniqueConstraint(fields=["exam", "code"], name="exams_site_code_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("exams:site-detail", kwargs={"pk": self.pk})


def _room_grant(actor, action) -> Q:
    """The chair and secretariat read every room, the secretariat sets them up; an
    invigilator reads the rooms they watch."""
    if action == "view":
        return (
            Q(site__exam_id__in=board_exams(actor, (BoardRole.CHAIR, BoardRole.SECRETARIAT)))
            | Q(invigilator_1__user=actor.user, invigilator_1__is_active=True)
            | Q(invigilator_2__user=actor.user, invigilator_2__is_active=True)
        )
    return Q(site__exam_id__in=board_exams(actor, (BoardRole.SECRETARIAT,)))


class Room(models.Model):
    """A room of a site, with its two invigilators (none from a school whose candidates sit here)."""

    site = models.ForeignKey(Site, verbose_name="điểm thi", on_delete=models.CASCADE, related_name="rooms")
    number = models.PositiveSmallIntegerField("phòng số")
    location = models.CharField("vị trí", max_length=120, blank=True)
    capacity = models.PositiveSmallIntegerField("sức chứa", null=True, blank=True, help_text="Để trống: theo kỳ thi.")
    invigilator_1 = models.ForeignKey(
        BoardMember, verbose_name="cán bộ coi thi 1", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invigilator_2 = models.ForeignKey(
        BoardMember, verbose_name="cán bộ coi thi 2", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = AuditedHistory()
    scope = Scope(
        unit="site__exam__unit",
        readers=ORGANISERS,
        writers=ORGANISERS,
        grant=_staff_and_learners(_room_grant),
    )

    class Meta:
        verbose_name = "phòng thi"
        verbose_name_plural = "phòng thi"
        ordering = ["site_id", "number", "pk"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="exams_room_number_unique")]

    def __str__(self) -> str:
        return f"Phòng {self.number:02d} – {self.site}"

    def get_absolute_url(self) -> str:
        return reverse("exams:room-detail", kwargs={"pk": self.pk})


# --- candidates and applications -------------------------------------------------------------------------


class CandidateSource(models.TextChoices):
    STUDENTS = "students", "Từ hồ sơ học sinh"
    ONLINE = "online", "Hồ sơ trực tuyến"
    IMPORT = "import", "Nhập từ tệp Excel"
    MANUAL = "manual", "Nhập tay"


class AdmissionStatus(models.TextChoices):
    PENDING = "", "Chưa xét"
    ADMITTED = "admitted", "Trúng tuyển"
    DIRECT = "direct", "Tuyển thẳng"
    NOT_ADMITTED = "not_admitted", "Không trúng tuyển"
    ABSENT = "absent", "Vắng thi"


def new_lookup_code() -> str:
    """A candidate's second secret for public lookups (8 characters, no look-alikes)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _candidate_grant(actor, action) -> Q:
    """The chair and secretariat read the exam's candidates, the secretariat writes them; an
    invigilator reads the candidates seated in the rooms they watch (the room list); a marker
    reads none — they know scripts by code only. A school (and the offices above it) reads its
    own learners' candidacies in anybody's exam; a school's leaders change them until numbers
    are given (registration is over then)."""
    q = _board_grant("exam", view=(BoardRole.CHAIR, BoardRole.SECRETARIAT), change=(BoardRole.SECRETARIAT,))(
        actor, action
    )
    if action == "view":
        watching = BoardMember.objects.filter(user=actor.user, role=BoardRole.INVIGILATOR, is_active=True)
        q |= Q(room__invigilator_1__in=watching) | Q(room__invigilator_2__in=watching)
        if actor.role in ORGANISERS:
            q |= Q(school__path__startswith=actor.unit.path)
    elif actor.role in SCHOOL_REGISTRARS:
        q |= Q(school_id=actor.unit_id, number="")
    return q


class Candidate(models.Model):
    """A candidate of an exam, with the number (số báo danh) unique in it."""

    exam = models.ForeignKey(Exam, verbose_name="kỳ thi", on_delete=models.CASCADE, related_name="candidates")
    number = models.CharField("số báo danh", max_length=20, blank=True)
    student = models.ForeignKey(
        "students.Student", verbose_name="học sinh", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        "org.Unit",
        verbose_name="trường đang học",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Để trống với thí sinh tự do.",
    )
    school_name = models.CharField("trường đang học (ngoài hệ thống)", max_length=255, blank=True)
    source = models.CharField("nguồn", max_length=10, choices=CandidateSource.choices, default=CandidateSource.MANUAL)
    full_name = models.CharField("họ và tên", max_length=150)
    birth_date = models.DateField("ngày sinh")
    sex = models.CharField("giới tính", max_length=1, choices=[("M", "Nam"), ("F", "Nữ")])
    personal_id = models.CharField("số định danh cá nhân", max_length=12, blank=True)
    ethnicity = models.CharField("dân tộc", max_length=40, default="Kinh")
    birthplace = models.CharField("nơi sinh", max_length=255, blank=True)
    class_name = models.CharField("lớp", max_length=30, blank=True)
    priority = models.ForeignKey(
        PointRule, verbose_name="đối tượng ưu tiên", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bonus = models.ForeignKey(
        PointRule, verbose_name="diện khuyến khích", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    direct = models.ForeignKey(
        PointRule, verbose_name="diện tuyển thẳng", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_score = models.DecimalField(
        "điểm xét tuyển (hồ sơ)", max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_VALIDATORS
    )
    tie_break_values = models.JSONField(
        "dữ liệu xét khi bằng điểm", default=dict, blank=True, help_text='Ví dụ {"grade9_average": "8.2"}.'
    )
    room = models.ForeignKey(
        Room, verbose_name="phòng thi", null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    seat = models.PositiveSmallIntegerField("số thứ tự trong phòng", null=True, blank=True)
    lookup_code = models.CharField("mã tra cứu", max_length=12, default=new_lookup_code, editable=False)
    # the admission's outcome (written by the allocation service, kept in history)
    admission_score = models.DecimalField(
        "điểm xét tuyển", max_digits=6, decimal_places=2, null=True, blank=True, editable=False
    )
    admission_status = models.CharField(
        "kết quả tuyển sinh", max_length=15, choices=AdmissionStatus.choices, default="", blank=True, editable=False
    )
    admitted_to = models.ForeignKey(
        "org.Unit",
        verbose_name="trúng tuyển vào",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    admitted_choice = models.PositiveSmallIntegerField("theo nguyện vọng", null=True, blank=True, editable=False)
    withdrawn = models.BooleanField("đã rút hồ sơ", default=False)
    search_key = models.CharField(max_length=150, editable=False, db_index=True, default="")
    sort_key = models.CharField(max_length=1000, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistory()
    scope = Scope(
        unit="exam__unit",
        readers=ORGANISERS,
        writers=ORGANISERS,
        grant=_staff_and_learners(_candidate_grant, _own("student")),
    )

    class Meta:
        verbose_name = "thí sinh"
        verbose_name_plural = "thí sinh"
        ordering = ["exam_id", "number", "sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "number"], condition=~Q(number=""), name="exams_candidate_number_unique"
            ),
            models.UniqueConstraint(
                fields=["exam", "student"], condition=Q(student__isnull=False), name="exams_candidate_student_once"
            ),
            models.UniqueConstraint(
                fields=["exam", "personal_id"], condition=~Q(personal_id=""), name="exams_candidate_personal_id_once"
            ),
        ]
        indexes = [models.Index(fields=["exam", "sort_key"]), models.Index(fields=["exam", "school"])]

    def __str__(self) -> str:
        return f"{self.number or '—'} {self.full_name}"

    def get_absolute_url(self) -> str:
        return reverse("exams:candidate-detail", kwargs={"pk": self.pk})

    def save(self, *args, **kwargs):
        self.full_name = nfc(self.full_name).strip()
        self.search_key = search_key(self.full_name)
        self.sort_key = sort_key(self.full_name)
        super().save(*args, **kwargs)


class Choice(models.Model):
    """A candidate's admission choice (nguyện vọng), rank 1 first."""

    candidate = models.ForeignKey(Candidate, verbose_name="thí sinh", on_delete=models.CASCADE, related_name="choices")
    rank = models.PositiveSmallIntegerField("nguyện vọng", validators=[MinValueValidator(1), MaxValueValidator(5)])
    school = models.ForeignKey("org.Unit", verbose_name="trường", on_delete=models.PROTECT, related_name="+")

    history = AuditedHistory()
    scope = Scope(
        unit="candidate__exam__unit",
        readers=ORGANISERS,
        writers=ORGANISERS,
        grant=_staff_and_learners(
            lambda actor, action: Q(
                candidate__in=Candidate.objects.filter(_candidate_grant(actor, action)).values("pk")
            ),
            _own("candidate__student"),
        ),
    )

    class Meta:
        verbose_name = "nguyện vọng"
        verbose_name_plural = "nguyện vọng"
        ordering = ["candidate_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "rank"], name="exams_choice_rank_unique"),
            models.UniqueConstraint(fields=["candidate", "school"], name="exams_choice_school_unique"),
        ]

    def __str__(self) -> str:
        return f"NV{self.rank}: {self.school}"


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Đã nộp, chờ xét"
    NEEDS_CHANGES = "needs_changes", "Cần bổ sung"
    ACCEPTED = "accepted", "Hồ sơ hợp lệ"
    REJECTED = "rejected", "Không hợp lệ"


def new_reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "HS" + "".join(secrets.choice(alphabet) for _ in range(10))


class Application(models.Model):
    """A public online application (Circular 53/2012 Art. 14.3c, level 3–4): filled and
    submitted online, followed by its reference and the applicant's date of birth, answered
    online. Accepting it makes a ``Candidate``."""

    exam = models.ForeignKey(Exam, verbose_name="kỳ thi", on_delete=models.PROTECT, related_name="applications")
    reference = models.CharField("mã hồ sơ", max_length=20, unique=True, default=new_reference, editable=False)
    status = models.CharField(
        "trạng thái", max_length=15, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    full_name = models.CharField("họ và tên", max_length=150)
    birth_date = models.DateField("ngày sinh")
    sex = models.CharField("giới tính", max_length=1, choices=[("M", "Nam"), ("F", "Nữ")])
    personal_id = models.CharField("số định danh cá nhân", max_length=12, blank=True)
    ethnicity = models.CharField("dân tộc", max_length=40, default="Kinh")
    birthplace = models.CharField("nơi sinh", max_length=255, blank=True)
    address = models.CharField("nơi ở hiện nay", max_length=255)
    previous_school = models.CharField("trường đang học", max_length=255, blank=True)
    guardian_name = models.CharField("họ tên cha, mẹ hoặc người giám hộ", max_length=150)
    phone = models.CharField("điện thoại liên hệ", max_length=20)
    email = models.EmailField("thư điện tử", blank=True)
    choices = models.JSONField("nguyện vọng (mã đơn vị theo thứ tự)", default=list, blank=True)
    priority_claim = models.ForeignKey(
        PointRule, verbose_name="đối tượng ưu tiên", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bonus_claim = models.ForeignKey(
        PointRule, verbose_name="diện khuyến khích", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff_note = models.TextField("ghi chú gửi người nộp", blank=True)
    submitted_at = models.DateTimeField("nộp lúc", default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("xét lúc", null=True, blank=True)
    candidate = models.OneToOneField(
        Candidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="application", editable=False
    )
    submit_key = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

    history = AuditedHistory()
    scope = Scope(
        unit="exam__unit",
        readers=ORGANISERS,
        writers=ORGANISERS,
        grant=_board_grant("exam", view=(BoardRole.CHAIR, BoardRole.SECRETARIAT), change=(BoardRole.SECRETARIAT,)),
    )

    class Meta:
        verbose_name = "hồ sơ đăng ký trực tuyến"
        verbose_name_plural = "hồ sơ đăng ký trực tuyến"
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["exam", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} – {self.full_name}"

    def get_absolute_url(self) -> str:
        return reverse("exams:application-detail", kwargs={"pk": self.pk})


class ApplicationDocument(models.Model):
    """A file attached to an application (birth certificate, proof of priority…), checked for
    type and size on upload and served only through a view that applies the door."""

    class Kind(models.TextChoices):
        BIRTH = "birth", "Giấy khai sinh"
        RESIDENCE = "residence", "Xác nhận cư trú"
        TRANSCRIPT = "transcript", "Học bạ / kết quả học tập"
        PRIORITY = "priority", "Minh chứng ưu tiên, khuyến khích"
        PHOTO = "photo", "Ảnh chân dung"
        OTHER = "other", "Giấy tờ khác"

    application = models.ForeignKey(
        Application, verbose_name="hồ sơ", on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField("loại giấy tờ", max_length=12, choices=Kind.choices)
    file = models.ForeignKey("files.StoredFile", verbose_name="tệp", on_delete=models.PROTECT, related_name="+")

    scope = Scope(
        unit="application__exam__unit",
        readers=ORGANISERS,
        writers=ORGANISERS,
        grant=_board_grant(
            "application__exam", view=(BoardRole.CHAIR, BoardRole.SECRETARIAT), change=(BoardRole.SECRETARIAT,)
        ),
    )

    class Meta:
        verbose_name = "giấy tờ kèm hồ sơ"
        verbose_name_plural = "giấy tờ kèm hồ sơ"
        ordering = ["application_id", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.file}"

    def get_absolute_url(self) -> str:
        return reverse("exams:applicationdocument-download", kwargs={"pk": self.pk})


# --- marking -----------------------------------------------------------------------------------------------


class ScriptStatus(models.TextChoices):
    MARKING = "marking", "Đang chấm"
    DISPUTED = "disputed", "Lệch điểm, chờ chấm lần ba"
    FINAL = "final", "Đã có điểm"
    ABSENT = "absent", "Vắng thi"


def _script_grant(actor, action) -> Q:
    """The chair and secretariat read every script, the secretariat writes them; a marker
    reads the scripts given to them (a ``Mark`` row of theirs, scored or not)."""
    if action == "view":
        mine = Mark.objects.filter(marker__user=actor.user, marker__is_active=True).values("script_id")
        return Q(exam_subject__exam_id__in=board_exams(actor, (BoardRole.CHAIR, BoardRole.SECRETARIAT))) | Q(
            pk__in=mine
        )
    return Q(exam_subject__exam_id__in=board_exams(actor, (BoardRole.SECRETARIAT,)))


class Script(models.Model):
    """One candidate's paper in one subject, known to markers only by its code (số phách)."""

    exam_subject = models.ForeignKey(
        ExamSubject, verbose_name="môn thi", on_delete=models.PROTECT, related_name="scripts"
    )
    code = models.CharField("số phách", max_length=20)
    status = models.CharField("trạng thái", max_length=10, choices=ScriptStatus.choices, default=ScriptStatus.MARKING)
    final_score = models.DecimalField(
        "điểm thống nhất", max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_VALIDATORS
    )

    history = AuditedHistory()
    # Board only: the chair and secretariat see every script, a marker those given to them.
    scope = Scope(
        unit="exam_subject__exam__unit",
        readers=frozenset(),
        writers=frozenset(),
        grant=_staff_and_learners(_script_grant),
    )

    class Meta:
        verbose_name = "bài thi"
        verbose_name_plural = "bài thi"
        ordering = ["exam_subject_id", "code"]
        constraints = [models.UniqueConstraint(fields=["exam_subject", "code"], name="exams_script_code_unique")]

    def __str__(self) -> str:
        return f"{self.exam_subject} – phách {self.code}"

    def get_absolute_url(self) -> str:
        return reverse("exams:script-detail", kwargs={"pk": self.pk})


class ScriptKey(models.Model):
    """Which candidate wrote a script: the anonymous-code mapping, seen by the secretariat only."""

    script = models.OneToOneField(Script, verbose_name="bài thi", on_delete=models.CASCADE, related_name="key")
    candidate = models.ForeignKey(Candidate, verbose_name="thí sinh", on_delete=models.PROTECT, related_name="+")

    history = AuditedHistory()
    scope = Scope(
        unit="script__exam_subject__exam__unit",
        readers=frozenset(),
        writers=frozenset(),
        grant=_staff_and_learners(
            lambda actor, action: Q(script__exam_subject__exam_id__in=board_exams(actor, (BoardRole.SECRETARIAT,)))
        ),
    )

    class Meta:
        verbose_name = "phách"
        verbose_name_plural = "phách"
        constraints = [models.UniqueConstraint(fields=["script", "candidate"], name="exams_script_key_unique")]

    def __str__(self) -> str:
        return f"{self.script.code} → {self.candidate_id}"


class MarkRound(models.TextChoices):
    FIRST = "1", "Chấm lần 1"
    SECOND = "2", "Chấm lần 2"
    THIRD = "3", "Chấm lần 3"
    JOINT = "joint", "Đối thoại thống nhất"
    APPEAL_1 = "appeal_1", "Phúc khảo lần 1"
    APPEAL_2 = "appeal_2", "Phúc khảo lần 2"
    APPEAL_JOINT = "appeal_joint", "Phúc khảo – thống nhất"


def _mark_grant(actor, action) -> Q:
    """The chair and secretariat read every mark; a marker reads and enters their own."""
    own = Q(marker__user=actor.user, marker__is_active=True)
    if action == "view":
        return Q(script__exam_subject__exam_id__in=board_exams(actor, (BoardRole.CHAIR, BoardRole.SECRETARIAT))) | own
    return own


class Mark(models.Model):
    """One marker's mark on one script in one round. Every mark is kept; a change keeps history."""

    script = models.ForeignKey(Script, verbose_name="bài thi", on_delete=models.PROTECT, related_name="marks")
    marker = models.ForeignKey(BoardMember, verbose_name="cán bộ chấm", on_delete=models.PROTECT, related_name="marks")
    round = models.CharField("lượt chấm", max_length=15, choices=MarkRound.choices)
    score = models.DecimalField(
        "điểm", max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_VALIDATORS
    )
    marked_at = models.DateTimeField("chấm lúc", null=True, blank=True)
    note = models.CharField("ghi chú", max_length=255, blank=True)

    history = AuditedHistory()
    scope = Scope(
        unit="script__exam_subject__exam__unit",
        readers=frozenset(),
        writers=frozenset(),
        grant=_staff_and_learners(_mark_grant),
    )

    class Meta:
        verbose_name = "điểm chấm"
        verbose_name_plural = "điểm chấm"
        ordering = ["script_id", "round", "pk"]
        constraints = [models.UniqueConstraint(fields=["script", "round"], name="exams_mark_round_unique")]

    def __str__(self) -> str:
        return f"{self.script} – {self.get_round_display()}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("exams:mark-detail", kwargs={"pk": self.pk})


def _score_grant(actor, action) -> Q:
    """The chair and secretariat read scores before publication, the secretariat writes them
    (matching, appeals); once published, the candidate's school and the offices above it read
    their own candidates' scores."""
    if action != "view":
        return Q(candidate__exam_id__in=board_exams(actor, (BoardRole.SECRETARIAT,)))
    q = Q(candidate__exam_id__in=board_exams(actor, (BoardRole.CHAIR, BoardRole.SECRETARIAT)))
    if actor.role in ORGANISERS:
        q |= Q(candidate__school__path__startswith=actor.unit.path) & _published("candidate__exam")
    return q


class CandidateScore(models.Model):
    """A candidate's final score in one subject, written when codes are matched back
    (ghép phách) and changed afterwards only by an appeal. Before publication the board
    alone sees it; afterwards the organisers, the candidate's school and the candidate."""

    candidate = models.ForeignKey(Candidate, verbose_name="thí sinh", on_delete=models.PROTECT, related_name="scores")
    exam_subject = models.ForeignKey(ExamSubject, verbose_name="môn thi", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(
        "điểm", max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_VALIDATORS
    )
    absent = models.BooleanField("vắng thi", default=False)
    matched_at = models.DateTimeField("ghép phách lúc", default=timezone.now)

    history = AuditedHistory()
    scope = Scope(
        unit="candidate__exam__unit",
        readers=ORGANISERS,
        writers=frozenset(),
        narrow={role: (lambda actor: _published("candidate__exam")) for role in ORGANISERS},
        grant=_staff_and_learners(_score_grant, _own("candidate__student", published_exam="candidate__exam")),
    )

    class Meta:
        verbose_name = "điểm thi"
        verbose_name_plural = "điểm thi"
        ordering = ["candidate_id", "exam_subject__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "exam_subject"], name="exams_candidate_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.candidate} – {self.exam_subject}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("exams:candidatescore-detail", kwargs={"pk": self.pk})


class AppealStatus(models.TextChoices):
    PENDING = "pending", "Chờ phúc khảo"
    MARKING = "marking", "Đang chấm phúc khảo"
    DECIDED = "decided", "Đã có kết quả phúc khảo"
    WITHDRAWN = "withdrawn", "Đã rút đơn"


class Appeal(models.Model):
    """A request to re-mark a published score (phúc khảo), marked by markers who did not
    mark the script before; the decided score replaces the old one with history."""

    score = models.ForeignKey(
        CandidateScore, verbose_name="điểm phúc khảo", on_delete=models.PROTECT, related_name="appeals"
    )
    status = models.CharField("trạng thái", max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    reason = models.CharField("lý do", max_length=500, blank=True)
    requested_at = models.DateTimeField("nộp đơn lúc", default=timezone.now)
    old_score = models.DecimalField("điểm trước phúc khảo", max_digits=5, decimal_places=2, null=True, blank=True)
    new_score = models.DecimalField("điểm sau phúc khảo", max_digits=5, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField("có kết quả lúc", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = AuditedHistory()
    scope = Scope(
        unit="score__candidate__exam__unit",
        readers=ORGANISERS,
        writers=ORGANISERS,
        grant=_staff_and_learners(
            _board_grant(
                "score__candidate__exam", view=(BoardRole.CHAIR, BoardRole.SECRETARIAT), change=(BoardRole.SECRETARIAT,)
            ),
            _own("score__candidate__student", published_exam="score__candidate__exam"),
            learner_actions=("view", "add"),
        ),
    )

    class Meta:
        verbose_name = "đơn phúc khảo"
        verbose_name_plural = "đơn phúc khảo"
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Phúc khảo {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("exams:appeal-detail", kwargs={"pk": self.pk})
