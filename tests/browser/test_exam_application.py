"""A public online application in headless Chromium, from the list of exams to the submitted
status (Circular 53/2012 Art. 14.3c, level 3–4): open the list, open the form, fill it and
attach a real PDF, submit, read the reference, look the status up by reference and date of
birth, and see "Đã nộp, chờ xét"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from exams.models import Application, ApplicationStatus, Exam, ExamKind, PointRule, Quota
from tests.world import build_world

pytestmark = pytest.mark.browser

EXAM_NAME = "Tuyển sinh lớp 6 năm học 2026-2027"


def small_pdf() -> bytes:
    """A one-page PDF with a valid cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_public_application_from_form_to_submitted_status(open_page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    now = timezone.now()
    exam = Exam.objects.create(
        unit=world.phong1,
        kind=ExamKind.INTAKE_6,
        name=EXAM_NAME,
        start_year=2026,
        choices_allowed=2,
        accepts_online=True,
        applications_open_at=now - dt.timedelta(days=1),
        applications_close_at=now + dt.timedelta(days=7),
    )
    Quota.objects.create(exam=exam, school=world.a.school, places=120)
    PointRule.objects.create(
        exam=exam, kind=PointRule.Kind.PRIORITY, code="ut3", label="Dân tộc thiểu số", points=Decimal("1")
    )
    birth_certificate = tmp_path / "giay-khai-sinh.pdf"
    birth_certificate.write_bytes(small_pdf())

    page = open_page(390, 844)  # a phone: most applicants apply from one
    page.goto("/cong/tuyen-sinh/")
    assert page.get_by_role("heading", level=1).inner_text() == "Nộp hồ sơ tuyển sinh trực tuyến"
    with page.expect_navigation():
        page.get_by_role("link", name=f"Nộp hồ sơ: {EXAM_NAME}").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Nộp hồ sơ: {EXAM_NAME}"

    page.get_by_label("Họ và tên thí sinh").fill("Nguyễn Thị Hoa")
    page.get_by_label("Ngày sinh (dd/mm/yyyy)").fill("12/03/2015")
    page.get_by_label("Giới tính").select_option("F")
    page.get_by_label("Dân tộc").select_option("Tày")
    page.get_by_label("Nơi ở hiện nay").fill("Thôn Đông, xã Đồng Tâm")
    page.get_by_label("Trường đang học").fill("Trường Tiểu học Đồng Tâm")
    page.get_by_label("Họ tên cha, mẹ hoặc người giám hộ").fill("Nguyễn Văn Bình")
    page.get_by_label("Điện thoại di động liên hệ").fill("0912 345 678")
    page.get_by_label("Nguyện vọng 1").select_option(label=world.a.school.name)
    page.get_by_label("Giấy khai sinh").set_input_files(str(birth_certificate))
    with page.expect_navigation():
        page.get_by_role("button", name="Nộp hồ sơ").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Đã nộp hồ sơ"
    reference = page.locator("#reference").inner_text().strip()
    application = Application.objects.get()
    assert reference == application.reference
    assert application.documents.get().file.read_bytes() == small_pdf()

    with page.expect_navigation():
        page.get_by_role("link", name="Tra cứu trạng thái hồ sơ").click()
    page.get_by_label("Mã hồ sơ").fill(reference.lower())
    page.get_by_label("Ngày sinh của thí sinh").fill("12/03/2015")
    with page.expect_navigation():
        page.get_by_role("button", name="Tra cứu").click()
    assert page.locator("#application-status").inner_text() == "Đã nộp, chờ xét"
    assert "giay-khai-sinh.pdf" in page.locator(".portal-result").inner_text()
    assert application.status == ApplicationStatus.SUBMITTED
