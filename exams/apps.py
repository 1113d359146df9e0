from django.apps import AppConfig


class ExamsConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (e): Hệ thống quản lý thi, tuyển sinh các cấp."""

    name = "exams"
    verbose_name = "Hệ thống quản lý thi, tuyển sinh các cấp"

    def ready(self):
        from sms.accounts.roles import OVERSIGHT_ROLES, Role
        from sms.shell.modules import Module, register_module, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="exams",
                letter="e",
                title="Hệ thống quản lý thi, tuyển sinh các cấp",
                short_title="Thi, tuyển sinh",
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
