from django.apps import AppConfig


class ExamsConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (e): Hệ thống quản lý thi, tuyển sinh các cấp."""

    name = "exams"
    verbose_name = "Hệ thống quản lý thi, tuyển sinh các cấp"

    def ready(self):
        from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, STAFF_ROLES, Role
        from sms.seeding import register, register_login_notes, register_public_notes
        from sms.shell.modules import Module, ModulePage, register_module, register_page, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="exams",
                letter="e",
                title="Hệ thống quản lý thi, tuyển sinh các cấp",
                short_title="Thi, tuyển sinh",
                # board seats (coi thi, chấm thi) go to teachers; "my board" also opens by its URL for others
                roles=roles(
                    OVERSIGHT_ROLES, Role.PRINCIPAL, Role.SCHOOL_ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT
                ),
                url_name="exams:index",
                description=(
                    "Tuyển sinh đầu cấp và lớp 10, thi học sinh giỏi, thi nghề, phòng thi, chấm thi, kết quả và văn "
                    "bằng."
                ),
                covers=(
                    "Tuyển sinh lớp 1, lớp 6 và lớp 10 (Thông tư 30/2024)",
                    "Thi học sinh giỏi, thi nghề phổ thông",
                    "Phòng thi, số báo danh, chấm thi, phúc khảo",
                    "Kết quả thi, văn bằng, tra cứu",
                ),
                legal_basis="Thông tư 53/2012/TT-BGDĐT, Điều 15 khoản 1 điểm e",
                roles_note=(
                    "Sở/Phòng (tổ chức thi), lãnh đạo và quản trị trường, giáo viên (coi, chấm thi), học sinh và cha "
                    "mẹ (đăng ký, xem kết quả)."
                ),
            )
        )

        # the setup area's pages on the module's landing page (views register the exam's own pages)
        register_page(
            "exams",
            ModulePage(
                "Kỳ thi",
                "exams:exam-list",
                roles(ADMIN_ROLES, OVERSIGHT_ROLES, Role.TEACHER),
                "Các kỳ thi, tuyển sinh của đơn vị và cấp trên: môn thi, lịch thi, hội đồng thi, điểm ưu tiên.",
            ),
        )
        register_page(
            "exams",
            ModulePage(
                "Việc của tôi trong hội đồng thi",
                "exams:my-board",
                frozenset(STAFF_ROLES),
                "Các kỳ thi bạn được phân công (chủ tịch, thư ký, chấm thi, coi thi), ở bất kỳ đơn vị nào.",
            ),
        )
        register("exams", _seed_exams, order=300)
        register("exams-diplomas", _seed_diplomas, order=310)
        register_login_notes(_board_logins)
        register_public_notes(_public_lookup_notes)


def _seed_diplomas(ctx) -> None:
    """Issuers, last year's THCS graduates and their register, this year's first graduation round."""
    from .seed_diplomas import seed_diplomas

    seed_diplomas(ctx)


def _seed_exams(ctx) -> None:
    """The demo exams: the Sở's grade-10 admission with its board, a Phòng's grade-6 intake
    taking online applications now, a school's gifted-student competition."""
    from .seed import seed_exams

    seed_exams(ctx)


def _board_logins() -> list[tuple[str, str, str]]:
    from .seed import board_logins

    return board_logins()


def _public_lookup_notes() -> list[tuple[str, str]]:
    """One diploma of the demo register the public diploma lookup finds."""
    from .models import Diploma

    diploma = Diploma.objects.order_by("pk").first()
    if diploma is None:
        return []
    return [
        (
            "/cong/van-bang/tra-cuu/",
            f"văn bằng: số hiệu {diploma.serial}, hoặc {diploma.full_name} + ngày sinh {diploma.birth_date:%d/%m/%Y}",
        )
    ]
