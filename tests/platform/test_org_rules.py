"""Pure rules of Circular 53/2012 on units: grades per school type, levels, official domains, slugs."""

from __future__ import annotations

import unicodedata

import pytest

from sms.org.rules import CENTRE_TYPES, SchoolType, ascii_slug, domain_warning, grades_for, level_of_grade

# --------------------------------------------------------------------------- grades_for


@pytest.mark.parametrize(
    ("school_type", "grades"),
    [
        (SchoolType.C0, ()),
        (SchoolType.C1, (1, 2, 3, 4, 5)),
        (SchoolType.C2, (6, 7, 8, 9)),
        (SchoolType.C3, (10, 11, 12)),
        (SchoolType.C12, (1, 2, 3, 4, 5, 6, 7, 8, 9)),
        (SchoolType.C23, (6, 7, 8, 9, 10, 11, 12)),
        (SchoolType.C123, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)),
        (SchoolType.TX, (6, 7, 8, 9, 10, 11, 12)),
        (SchoolType.TH, ()),
        (SchoolType.TN, ()),
        (SchoolType.TNT, ()),
        (SchoolType.TC, ()),
        (SchoolType.TK, ()),
    ],
)
def test_grades_for_each_school_type(school_type: str, grades: tuple[int, ...]) -> None:
    assert grades_for(school_type) == grades
    # the plain string code (as stored in the database) gives the same answer
    assert grades_for(str(school_type.value)) == grades


def test_every_school_type_has_a_grades_row() -> None:
    # 13 codes in Art. 3.4; each is answered (no silent fallthrough for a forgotten code)
    assert len(SchoolType) == 13
    taught = {t for t in SchoolType if grades_for(t)}
    assert taught == {
        SchoolType.C1,
        SchoolType.C2,
        SchoolType.C3,
        SchoolType.C12,
        SchoolType.C23,
        SchoolType.C123,
        SchoolType.TX,
    }


@pytest.mark.parametrize("school_type", ["", "C4", "c1", "XX"])
def test_grades_for_unknown_type_is_empty(school_type: str) -> None:
    assert grades_for(school_type) == ()


def test_centre_types_are_the_centres_of_art_3_4() -> None:
    assert {str(t) for t in CENTRE_TYPES} == {"TX", "TH", "TN", "TNT", "TC", "TK"}


# --------------------------------------------------------------------------- level_of_grade


@pytest.mark.parametrize(
    ("grade", "level"),
    [
        (1, "primary"),
        (3, "primary"),
        (5, "primary"),
        (6, "lower_secondary"),
        (9, "lower_secondary"),
        (10, "upper_secondary"),
        (12, "upper_secondary"),
    ],
)
def test_level_of_grade(grade: int, level: str) -> None:
    assert level_of_grade(grade) == level


@pytest.mark.parametrize("grade", [0, 13, -1, 100])
def test_level_of_grade_outside_1_to_12_is_an_error(grade: int) -> None:
    with pytest.raises(ValueError, match=str(grade)):
        level_of_grade(grade)


# --------------------------------------------------------------------------- domain_warning


@pytest.mark.parametrize(
    ("kind", "domain"),
    [
        ("so", "ninhbinh.edu.vn"),
        ("so", "ha-noi.edu.vn"),
        ("so", "  NinhBinh.Edu.Vn  "),
        ("phong", "giavien-ninhbinh.edu.vn"),
        ("phong", "badinh.edu.vn"),
        ("school", "c3tranphu-hanoi.edu.vn"),
        ("school", "C3tranphu-hanoi.edu.vn"),
        ("school", "c3tranphu.hanoi.edu.vn"),
        ("school", "c123levanthiem-hatinh.edu.vn"),
        ("school", "tran-phu.hanoi.edu.vn"),
        ("centre", "txbadinh-hanoi.edu.vn"),
        ("centre", "txbadinh.hanoi.edu.vn"),
    ],
)
def test_domain_in_a_recommended_form_gives_no_warning(kind: str, domain: str) -> None:
    assert domain_warning(kind, domain) is None


@pytest.mark.parametrize(
    ("kind", "domain", "says"),
    [
        # not under edu.vn at all: private mailboxes and commercial domains
        ("so", "gmail.com", ".edu.vn"),
        ("school", "gmail.com", ".edu.vn"),
        ("school", "truong.com.vn", ".edu.vn"),
        ("phong", "yahoo.com", ".edu.vn"),
        # not a valid host name under edu.vn
        ("so", "edu.vn", ".edu.vn"),
        ("so", "-ninhbinh.edu.vn", ".edu.vn"),
        ("school", "c3 tranphu.edu.vn", ".edu.vn"),
        ("school", "c3trần-phú.edu.vn", ".edu.vn"),
        # under edu.vn but not in the form of Art. 3
        ("school", "tranphu-hanoi.edu.vn", "C3tentruong-tentinh.edu.vn"),
        ("school", "c3tranphu.edu.vn", "C3tentruong-tentinh.edu.vn"),
        ("school", "a.b.hanoi.edu.vn", "C3tentruong-tentinh.edu.vn"),
        ("so", "a.b.ninhbinh.edu.vn", "ten-tinh.edu.vn"),
        ("so", "so.ninhbinh.edu.vn", "ten-tinh.edu.vn"),
        ("phong", "giavien.ninhbinh.edu.vn", "ten-huyen.edu.vn"),
    ],
)
def test_domain_not_in_a_recommended_form_is_warned_about(kind: str, domain: str, says: str) -> None:
    warning = domain_warning(kind, domain)
    assert warning is not None
    assert "Thông tư 53/2012" in warning
    assert says in warning


@pytest.mark.parametrize("domain", ["", "   ", None])
@pytest.mark.parametrize("kind", ["so", "phong", "school", "centre"])
def test_empty_domain_gives_no_warning(kind: str, domain: str | None) -> None:
    assert domain_warning(kind, domain) is None


# --------------------------------------------------------------------------- ascii_slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Trần Phú", "tranphu"),
        ("Lương Văn Tụy", "luongvantuy"),
        ("Đinh Tiên Hoàng", "dinhtienhoang"),
        ("đường Điện Biên", "duongdienbien"),
        ("Ninh Bình", "ninhbinh"),
        ("Gia Viễn A", "giaviena"),
        ("Trường THPT số 1", "truongthptso1"),
        ("Lê Quý Đôn - Hà Nội", "lequydonhanoi"),
        ("Nguyễn Thị Minh Khai (cơ sở 2)", "nguyenthiminhkhaicoso2"),
        ("\u0110\u1eb7ng", "dang"),  # NFC input
        (unicodedata.normalize("NFD", "Đặng Thị Ánh"), "dangthianh"),  # NFD input: same slug
        ("", ""),
        ("!!!", ""),
    ],
)
def test_ascii_slug(text: str, slug: str) -> None:
    result = ascii_slug(text)
    assert result == slug
    assert result.isascii()
