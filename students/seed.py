"""Demo data of module (a), learner records: for each school and centre with grades, learners
in every class of the current year (with last year's class in grade − 1 where the school
teaches it), their parents, a few summer transfers between schools of the Sở, a few
drop-outs, and exemptions (physical education for health, an individual plan). The demo
student and parent accounts of each school (``hs.<school>`` / ``ph.<school>``) are linked to
the first learner of the school's first class and to that learner's parent.

``--students`` of ``seed_demo`` is the number of learners in the whole province; it is spread
evenly over the current year's classes (at least 1 and at most 45 a class). Everything is
written with ``bulk_create`` (no history rows for demo data) and is the same for the same seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sms.accounts.models import User
from sms.accounts.seed import unit_slug
from sms.names import MIDDLE_FEMALE, MIDDLE_MALE, person_name
from sms.org.models import AdministrativeArea, AreaLevel, SchoolClass, SchoolYear, Subject
from sms.org.seed import CURRENT_YEAR
from sms.seeding import SeedContext
from sms.text import nfc, search_key, sort_key

from .models import (
    Enrolment,
    Exemption,
    ExemptionKind,
    Guardian,
    MovementKind,
    Relation,
    Sex,
    Student,
    StudentMovement,
    StudentStatus,
)

ETHNIC = [("Kinh", 88), ("Mường", 7), ("Tày", 1), ("Thái", 1), ("Dao", 1), ("Hoa", 1), ("Nùng", 1)]
BIRTHPLACES = [("Ninh Bình", 85), ("Hà Nội", 5), ("Nam Định", 4), ("Thanh Hóa", 3), ("Hà Nam", 3)]
STREETS = ["đường Trần Hưng Đạo", "đường Lê Thái Tổ", "đường Đinh Tiên Hoàng", "đường Lương Văn Tụy", "phố Vạn Hạnh"]
OCCUPATIONS = ["Nông dân", "Công nhân", "Kinh doanh", "Giáo viên", "Công chức", "Lao động tự do", "Nội trợ", "Bác sĩ"]
HEALTH = [
    "Sức khoẻ: bệnh tim bẩm sinh, theo chỉ định của bác sĩ.",
    "Sức khoẻ: hen phế quản, có giấy xác nhận của bệnh viện.",
    "Sức khoẻ: chấn thương chi dưới, đang điều trị.",
]
TRANSFER_RATE = 0.01
DROP_RATE = 0.005
EXEMPT_RATE = 0.01
IEP_RATE = 0.003


def _weighted(rng: random.Random, table) -> str:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


def _phone(rng: random.Random) -> str:
    return "0" + rng.choice("389") + "".join(rng.choice("0123456789") for _ in range(8))


def _is_female(name: str) -> bool:
    parts = name.split()
    middle = parts[1] if len(parts) > 2 else ""
    return middle in MIDDLE_FEMALE and middle not in MIDDLE_MALE


def _prev_class_name(name: str, grade: int) -> str:
    """``7A1`` → ``6A1``: the same class a year earlier."""
    return f"{grade - 1}{name[len(str(grade)) :]}"


def seed_students(ctx: SeedContext) -> None:
    rng = random.Random(f"students-{ctx.seed}")  # its own stream: the same whatever ran before
    schools = [s for s in ctx.data.get("schools", []) if s.grades]
    if not schools:
        return
    school_ids = [s.pk for s in schools]
    by_id = {s.pk: s for s in schools}
    years = {(y.school_id, y.start_year): y for y in SchoolYear.objects.filter(school_id__in=school_ids)}
    classes = list(
        SchoolClass.objects.filter(school_id__in=school_ids, school_year__start_year=CURRENT_YEAR).order_by(
            "school_id", "grade", "name"
        )
    )
    if not classes:
        return
    per_class = max(1, min(45, round(ctx.students / len(classes))))

    # Last year's classes (grade − 1 of each class, same name pattern), made if missing.
    previous: dict[tuple[int, str], SchoolClass] = {
        (c.school_id, c.name): c
        for c in SchoolClass.objects.filter(school_id__in=school_ids, school_year__start_year=CURRENT_YEAR - 1)
    }
    missing = []
    for klass in classes:
        school = by_id[klass.school_id]
        last_year = years.get((school.pk, CURRENT_YEAR - 1))
        if last_year is None or klass.grade - 1 not in school.grades:
            continue
        name = _prev_class_name(klass.name, klass.grade)
        if (school.pk, name) not in previous:
            made = SchoolClass(school=school, school_year=last_year, grade=klass.grade - 1, name=name)
            previous[(school.pk, name)] = made
            missing.append(made)
    SchoolClass.objects.bulk_create(missing, batch_size=1000)

    # Where learners live: the villages (else the commune) of the school's commune.
    villages: dict[int, list] = defaultdict(list)
    for area in AdministrativeArea.objects.filter(level=AreaLevel.VILLAGE, valid_to__isnull=True).order_by("code"):
        villages[area.parent_id].append(area)
    demo_users = {
        u.username: u
        for u in User.objects.filter(username__in=[f"{p}.{unit_slug(s)}" for s in schools for p in ("hs", "ph")])
    }

    students: list[Student] = []
    plans: list[dict] = []  # per learner: what to write once the record has its id
    serial = 0
    first_class_of: dict[int, int] = {}
    for klass in classes:
        school = by_id[klass.school_id]
        first_class_of.setdefault(school.pk, klass.pk)
        year = years[(school.pk, CURRENT_YEAR)]
        prev_name = _prev_class_name(klass.name, klass.grade)
        prev_class = previous.get((school.pk, prev_name))
        homes = villages.get(school.area_id) or ([school.area] if school.area_id else [None])
        for index in range(per_class):
            serial += 1
            demo = index == 0 and first_class_of[school.pk] == klass.pk
            student_user = demo_users.get(f"hs.{unit_slug(school)}") if demo else None
            if student_user is not None:
                name, female = student_user.full_name, _is_female(student_user.full_name)
            else:
                name, female = person_name(rng)
            born = dt.date(year.start_year - 5 - klass.grade, rng.randint(1, 12), rng.randint(1, 28))
            area = rng.choice(homes)
            address = (
                f"Số {rng.randint(1, 250)}, {rng.choice(STREETS)}"
                if rng.random() < 0.4
                else f"Xóm {rng.randint(1, 12)}"
            )
            student = Student(
                school=school,
                user=student_user,
                learner_code=f"37{serial:08d}",
                # số đăng bộ: the school's register line and the year of entry (no draw: the seed stays the same)
                register_number=f"{serial % 10000:04d}/{year.start_year}",
                personal_id=f"037{3 if female else 2}{born.year % 100:02d}{serial:06d}",
                full_name=nfc(name),
                birth_date=born,
                sex=Sex.FEMALE if female else Sex.MALE,
                ethnicity=_weighted(rng, ETHNIC),
                birthplace=nfc(_weighted(rng, BIRTHPLACES)),
                address_area=area,
                address=nfc(address),
                sort_key=sort_key(name),
            )
            student.search_key = search_key(f"{student.full_name} {student.learner_code}")
            plan = {"class": klass, "year": year, "prev_class": prev_class, "demo": demo, "from_school": None}
            # A summer transfer: last year at another school of the Sở teaching grade − 1.
            if not demo and prev_class is not None and rng.random() < TRANSFER_RATE:
                others = [
                    s
                    for s in schools
                    if s.pk != school.pk and (s.pk, prev_name) in previous and (s.pk, CURRENT_YEAR - 1) in years
                ]
                if others:
                    plan["from_school"] = rng.choice(others)
            if not demo and plan["from_school"] is None and klass.grade >= 6 and rng.random() < DROP_RATE:
                student.status = StudentStatus.DROPPED
                student.status_changed_on = dt.date(CURRENT_YEAR, 11, 2)
            if rng.random() < IEP_RATE:
                student.disability_note = "Khuyết tật học tập; đánh giá theo kế hoạch giáo dục cá nhân."
                plan["iep"] = True
            elif rng.random() < EXEMPT_RATE:
                plan["exempt"] = rng.choice(HEALTH)
            plan["parents"] = _parents(rng, name, born, demo_users.get(f"ph.{unit_slug(school)}") if demo else None)
            students.append(student)
            plans.append(plan)
    Student.objects.bulk_create(students, batch_size=1000)

    subjects = {
        (s.school_id, s.code): s for s in Subject.objects.filter(school_id__in=school_ids, code__in=["gdtc", "toan"])
    }
    guardians, enrolments, movements, exemptions = [], [], [], []
    for student, plan in zip(students, plans, strict=True):
        klass, year, prev_class = plan["class"], plan["year"], plan["prev_class"]
        for relation, name, birth_year, phone, occupation, user in plan["parents"]:
            guardians.append(
                Guardian(
                    student=student,
                    relation=relation,
                    full_name=name,
                    birth_year=birth_year,
                    phone=phone,
                    occupation=occupation,
                    user=user,
                )
            )
        dropped = student.status == StudentStatus.DROPPED
        current = Enrolment(
            school_id=klass.school_id,
            student=student,
            school_year=year,
            school_class=klass,
            enrolled_on=year.starts_on,
            left_on=student.status_changed_on if dropped else None,
        )
        enrolments.append(current)
        if dropped:
            movements.append(
                StudentMovement(
                    school_id=klass.school_id,
                    student=student,
                    kind=MovementKind.DROP_OUT,
                    effective_on=student.status_changed_on,
                    reason="Hoàn cảnh gia đình khó khăn, gia đình xin cho nghỉ học.",
                )
            )
        from_school = plan["from_school"]
        if prev_class is not None:
            if from_school is not None:
                prev_class = previous[(from_school.pk, prev_class.name)]
            last_year = years[(prev_class.school_id, CURRENT_YEAR - 1)]
            moved_on = dt.date(CURRENT_YEAR, 7, 20)
            enrolments.append(
                Enrolment(
                    school_id=prev_class.school_id,
                    student=student,
                    school_year=last_year,
                    school_class=prev_class,
                    enrolled_on=last_year.starts_on,
                    left_on=moved_on if from_school is not None else None,
                )
            )
            if from_school is not None:
                movements.append(
                    StudentMovement(
                        school=from_school,
                        student=student,
                        kind=MovementKind.TRANSFER,
                        to_school_id=klass.school_id,
                        effective_on=moved_on,
                        reason="Gia đình chuyển nơi cư trú.",
                    )
                )
        if plan.get("exempt") and (klass.school_id, "gdtc") in subjects:
            exemptions.append((current, subjects[(klass.school_id, "gdtc")], ExemptionKind.EXEMPT, plan["exempt"]))
        if plan.get("iep") and (klass.school_id, "toan") in subjects:
            exemptions.append(
                (
                    current,
                    subjects[(klass.school_id, "toan")],
                    ExemptionKind.INDIVIDUAL_PLAN,
                    "Học sinh khuyết tật học tập, đánh giá theo kế hoạch giáo dục cá nhân.",
                )
            )
    Guardian.objects.bulk_create(guardians, batch_size=2000)
    Enrolment.objects.bulk_create(enrolments, batch_size=2000)
    StudentMovement.objects.bulk_create(movements, batch_size=1000)
    Exemption.objects.bulk_create(
        (
            Exemption(school_id=e.school_id, enrolment=e, subject=subject, kind=kind, reason=reason)
            for e, subject, kind, reason in exemptions
        ),
        batch_size=1000,
    )
    ctx.data["students_per_class"] = per_class


def _parents(rng: random.Random, child: str, born: dt.date, demo_parent) -> list[tuple]:
    """(relation, name, birth year, phone, occupation, account) of the learner's parents: the
    father shares the learner's family name; both parents for most, one for some."""
    family = child.split()[0]
    roll = rng.random()
    wanted = (
        [Relation.FATHER, Relation.MOTHER] if roll < 0.85 else ([Relation.MOTHER] if roll < 0.95 else [Relation.FATHER])
    )
    parents = []
    for relation in wanted:
        female = relation == Relation.MOTHER
        name, _ = person_name(rng, female)
        if not female:
            name = " ".join([family, *name.split()[1:]])
        parents.append(
            [relation, nfc(name), born.year - rng.randint(24, 40), _phone(rng), rng.choice(OCCUPATIONS), None]
        )
    if demo_parent is not None:
        relation = Relation.MOTHER if _is_female(demo_parent.full_name) else Relation.FATHER
        slot = next((p for p in parents if p[0] == relation), None)
        if slot is None:
            slot = [relation, "", born.year - 30, _phone(rng), rng.choice(OCCUPATIONS), None]
            parents.append(slot)
        slot[1], slot[5] = demo_parent.full_name, demo_parent
    return [tuple(p) for p in parents]
