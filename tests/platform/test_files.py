"""Uploaded files: kept per unit, served only after the scoping door, checked on the way in."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.exports import xlsx
from sms.files.models import StoredFile
from sms.files.validators import UploadValidator, megabytes, store_upload, validate_upload
from tests.world import api_client, web_client

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def docx_like(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<xml/>")
    return buffer.getvalue()


def stored(side, owner, *, private=True, expires_at=None) -> StoredFile:
    return StoredFile.store(
        unit=side.school,
        uploaded_by=owner.user,
        content=PDF,
        name="Quyết định khen thưởng.pdf",
        content_type="application/pdf",
        private=private,
        expires_at=expires_at,
    )


def test_a_file_is_served_only_through_the_door(world):
    teacher = world.a.m(Role.TEACHER)
    private = stored(world.a, teacher)
    shared = stored(world.a, teacher, private=False)
    assert private.file.name.startswith(f"units/{world.a.school.pk}/")

    response = web_client(teacher).get(private.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Quy%E1%BA%BFt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]

    # A private file is its uploader's alone, admins included (login slips carry passwords);
    # a shared one is seen by all staff of the subtree.
    expectations = [
        (world.a.m("teacher2"), 404, 200),  # a colleague: shared files only
        (world.a.m(Role.STUDENT), 404, 404),  # learners: their own uploads only
        (world.a.m(Role.PRINCIPAL), 404, 200),
        (world.a.m(Role.SCHOOL_ADMIN), 404, 200),
        (world.members["phong1_admin"], 404, 200),
        (world.members["so_admin"], 404, 200),
        (world.b.m(Role.PRINCIPAL), 404, 404),
        (world.members["phong2_admin"], 404, 404),
    ]
    for membership, private_code, shared_code in expectations:
        web, api = web_client(membership), api_client(membership)
        assert web.get(private.get_absolute_url()).status_code == private_code, membership
        assert web.get(shared.get_absolute_url()).status_code == shared_code, membership
        assert api.get(f"/api/files/{private.pk}/download/").status_code == private_code, membership


def test_an_expired_file_is_gone(world):
    principal = world.a.m(Role.PRINCIPAL)
    old = stored(world.a, principal, expires_at=timezone.now() - timedelta(minutes=1))
    fresh = stored(world.a, principal, expires_at=timezone.now() + timedelta(days=1))
    web, api = web_client(principal), api_client(principal)
    assert web.get(old.get_absolute_url()).status_code == 404
    assert api.get(f"/api/files/{old.pk}/download/").status_code == 404
    assert web.get(fresh.get_absolute_url()).status_code == 200
    listed = {row["id"] for row in api.get("/api/files/").json()["results"]}
    assert listed == {fresh.pk}


def test_a_file_missing_on_disk_is_404_not_500(world):
    principal = world.a.m(Role.PRINCIPAL)
    row = stored(world.a, principal)
    row.file.delete(save=False)
    assert web_client(principal).get(row.get_absolute_url()).status_code == 404


def test_accepted_uploads_by_extension_and_content(world):
    book = xlsx.Workbook()
    book.sheet("Danh sách", ["Họ và tên"]).row(["Nguyễn Thị Hương"])
    assert validate_upload(upload("Danh sách.xlsx", book.save())).endswith("spreadsheetml.sheet")
    assert validate_upload(upload("bien-ban.PDF", PDF)) == "application/pdf"
    assert validate_upload(upload("anh.png", PNG)) == "image/png"
    assert validate_upload(upload("anh.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16)) == "image/jpeg"
    assert validate_upload(upload("to-trinh.docx", docx_like("word/document.xml"))).endswith("document")


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("Bảng điểm.pdf", PNG, "Nội dung tệp “Bảng điểm.pdf” không phải là tệp PDF hợp lệ."),
        ("to-trinh.docx", docx_like("xl/workbook.xml"), "“to-trinh.docx” không phải là tệp DOCX"),
        ("chuong-trinh.exe", b"MZ\x90\x00", "Tệp “chuong-trinh.exe” không thuộc loại được phép"),
        ("khong-duoi", PDF, "“khong-duoi” không thuộc loại được phép (chỉ nhận PDF, PNG, JPG, XLSX, DOCX)"),
        ("rong.pdf", b"", "Tệp “rong.pdf” rỗng."),
    ],
)
def test_refused_uploads_name_the_file(name, data, fragment):
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload(name, data))
    assert fragment in exc.value.messages[0]


def test_size_limit_from_settings(settings):
    settings.SMS_UPLOAD_MAX_BYTES = 1024 * 1024
    big = upload("Minh chứng.pdf", PDF + b"0" * (3 * 1024 * 1024 // 2))
    with pytest.raises(ValidationError) as exc:
        validate_upload(big)
    assert exc.value.messages == ["Tệp “Minh chứng.pdf” có dung lượng 1,5 MB, vượt quá giới hạn 1 MB."]
    validator = UploadValidator(allowed=("pdf",), max_bytes=10 * 1024 * 1024)
    validator(big)  # a field may allow more
    with pytest.raises(ValidationError):
        UploadValidator(allowed=("xlsx",))(upload("x.pdf", PDF))
    assert megabytes(20 * 1024 * 1024) == "20 MB"


def test_store_upload_keeps_the_file_under_the_actors_unit(world):
    teacher = world.a.m(Role.TEACHER)
    row = store_upload(Actor(teacher.user, teacher), upload("Giáo án.pdf", PDF, "text/html"), purpose="evidence")
    assert (row.unit, row.uploaded_by, row.content_type) == (world.a.school, teacher.user, "application/pdf")
    assert row.file.name.startswith(f"units/{world.a.school.pk}/") and row.name == "Giáo_án.pdf"
    assert row.read_bytes() == PDF
    with pytest.raises(ValidationError):
        store_upload(Actor(teacher.user, teacher), upload("Giáo án.pdf", PNG), purpose="evidence")


@pytest.mark.django_db
def test_expired_files_are_purged_from_disk_and_database(world, settings, tmp_path):
    from django.core.management import call_command

    from sms.files.models import StoredFile

    settings.MEDIA_ROOT = tmp_path
    old = StoredFile.store(
        unit=world.a.school,
        uploaded_by=None,
        content=b"slips",
        name="phieu.pdf",
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    kept = StoredFile.store(
        unit=world.a.school,
        uploaded_by=None,
        content=b"keep",
        name="giu.pdf",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    forever = StoredFile.store(unit=world.a.school, uploaded_by=None, content=b"x", name="mai.pdf")
    old_path = tmp_path / old.file.name
    assert old_path.exists()

    out = io.StringIO()
    call_command("purge_expired_files", stdout=out)
    assert "Đã xoá 1 tệp" in out.getvalue()

    assert not old_path.exists()
    assert set(StoredFile.objects.values_list("pk", flat=True)) == {kept.pk, forever.pk}
    assert (tmp_path / kept.file.name).exists()
