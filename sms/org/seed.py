"""Demo province: 1 Sở, 2 Phòng, schools of every common type, areas, years, classes, subjects."""

from __future__ import annotations

import datetime as dt

from sms.accounts.roles import UnitKind
from sms.seeding import SeedContext

from .models import AdministrativeArea, AreaLevel, SchoolClass, Unit
from .rules import SchoolType, ascii_slug
from .services import create_school_year, install_subject_catalogue

PROVINCE = "Ninh Bình"
PROVINCE_SLUG = "ninhbinh"
CURRENT_YEAR = 2026

# (type, name, parent: "so" | "hoalu" | "giavien", commune)
DEMO_SCHOOLS = [
    (SchoolType.C3, "Trường THPT Lương Văn Tụy", "so", "hoalu"),
    (SchoolType.C1, "Trường Tiểu học Đinh Tiên Hoàng", "hoalu", "hoalu"),
    (SchoolType.C2, "Trường THCS Trương Hán Siêu", "hoalu", "hoalu"),
    (SchoolType.C12, "Trường Tiểu học và THCS Gia Hưng", "giavien", "giahung"),
    (SchoolType.C23, "Trường THCS và THPT Đinh Bộ Lĩnh", "so", "giavien"),
    (SchoolType.TX, "Trung tâm GDNN-GDTX Gia Viễn", "so", "giavien"),
    (SchoolType.C1, "Trường Tiểu học Gia Vân", "giavien", "giavan"),
    (SchoolType.C3, "Trường THPT Gia Viễn A", "so", "giavien"),
    (SchoolType.C0, "Trường Mầm non Hoa Sen", "hoalu", "hoalu"),
]
EXTRA_TYPES = [SchoolType.C1, SchoolType.C1, SchoolType.C2, SchoolType.C2, SchoolType.C3, SchoolType.C12]
TYPE_PREFIX = {
    SchoolType.C0: "Trường Mầm non",
    SchoolType.C1: "Trường Tiểu học",
    SchoolType.C2: "Trường THCS",
    SchoolType.C3: "Trường THPT",
    SchoolType.C12: "Trường Tiểu học và THCS",
}
EXTRA_PLACE_NAMES = [
    "Ninh Giang",
    "Ninh Khang",
    "Ninh Mỹ",
    "Ninh Hải",
    "Ninh Vân",
    "Trường Yên",
    "Ninh Xuân",
    "Ninh Hòa",
    "Gia Sinh",
    "Gia Lập",
    "Gia Trấn",
    "Gia Thanh",
    "Gia Phú",
    "Gia Phong",
    "Gia Thịnh",
    "Liên Sơn",
]


def school_code(school_type: str, name: str) -> str:
    """Art. 8-style short code: type + school name without diacritics ("C3luongvantuy")."""
    base = name
    prefixes = [*TYPE_PREFIX.values(), "Trường THCS và THPT", "Trung tâm GDNN-GDTX"]
    for prefix in sorted(prefixes, key=len, reverse=True):
        if base.startswith(prefix + " "):
            base = base[len(prefix) + 1 :]
            break
    return f"{school_type}{ascii_slug(base)}"


def seed_org(ctx: SeedContext) -> None:
    so = Unit.objects.create(
        kind=UnitKind.SO,
        code="SO-NB",
        name=f"Sở Giáo dục và Đào tạo tỉnh {PROVINCE}",
        edu_domain=f"{PROVINCE_SLUG}.edu.vn",
        email=f"sogd@{PROVINCE_SLUG}.edu.vn",
        address=f"Phường Hoa Lư, tỉnh {PROVINCE}",
    )
    province = AdministrativeArea.objects.create(code="37", name=f"Tỉnh {PROVINCE}", level=AreaLevel.PROVINCE, owner=so)
    old_district = AdministrativeArea.objects.create(
        code="37-GV",
        name="Huyện Gia Viễn",
        level=AreaLevel.DISTRICT,
        parent=province,
        owner=so,
        valid_to=dt.date(2025, 7, 1),
    )
    communes = {}
    for key, code, name in [
        ("hoalu", "37-14359", "Phường Hoa Lư"),
        ("giavien", "37-14413", "Xã Gia Viễn"),
        ("giahung", "37-14422", "Xã Gia Hưng"),
        ("giavan", "37-14440", "Xã Gia Vân"),
    ]:
        communes[key] = AdministrativeArea.objects.create(
            code=code, name=name, level=AreaLevel.COMMUNE, parent=province, owner=so, valid_from=dt.date(2025, 7, 1)
        )
        for n in (1, 2, 3):
            AdministrativeArea.objects.create(
                code=f"{code}-{n:02d}",
                name=f"Thôn {n}",
                level=AreaLevel.VILLAGE,
                parent=communes[key],
                owner=so,
                valid_from=dt.date(2025, 7, 1),
            )
    # A commune of the abolished district, merged into Xã Gia Viễn on 1 July 2025.
    AdministrativeArea.objects.create(
        code="37-14410",
        name="Xã Gia Phương",
        level=AreaLevel.COMMUNE,
        parent=old_district,
        owner=so,
        valid_to=dt.date(2025, 7, 1),
        successor=communes["giavien"],
    )
    so.area = province
    so.save()
    phong = {
        "hoalu": Unit.objects.create(
            kind=UnitKind.PHONG,
            code="PGD-HL",
            name="Phòng Giáo dục và Đào tạo Hoa Lư",
            parent=so,
            edu_domain=f"hoalu-{PROVINCE_SLUG}.edu.vn",
            area=communes["hoalu"],
        ),
        "giavien": Unit.objects.create(
            kind=UnitKind.PHONG,
            code="PGD-GV",
            name="Phòng Giáo dục và Đào tạo Gia Viễn",
            parent=so,
            edu_domain=f"giavien-{PROVINCE_SLUG}.edu.vn",
            area=communes["giavien"],
        ),
    }
    parents = {"so": so, **phong}

    specs = list(DEMO_SCHOOLS[: max(ctx.schools, 0)])
    for i in range(len(specs), ctx.schools):
        school_type = EXTRA_TYPES[i % len(EXTRA_TYPES)]
        place = EXTRA_PLACE_NAMES[i % len(EXTRA_PLACE_NAMES)]
        number = i // len(EXTRA_PLACE_NAMES) + 1
        parent = "so" if school_type == SchoolType.C3 else ("hoalu" if i % 2 else "giavien")
        specs.append(
            (school_type, f"{TYPE_PREFIX[school_type]} {place} số {number}", parent, "hoalu" if i % 2 else "giavien")
        )

    schools = []
    for school_type, name, parent_key, commune in specs:
        code = school_code(school_type, name)
        school = Unit.objects.create(
            kind=UnitKind.CENTRE if school_type == SchoolType.TX else UnitKind.SCHOOL,
            school_type=school_type,
            code=code,
            name=name,
            parent=parents[parent_key],
            area=communes[commune],
            edu_domain=f"{code.lower()}.{PROVINCE_SLUG}.edu.vn",
            email=f"{code.lower()}@{PROVINCE_SLUG}.edu.vn",
        )
        schools.append(school)
        if not school.grades:
            continue
        previous = create_school_year(school, CURRENT_YEAR - 1)
        previous.is_closed = True
        previous.save()
        year = create_school_year(school, CURRENT_YEAR, make_current=True)
        install_subject_catalogue(school, year)
        letter = "A" if school.grades[0] >= 6 else ""
        SchoolClass.objects.bulk_create(
            SchoolClass(school=school, school_year=year, grade=grade, name=f"{grade}{letter}{n}")
            for grade in school.grades
            for n in range(1, ctx.classes_per_grade + 1)
        )
    ctx.data.update(so=so, phong=list(phong.values()), schools=schools, areas=communes)
