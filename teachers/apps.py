from django.apps import AppConfig


class TeachersConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (b): Hệ thống quản lý giáo viên."""

    name = "teachers"
    verbose_name = "Hệ thống quản lý giáo viên"

    def ready(self):
        from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role
        from sms.shell.modules import Module, register_module, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="teachers",
                letter="b",
                title="Hệ thống quản lý giáo viên",
                short_title="Giáo viên",
                roles=roles(ADMIN_ROLES, OVERSIGHT_ROLES, Role.TEACHER),
                url_name="teachers:index",
                description="Hồ sơ cán bộ, giáo viên, nhân viên; phân công chuyên môn; đánh giá, bồi dưỡng.",
                covers=(
                    "Hồ sơ cán bộ: trình độ, hạng chức danh nghề nghiệp, tổ chuyên môn",
                    "Phân công chuyên môn, giáo viên chủ nhiệm, định mức tiết dạy",
                    "Đánh giá theo chuẩn nghề nghiệp, bồi dưỡng thường xuyên",
                ),
                legal_basis="Thông tư 53/2012/TT-BGDĐT, Điều 15 khoản 1 điểm b",
                roles_note=(
                    "Lãnh đạo và quản trị trường, giáo viên (hồ sơ và phân công của mình), Sở/Phòng (quản lý đội ngũ)."
                ),
            )
        )
        from sms.seeding import register

        from .seed import seed_teachers

        register("teachers", seed_teachers, order=100)
