from django.apps import AppConfig


class LiteracyConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (h): Hệ thống quản lý phổ cập giáo dục và chống mù chữ."""

    name = "literacy"
    verbose_name = "Hệ thống quản lý phổ cập giáo dục và chống mù chữ"

    def ready(self):
        from sms.accounts.roles import OVERSIGHT_ROLES, Role
        from sms.org.rules import SchoolType
        from sms.shell.modules import Module, register_module, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="literacy",
                letter="h",
                title="Hệ thống quản lý phổ cập giáo dục và chống mù chữ",
                short_title="Phổ cập, xóa mù chữ",
                roles=roles(OVERSIGHT_ROLES, Role.PRINCIPAL, Role.SCHOOL_ADMIN),
                url_name="literacy:index",
                description=(
                    "Điều tra hộ gia đình theo thôn, xã; tiêu chuẩn phổ cập giáo dục, xóa mù chữ; hồ sơ công nhận "
                    "(Nghị định 20/2014)."
                ),
                covers=(
                    "Phiếu điều tra hộ gia đình và từng người theo địa bàn",
                    "Tính mức đạt phổ cập giáo dục mầm non, tiểu học, THCS và xóa mù chữ",
                    "Hồ sơ đề nghị công nhận, báo cáo lên hệ thống quốc gia",
                ),
                legal_basis="Thông tư 53/2012/TT-BGDĐT, Điều 15 khoản 1 điểm h",
                roles_note=(
                    "Sở/Phòng (tổng hợp, công nhận); lãnh đạo và quản trị trường tiểu học, THCS, liên cấp có tiểu học"
                    " hoặc THCS, trung tâm GDTX và trung tâm học tập cộng đồng (điều tra trên địa bàn)."
                ),
                school_types=frozenset(
                    {
                        SchoolType.C1,
                        SchoolType.C2,
                        SchoolType.C12,
                        SchoolType.C23,
                        SchoolType.C123,
                        SchoolType.TX,
                        SchoolType.TC,
                    }
                ),
            )
        )
