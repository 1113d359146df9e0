from django.apps import AppConfig


class StudentsConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15.1 (a): Hệ thống quản lý hồ sơ, kết quả học tập và rèn luyện của học sinh."""

    name = "students"
    verbose_name = "Hệ thống quản lý hồ sơ, kết quả học tập và rèn luyện của học sinh"

    def ready(self):
        from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role
        from sms.shell.modules import Module, register_module, roles

        # Who uses the module and why: roles_note (shown on its landing page).
        register_module(
            Module(
                key="students",
                letter="a",
                title="Hệ thống quản lý hồ sơ, kết quả học tập và rèn luyện của học sinh",
                short_title="Học sinh",
                roles=roles(ADMIN_ROLES, OVERSIGHT_ROLES, Role.TEACHER, Role.STUDENT, Role.PARENT),
                url_name="students:index",
                description="Hồ sơ học sinh, lớp, điểm và nhận xét, rèn luyện, chuyên cần, học bạ và sổ theo dõi.",
                covers=(
                    "Hồ sơ học sinh và lý lịch, chuyển trường, lên lớp",
                    "Điểm số, nhận xét, kết quả học tập theo Thông tư 22/2021 và 27/2020",
                    "Kết quả rèn luyện, chuyên cần",
                    "Học bạ, sổ theo dõi và đánh giá học sinh",
                ),
                legal_basis="Thông tư 53/2012/TT-BGDĐT, Điều 15 khoản 1 điểm a",
                roles_note=(
                    "Lãnh đạo và quản trị trường, giáo viên (nhập điểm lớp được phân công), học sinh và cha mẹ (xem "
                    "kết quả của mình), Sở/Phòng (tổng hợp)."
                ),
            )
        )

        from sms.seeding import register, register_public_notes

        # the background jobs for the worker (each module registers its own)
        from . import jobs, jobs_families, jobs_recordbook  # noqa: F401

        register("students", _seed_students, order=200)
        register("students-grades", _seed_grades, order=210)
        register_public_notes(_public_lookup_notes)


def _seed_students(ctx) -> None:
    """The demo learners, enrolments and families (after teachers: classes and assignments exist)."""
    from .seed import seed_students

    seed_students(ctx)


def _seed_grades(ctx) -> None:
    """The demo grade book: semester I sheets in every state, conduct, absences, results."""
    from .seed_grades import seed_grades

    seed_grades(ctx)


def _public_lookup_notes() -> list[tuple[str, str]]:
    """One learner whose published results the demo's portal lookup finds."""
    from sms.portal.models import PublishedRecord

    from .models import Student
    from .services.portal import KIND

    code = PublishedRecord.objects.filter(kind=KIND).order_by("key").values_list("key", flat=True).first()
    student = Student.objects.filter(learner_code=code).first() if code else None
    if student is None:
        return []
    return [
        (
            "/cong/ket-qua-hoc-tap/",
            f"kết quả học tập: mã {student.learner_code}, ngày sinh {student.birth_date:%d/%m/%Y} "
            f"(hoặc mã tra cứu {student.lookup_code})",
        )
    ]
