"""Management units, administrative areas, and each school's structure.

Two trees: management units (Sở → [Phòng →] Trường) carry tenancy; administrative areas
(tỉnh → xã → thôn) carry addresses and the literacy census. Both are stored with a
materialised path so "everything under X" is one indexed ``LIKE 'path%'`` query, and neither
assumes a depth.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from sms.accounts.roles import ADMIN_ROLES, Role, UnitKind
from sms.accounts.scoping import Scope
from sms.audit.history import AuditedHistory
from sms.text import nfc, search_key

from . import rules
from .rules import SchoolType


class TreeNode(models.Model):
    """A node of a materialised-path tree: ``path`` is the ids from the root, "1/5/12/"."""

    path = models.CharField("đường dẫn cây", max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField("cấp", default=0, editable=False)

    class Meta:
        abstract = True

    @property
    def path_ids(self) -> list[int]:
        return [int(part) for part in self.path.split("/") if part]

    def _compute_path(self) -> None:
        parent = getattr(self, "parent", None)
        self.path = f"{parent.path if parent else ''}{self.pk}/"
        self.depth = parent.depth + 1 if parent else 0

    def save(self, *args, **kwargs):
        creating = self._state.adding
        super().save(*args, **kwargs)
        if creating:
            # The path holds the node's own id, known only after the insert. Write it, and
            # put it in the creation row of the history too, so the history knows where the
            # node stood from its first day.
            self._compute_path()
            type(self).objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            history = getattr(type(self), "history", None)
            if history is not None:
                history.filter(id=self.pk, path="").update(path=self.path, depth=self.depth)

    def descendants(self, include_self: bool = True):
        qs = type(self).objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    def ancestors(self, include_self: bool = False):
        ids = self.path_ids if include_self else self.path_ids[:-1]
        return type(self).objects.filter(pk__in=ids).order_by("depth")


class Unit(TreeNode):
    """A management unit: Sở GD&ĐT, Phòng GD&ĐT, a school or a centre."""

    kind = models.CharField("loại đơn vị", max_length=10, choices=UnitKind.choices)
    school_type = models.CharField(
        "loại hình trường (TT53 Điều 3.4)", max_length=4, choices=SchoolType.choices, blank=True
    )
    code = models.CharField("mã đơn vị", max_length=32, unique=True)
    name = models.CharField("tên đơn vị", max_length=255)
    parent = models.ForeignKey(
        "self",
        verbose_name="đơn vị cấp trên",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    area = models.ForeignKey(
        "org.AdministrativeArea",
        verbose_name="địa bàn",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    edu_domain = models.CharField("tên miền chính thức", max_length=120, blank=True)
    email = models.EmailField("hộp thư chính thức", blank=True)
    phone = models.CharField("điện thoại", max_length=30, blank=True)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    is_active = models.BooleanField("đang hoạt động", default=True)
    dissolved_on = models.DateField("ngày giải thể / sáp nhập", null=True, blank=True)
    search_key = models.CharField(max_length=255, editable=False, db_index=True, default="")

    history = AuditedHistory()
    scope = Scope(unit="", writers=frozenset({Role.SO_ADMIN, Role.PHONG_ADMIN}))

    class Meta:
        verbose_name = "đơn vị"
        verbose_name_plural = "đơn vị"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE]) | Q(school_type=""),
                name="org_unit_school_type_only_for_schools",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("org:unit-detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    @property
    def is_school_level(self) -> bool:
        return self.kind in (UnitKind.SCHOOL, UnitKind.CENTRE)

    @property
    def grades(self) -> tuple[int, ...]:
        return rules.grades_for(self.school_type) if self.is_school_level else ()

    @property
    def domain_warning(self) -> str | None:
        return rules.domain_warning(self.kind, self.edu_domain)

    def clean(self) -> None:
        self.name = nfc(self.name)
        self.code = nfc(self.code)
        errors: dict[str, str] = {}
        if self.is_school_level:
            if not self.school_type:
                errors["school_type"] = "Trường hoặc trung tâm phải có loại hình (C0, C1, …, TX, …)."
            elif (self.school_type in rules.CENTRE_TYPES) != (self.kind == UnitKind.CENTRE):
                errors["school_type"] = "Loại hình không khớp với loại đơn vị (trường / trung tâm)."
        elif self.school_type:
            errors["school_type"] = "Chỉ trường và trung tâm mới có loại hình."
        if self.parent is not None:
            if self.parent.is_school_level:
                errors["parent"] = "Trường, trung tâm không có đơn vị trực thuộc."
            elif self.pk and self.parent.path.startswith(self.path):
                errors["parent"] = "Không thể chuyển đơn vị vào chính nó hoặc đơn vị trực thuộc nó."
        elif self.kind != UnitKind.SO:
            errors["parent"] = "Chỉ Sở GD&ĐT mới không có đơn vị cấp trên."
        if self.kind == UnitKind.SO and self.parent is not None and self.parent.kind != UnitKind.SO:
            errors["parent"] = "Sở GD&ĐT không thể trực thuộc Phòng, trường hay trung tâm."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.name = nfc(self.name)
        self.search_key = search_key(self.name)
        super().save(*args, **kwargs)


class UnitMove(models.Model):
    """A unit moved under another parent (a Phòng abolished, a school reassigned)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="moves")
    from_parent = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")
    to_parent = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")
    old_path = models.CharField(max_length=255)
    new_path = models.CharField(max_length=255)
    reason = models.CharField("lý do", max_length=255, blank=True)
    moved_at = models.DateTimeField(auto_now_add=True)
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    scope = Scope(unit="unit")

    class Meta:
        verbose_name = "chuyển đơn vị"
        verbose_name_plural = "lịch sử chuyển đơn vị"
        ordering = ["-moved_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.unit} → {self.to_parent}"


class AreaLevel(models.TextChoices):
    PROVINCE = "province", "Tỉnh / thành phố"
    DISTRICT = "district", "Quận / huyện (trước 01/7/2025)"
    COMMUNE = "commune", "Xã / phường / đặc khu"
    VILLAGE = "village", "Thôn / tổ dân phố"


class AdministrativeArea(TreeNode):
    """An administrative area with the dates it existed; merges keep the old rows."""

    code = models.CharField("mã", max_length=20, unique=True)
    name = models.CharField("tên", max_length=255)
    level = models.CharField("cấp", max_length=10, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="thuộc", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    valid_from = models.DateField("hiệu lực từ ngày", null=True, blank=True)
    valid_to = models.DateField("hết hiệu lực từ ngày", null=True, blank=True)
    successor = models.ForeignKey(
        "self", verbose_name="sáp nhập vào", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    owner = models.ForeignKey(
        Unit, verbose_name="đơn vị quản lý danh mục", on_delete=models.PROTECT, related_name="areas"
    )
    search_key = models.CharField(max_length=255, editable=False, db_index=True, default="")

    scope = Scope(unit="owner", inherited=True, writers=frozenset({Role.SO_ADMIN}))

    class Meta:
        verbose_name = "địa bàn hành chính"
        verbose_name_plural = "địa bàn hành chính"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="org_area_valid_range",
            )
        ]

    def get_absolute_url(self) -> str:
        return reverse("org:area-detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)

    def clean(self) -> None:
        self.name = nfc(self.name)
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."})
        if self.parent_id and self.parent.owner_id != self.owner_id:
            raise ValidationError({"parent": "Địa bàn cấp trên phải thuộc cùng danh mục."})

    def save(self, *args, **kwargs):
        self.name = nfc(self.name)
        self.search_key = search_key(self.name)
        super().save(*args, **kwargs)


# --- each school's structure -------------------------------------------------------------------


class SchoolOwned(models.Model):
    """A row that belongs to one school (or centre) and is reached through it."""

    school = models.ForeignKey(
        Unit,
        verbose_name="trường",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind__in": [UnitKind.SCHOOL, UnitKind.CENTRE]},
    )

    scope = Scope(unit="school")
    #: the relation the school is taken from when a row is created (None: chosen directly)
    school_from: str | None = None

    class Meta:
        abstract = True

    def check_same_school(self, errors: dict, *fields: str) -> None:
        for name in fields:
            related = getattr(self, name, None)
            if related is not None and self.school_id and related.school_id != self.school_id:
                errors[name] = "Phải thuộc cùng trường."


class SchoolYear(SchoolOwned):
    """A school year (năm học) with its two semesters; one per school is current."""

    start_year = models.PositiveSmallIntegerField("năm bắt đầu")
    starts_on = models.DateField("ngày bắt đầu")
    ends_on = models.DateField("ngày kết thúc")
    is_current = models.BooleanField("năm học hiện tại", default=False)
    is_closed = models.BooleanField("đã khoá sổ", default=False)

    class Meta:
        verbose_name = "năm học"
        verbose_name_plural = "năm học"
        ordering = ["school_id", "-start_year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "start_year"], name="org_year_unique_per_school"),
            models.UniqueConstraint(
                fields=["school"], condition=Q(is_current=True), name="org_one_current_year_per_school"
            ),
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="org_year_dates"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("org:schoolyear-detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}"

    def clean(self) -> None:
        errors = {}
        if self.starts_on and self.ends_on:
            if self.ends_on <= self.starts_on:
                errors["ends_on"] = "Ngày kết thúc phải sau ngày bắt đầu."
            if self.start_year and self.starts_on.year != self.start_year:
                errors["starts_on"] = f"Năm học {self.name} phải bắt đầu trong năm {self.start_year}."
        if self.school_id and not self.school.grades and self.school.school_type != SchoolType.C0:
            errors["school"] = "Đơn vị này không tổ chức năm học theo khối lớp."
        if errors:
            raise ValidationError(errors)


#: the two semesters of a school year (also the choices of fields that name one by number)
SEMESTER_CHOICES = [(1, "Học kỳ I"), (2, "Học kỳ II")]


class Semester(SchoolOwned):
    """Học kỳ I or II of a school year, with its dates."""

    school_year = models.ForeignKey(
        SchoolYear, verbose_name="năm học", on_delete=models.CASCADE, related_name="semesters"
    )
    number = models.PositiveSmallIntegerField("học kỳ", choices=SEMESTER_CHOICES)
    starts_on = models.DateField("ngày bắt đầu")
    ends_on = models.DateField("ngày kết thúc")

    school_from = "school_year"

    class Meta:
        verbose_name = "học kỳ"
        verbose_name_plural = "học kỳ"
        ordering = ["school_year_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "number"], name="org_semester_unique"),
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="org_semester_dates"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("org:schoolyear-detail", args=[self.school_year_id])

    def __str__(self) -> str:
        return f"{self.get_number_display()} {self.school_year}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.check_same_school(errors, "school_year")
        year = self.school_year if self.school_year_id else None
        if year and self.starts_on and self.ends_on:
            if self.starts_on < year.starts_on or self.ends_on > year.ends_on:
                errors["starts_on"] = "Học kỳ phải nằm trong thời gian của năm học."
            if self.ends_on <= self.starts_on:
                errors["ends_on"] = "Ngày kết thúc phải sau ngày bắt đầu."
            other = year.semesters.exclude(pk=self.pk).first() if year.pk else None
            if other and not (self.ends_on < other.starts_on or self.starts_on > other.ends_on):
                errors["starts_on"] = "Hai học kỳ không được trùng thời gian."
        if errors:
            raise ValidationError(errors)


class SchoolClass(SchoolOwned):
    """A class (lớp) of a school year and grade, with its homeroom teacher (GVCN)."""

    school_year = models.ForeignKey(
        SchoolYear, verbose_name="năm học", on_delete=models.PROTECT, related_name="classes"
    )
    grade = models.PositiveSmallIntegerField("khối")
    name = models.CharField("tên lớp", max_length=30)
    homeroom_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="giáo viên chủ nhiệm",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="homeroom_classes",
    )

    school_from = "school_year"

    class Meta:
        verbose_name = "lớp"
        verbose_name_plural = "lớp"
        ordering = ["-school_year__start_year", "grade", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "name"], name="org_class_name_unique_per_year"),
        ]
        indexes = [models.Index(fields=["school", "school_year", "grade"])]

    def get_absolute_url(self) -> str:
        return reverse("org:schoolclass-detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = nfc(self.name)
        errors: dict[str, str] = {}
        self.check_same_school(errors, "school_year")
        if self.school_id and self.grade and self.grade not in self.school.grades:
            allowed = ", ".join(str(g) for g in self.school.grades) or "không có"
            errors["grade"] = f"Trường loại {self.school.school_type} chỉ có các khối: {allowed}."
        if self.school_id and self.homeroom_teacher_id:
            ok = (
                self.homeroom_teacher.memberships.active()
                .filter(unit_id=self.school_id, role__in=[Role.TEACHER, Role.PRINCIPAL, *ADMIN_ROLES])
                .exists()
            )
            if not ok:
                errors["homeroom_teacher"] = "Giáo viên chủ nhiệm phải là giáo viên của trường."
        if errors:
            raise ValidationError(errors)


class Assessment(models.TextChoices):
    SCORED = "scored", "Đánh giá bằng điểm số"
    COMMENT = "comment", "Đánh giá bằng nhận xét"


class Subject(SchoolOwned):
    """A subject or educational activity the school teaches, scored or comment-only."""

    code = models.SlugField("mã môn", max_length=30)
    name = models.CharField("tên môn học / hoạt động", max_length=120)
    assessment = models.CharField("hình thức đánh giá", max_length=10, choices=Assessment.choices)
    is_active = models.BooleanField("đang dạy", default=True)

    school_from = None

    class Meta:
        verbose_name = "môn học"
        verbose_name_plural = "môn học"
        ordering = ["school_id", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="org_subject_code_unique")]

    def get_absolute_url(self) -> str:
        return reverse("org:subject-detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = nfc(self.name)
        if self.school_id and not self.school.is_school_level:
            raise ValidationError({"school": "Môn học thuộc về một trường hoặc trung tâm."})


class SubjectPlan(SchoolOwned):
    """The subject plan: how many periods a year a grade studies a subject in a school year."""

    school_year = models.ForeignKey(
        SchoolYear, verbose_name="năm học", on_delete=models.PROTECT, related_name="subject_plans"
    )
    grade = models.PositiveSmallIntegerField("khối")
    subject = models.ForeignKey(Subject, verbose_name="môn học", on_delete=models.PROTECT, related_name="plans")
    periods_per_year = models.PositiveSmallIntegerField("số tiết / năm")

    school_from = "school_year"

    class Meta:
        verbose_name = "kế hoạch môn học"
        verbose_name_plural = "kế hoạch môn học"
        ordering = ["-school_year__start_year", "grade", "subject__name"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "grade", "subject"], name="org_subject_plan_unique"),
            models.CheckConstraint(condition=Q(periods_per_year__gt=0), name="org_subject_plan_periods_positive"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("org:subjectplan-detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.subject} – khối {self.grade}: {self.periods_per_year} tiết"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.check_same_school(errors, "school_year", "subject")
        if self.school_id and self.grade and self.grade not in self.school.grades:
            errors["grade"] = f"Trường loại {self.school.school_type} không có khối {self.grade}."
        if self.periods_per_year is not None and not 1 <= self.periods_per_year <= 500:
            errors["periods_per_year"] = "Số tiết một năm phải từ 1 đến 500."
        if errors:
            raise ValidationError(errors)
