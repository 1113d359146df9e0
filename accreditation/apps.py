from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (g): Hệ thống quản lý thông tin kiểm định chất lượng giáo dục."""

    name = "accreditation"
    verbose_name = "Hệ thống quản lý thông tin kiểm định chất lượng giáo dục"

    def ready(self):
        from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role
        from sms.shell.modules import Module, register_module, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="accreditation",
                letter="g",
                title="Hệ thống quản lý thông tin kiểm định chất lượng giáo dục",
                short_title="Kiểm định",
                roles=roles(ADMIN_ROLES, OVERSIGHT_ROLES, Role.TEACHER),
                url_name="accreditation:index",
                description=(
                    "Tự đánh giá, minh chứng, đánh giá ngoài, công nhận đạt chuẩn quốc gia (Thông tư 17, 18, 19/2018)."
                ),
                covers=(
                    "Tiêu chuẩn, tiêu chí, chỉ báo theo mức 1–4",
                    "Hội đồng tự đánh giá, báo cáo tự đánh giá, minh chứng",
                    "Đánh giá ngoài, công nhận kiểm định và đạt chuẩn quốc gia",
                ),
                legal_basis="Thông tư 53/2012/TT-BGDĐT, Điều 15 khoản 1 điểm g",
                roles_note=(
                    "Lãnh đạo và quản trị trường, giáo viên (thành viên hội đồng tự đánh giá), Sở/Phòng (đánh giá "
                    "ngoài, công nhận)."
                ),
            )
        )
