from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (đ): Hệ thống quản lý văn bản và điều hành."""

    name = "documents"
    verbose_name = "Hệ thống quản lý văn bản và điều hành"

    def ready(self):
        from sms.accounts.roles import OVERSIGHT_ROLES, Role
        from sms.shell.modules import Module, register_module, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="documents",
                letter="đ",
                title="Hệ thống quản lý văn bản và điều hành",
                short_title="Văn bản",
                roles=roles(Role.CLERK, Role.PRINCIPAL, Role.SCHOOL_ADMIN, OVERSIGHT_ROLES),
                url_name="documents:index",
                description=(
                    "Sổ văn bản đến, văn bản đi, xử lý và trao đổi văn bản giữa các đơn vị (Nghị định 30/2020/NĐ-CP)."
                ),
                covers=(
                    "Sổ đăng ký văn bản đến, văn bản đi; số và ký hiệu",
                    "Giao xử lý, theo dõi hạn xử lý",
                    "Trao đổi văn bản điện tử giữa Sở, Phòng và trường",
                ),
                legal_basis="Thông tư 53/2012/TT-BGDĐT, Điều 15 khoản 1 điểm đ",
                roles_note="Văn thư (quản lý sổ), lãnh đạo và quản trị trường, Sở/Phòng.",
            )
        )
