"""Demo data of module (b): subject groups, a staff record for every teacher and principal
account, teaching assignments of the current year (every class × subject plan, both
semesters), last year's decided evaluations (Thông tư 20/2018) and BDTX plans."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from sms.accounts.models import Membership
from sms.accounts.roles import Role
from sms.names import MIDDLE_FEMALE, MIDDLE_MALE
from sms.org.models import SchoolClass, SchoolYear, Semester, Subject, SubjectPlan
from sms.org.seed import CURRENT_YEAR
from sms.seeding import SeedContext
from sms.text import search_key, sort_key

from . import rules
from .catalogue import PRESCHOOL, RANKS
from .models import (
    CriterionRating,
    Evaluation,
    EvaluationStage,
    Position,
    QualificationLevel,
    Rating,
    Sex,
    StaffRecord,
    SubjectGroup,
    TeachingAssignment,
    TrainingPlan,
)

#: subject group (tổ chuyên môn) of each subject code of the 2018 programme
GROUPS: dict[str, tuple[str, ...]] = {
    "Tổ Toán – Tin học": ("toan", "tin-hoc", "tin-hoc-cong-nghe", "cong-nghe"),
    "Tổ Ngữ văn – Ngoại ngữ": ("ngu-van", "tieng-viet", "ngoai-ngu-1"),
    "Tổ Khoa học tự nhiên": ("khtn", "vat-li", "hoa-hoc", "sinh-hoc", "khoa-hoc", "tnxh"),
    "Tổ Khoa học xã hội": ("ls-dl", "lich-su", "dia-li", "gdcd", "gdktpl", "ls-dl-tieu-hoc", "dao-duc", "gddp"),
    "Tổ Thể dục – Nghệ thuật": ("gdtc", "nghe-thuat", "gdqp", "hdtn"),
}
GROUP_OF = {code: name for name, codes in GROUPS.items() for code in codes}
FIELDS = {
    "Tổ Toán – Tin học": "Sư phạm Toán học",
    "Tổ Ngữ văn – Ngoại ngữ": "Sư phạm Ngữ văn",
    "Tổ Khoa học tự nhiên": "Sư phạm Vật lí",
    "Tổ Khoa học xã hội": "Sư phạm Lịch sử",
    "Tổ Thể dục – Nghệ thuật": "Giáo dục thể chất",
}
RATINGS = [Rating.NOT_MET, Rating.MET, Rating.FAIR, Rating.GOOD]


def _sex_of(name: str, rng) -> str:
    parts = name.split()
    middle = parts[1] if len(parts) > 2 else ""
    female, male = middle in MIDDLE_FEMALE, middle in MIDDLE_MALE
    if female != male:
        return Sex.FEMALE if female else Sex.MALE
    return Sex.FEMALE if rng.random() < 0.6 else Sex.MALE


def _level_of(school) -> str:
    return rules.level_of_grade(school.grades[0]) if school.grades else PRESCHOOL


def seed_teachers(ctx: SeedContext) -> None:
    rng = ctx.random
    schools = [s for s in ctx.data.get("schools", []) if s.grades]
    if not schools:
        return
    school_ids = [s.pk for s in schools]
    years = {(y.school_id, y.start_year): y for y in SchoolYear.objects.filter(school_id__in=school_ids)}
    members = (
        Membership.objects.filter(unit_id__in=school_ids, role__in=[Role.TEACHER, Role.PRINCIPAL], is_active=True)
        .select_related("user")
        .order_by("unit_id", "user__username")
    )
    people: dict[int, dict[int, tuple]] = defaultdict(dict)  # school → user id → (user, position)
    for m in members:
        position = Position.PRINCIPAL if m.role == Role.PRINCIPAL else Position.TEACHER
        current = people[m.unit_id].get(m.user_id)
        if current is None or position == Position.PRINCIPAL:
            people[m.unit_id][m.user_id] = (m.user, position)

    # Subject groups
    groups = SubjectGroup.objects.bulk_create(
        SubjectGroup(school=school, name=name) for school in schools for name in GROUPS
    )
    group_by = {(g.school_id, g.name): g for g in groups}

    # Staff records
    serial = 0
    records: list[StaffRecord] = []
    for school in schools:
        level = _level_of(school)
        ranks = [code for code, lvl, _ in RANKS if lvl == level]
        teacher_no = 0
        for user, position in people[school.pk].values():
            serial += 1
            sex = _sex_of(user.full_name, rng)
            birth = dt.date(rng.randint(1970, 1998), rng.randint(1, 12), rng.randint(1, 28))
            group_name = None
            if position == Position.TEACHER:
                group_name = list(GROUPS)[teacher_no % len(GROUPS)]
                teacher_no += 1
            century = (0 if birth.year < 2000 else 2) + (1 if sex == Sex.FEMALE else 0)
            records.append(
                StaffRecord(
                    school=school,
                    user=user,
                    staff_code=f"GV{serial:04d}" if position == Position.TEACHER else f"CB{serial:04d}",
                    full_name=user.full_name,
                    birth_date=birth,
                    sex=sex,
                    ethnicity="Kinh" if rng.random() < 0.9 else "Mường",
                    personal_id=f"037{century}{birth.year % 100:02d}{serial:06d}",
                    email=user.email,
                    position=position,
                    subject_group=group_by[(school.pk, group_name)] if group_name else None,
                    qualification_level=rng.choices(
                        [QualificationLevel.BACHELOR, QualificationLevel.MASTER, QualificationLevel.COLLEGE],
                        weights=[75, 20, 5],
                    )[0],
                    qualification_field=FIELDS.get(group_name, "Quản lý giáo dục"),
                    rank_code=rng.choices(ranks, weights=[1, 4, 3])[0] if position == Position.TEACHER else ranks[0],
                    started_on=dt.date(birth.year + rng.randint(22, 25), 9, 5),
                    search_key=search_key(user.full_name),
                    sort_key=sort_key(user.full_name),
                )
            )
    records = StaffRecord.objects.bulk_create(records, batch_size=1000)
    leaders = []
    by_group: dict[int, list[StaffRecord]] = defaultdict(list)
    for record in records:
        if record.subject_group_id:
            by_group[record.subject_group_id].append(record)
    for group in groups:
        if by_group[group.pk]:
            group.leader = by_group[group.pk][0]
            leaders.append(group)
    SubjectGroup.objects.bulk_update(leaders, ["leader"], batch_size=1000)
    subjects = list(Subject.objects.filter(school_id__in=school_ids))
    SubjectGroup.subjects.through.objects.bulk_create(
        SubjectGroup.subjects.through(subjectgroup_id=group_by[(s.school_id, GROUP_OF[s.code])].pk, subject_id=s.pk)
        for s in subjects
        if s.code in GROUP_OF
    )

    # Assignments: every class × subject plan of the current year, both semesters; each plan
    # goes to the least-loaded teacher of the subject's group (any teacher if the group has none).
    teachers_of: dict[int, list[StaffRecord]] = defaultdict(list)
    for record in records:
        if record.position == Position.TEACHER:
            teachers_of[record.school_id].append(record)
    group_name_of = {g.pk: g.name for g in groups}
    subject_code = {s.pk: s.code for s in subjects}
    plans_by: dict[tuple[int, int], list[SubjectPlan]] = defaultdict(list)
    for plan in SubjectPlan.objects.filter(school_year__is_current=True, school_id__in=school_ids):
        plans_by[(plan.school_year_id, plan.grade)].append(plan)
    semesters_by: dict[int, list[Semester]] = defaultdict(list)
    for semester in Semester.objects.filter(school_year__is_current=True, school_id__in=school_ids):
        semesters_by[semester.school_year_id].append(semester)
    assignments: list[TeachingAssignment] = []
    taught: set[tuple[int, int]] = set()
    classes = SchoolClass.objects.filter(school_year__is_current=True, school_id__in=school_ids).order_by(
        "school_id", "grade", "name"
    )
    load: dict[int, Decimal] = defaultdict(Decimal)
    for klass in classes:
        staff = teachers_of.get(klass.school_id)
        if not staff:
            continue
        for plan in sorted(plans_by[(klass.school_year_id, klass.grade)], key=lambda p: -p.periods_per_year):
            wanted = GROUP_OF.get(subject_code[plan.subject_id])
            pool = [t for t in staff if group_name_of.get(t.subject_group_id) == wanted] or staff
            teacher = min(pool, key=lambda t: (load[t.pk], t.pk))
            load[teacher.pk] += rules.weekly_periods(plan.periods_per_year)
            taught.add((teacher.pk, plan.subject_id))
            for semester in semesters_by[klass.school_year_id]:
                assignments.append(
                    TeachingAssignment(
                        school_id=klass.school_id,
                        semester=semester,
                        school_class=klass,
                        subject_id=plan.subject_id,
                        teacher=teacher,
                    )
                )
    TeachingAssignment.objects.bulk_create(assignments, batch_size=2000)
    StaffRecord.subjects.through.objects.bulk_create(
        StaffRecord.subjects.through(staffrecord_id=t, subject_id=s) for t, s in sorted(taught)
    )

    # Last year's evaluations, decided by the principal; BDTX plans of last and this year.
    principals = {r.school_id: r.user for r in records if r.position == Position.PRINCIPAL}
    evaluations, ratings_of = [], []
    plans = []
    decided_at = timezone.make_aware(dt.datetime(2026, 5, 25, 9, 0))
    for record in records:
        if record.position != Position.TEACHER:
            continue
        last = years.get((record.school_id, CURRENT_YEAR - 1))
        current = years.get((record.school_id, CURRENT_YEAR))
        if last is not None:
            base = rng.choices([3, 2, 1], weights=[45, 45, 10])[0]
            ratings = {}
            for criterion in range(1, 16):
                step = base + rng.choice([-1, 0, 0, 0, 1])
                if rng.random() < 0.02:
                    step = 0
                ratings[criterion] = RATINGS[max(0, min(3, step))]
            level = rules.overall_level(ratings)
            self_ratings = {c: RATINGS[min(3, RATINGS.index(r) + (rng.random() < 0.2))] for c, r in ratings.items()}
            evaluations.append(
                Evaluation(
                    school_id=record.school_id,
                    school_year=last,
                    staff=record,
                    stage=EvaluationStage.DECIDED,
                    self_level=rules.overall_level(self_ratings),
                    group_comment="Tổ chuyên môn thống nhất với kết quả tự đánh giá, có điều chỉnh một số tiêu chí.",
                    group_level=level,
                    final_level=level,
                    principal_comment="Hoàn thành tốt nhiệm vụ năm học." if level == Rating.GOOD else "",
                    decided_by=principals.get(record.school_id),
                    decided_at=decided_at,
                )
            )
            ratings_of.append((self_ratings, ratings))
            scores = [Decimal(rng.randint(55, 100)) / 10 for _ in range(3)]
            if rng.random() < 0.05:
                scores[2] = Decimal("4.5")
            plans.append(
                TrainingPlan(
                    school_id=record.school_id,
                    school_year=last,
                    staff=record,
                    content3_modules="GVPT 01, GVPT 02, GVPT 05",
                    submitted_on=dt.date(last.start_year, 5, rng.randint(10, 30)),
                    score1=scores[0],
                    score2=scores[1],
                    score3=scores[2],
                )
            )
        if current is not None:
            plans.append(
                TrainingPlan(
                    school_id=record.school_id,
                    school_year=current,
                    staff=record,
                    content3_modules="GVPT 03, GVPT 08, GVPT 12",
                    submitted_on=dt.date(current.start_year, 5, rng.randint(10, 30)),
                )
            )
    evaluations = Evaluation.objects.bulk_create(evaluations, batch_size=1000)
    CriterionRating.objects.bulk_create(
        (
            CriterionRating(
                school_id=ev.school_id,
                evaluation=ev,
                criterion=c,
                self_rating=self_ratings[c],
                group_rating=final[c],
                final_rating=final[c],
                evidence_note="Kế hoạch bài dạy, biên bản dự giờ, kết quả học tập của học sinh.",
            )
            for ev, (self_ratings, final) in zip(evaluations, ratings_of, strict=True)
            for c in range(1, 16)
        ),
        batch_size=2000,
    )
    TrainingPlan.objects.bulk_create(plans, batch_size=1000)
