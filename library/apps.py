from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (d): Hệ thống quản lý thư viện điện tử."""

    name = "library"
    verbose_name = "Hệ thống quản lý thư viện điện tử"

    def ready(self):
        from sms.accounts.roles import OVERSIGHT_ROLES, Role
        from sms.shell.modules import Module, register_module, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="library",
                letter="d",
                title="Hệ thống quản lý thư viện điện tử",
                short_title="Thư viện",
                roles=roles(
                    Role.LIBRARIAN, Role.TEACHER, Role.STUDENT, Role.PRINCIPAL, Role.SCHOOL_ADMIN, OVERSIGHT_ROLES
                ),
                url_name="library:index",
                description="Biên mục, bản sách, mượn trả, bạn đọc và tài nguyên điện tử của thư viện trường.",
                covers=(
                    "Biên mục tài liệu, đăng ký cá biệt",
                    "Mượn, trả, gia hạn; bạn đọc là học sinh và giáo viên",
                    "Tài nguyên số, học liệu điện tử",
                    "Thống kê, báo cáo thư viện",
                ),
                legal_basis="Thông tư 53/2012/TT-BGDĐT, Điều 15 khoản 1 điểm d",
                roles_note=(
                    "Nhân viên thư viện (quản lý), giáo viên và học sinh (bạn đọc), lãnh đạo và quản trị trường, "
                    "Sở/Phòng."
                ),
            )
        )
