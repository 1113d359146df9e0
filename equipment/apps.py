from django.apps import AppConfig


class EquipmentConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (c): Hệ thống quản lý trang thiết bị."""

    name = "equipment"
    verbose_name = "Hệ thống quản lý trang thiết bị"

    def ready(self):
        from sms.accounts.roles import OVERSIGHT_ROLES, Role
        from sms.shell.modules import Module, register_module, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="equipment",
                letter="c",
                title="Hệ thống quản lý trang thiết bị",
                short_title="Thiết bị",
                roles=roles(Role.EQUIPMENT_OFFICER, Role.TEACHER, Role.PRINCIPAL, Role.SCHOOL_ADMIN, OVERSIGHT_ROLES),
                url_name="equipment:index",
                description="Danh mục thiết bị dạy học tối thiểu, sổ quản lý thiết bị, mượn trả, kiểm kê, thanh lý.",
                covers=(
                    "Danh mục thiết bị dạy học tối thiểu (Thông tư 37, 38, 39/2021)",
                    "Sổ quản lý thiết bị, phòng học bộ môn, tài sản cố định",
                    "Mượn, trả thiết bị theo tiết dạy",
                    "Kiểm kê, báo hỏng, thanh lý",
                ),
                legal_basis="Thông tư 53/2012/TT-BGDĐT, Điều 15 khoản 1 điểm c",
                roles_note=(
                    "Nhân viên thiết bị (quản lý), giáo viên (mượn thiết bị), lãnh đạo và quản trị trường, Sở/Phòng "
                    "(tổng hợp)."
                ),
            )
        )
