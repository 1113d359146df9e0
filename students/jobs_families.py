"""Background jobs of module (a): families (issue 6) — "Tạo tài khoản cho học sinh và cha mẹ của lớp" and
"Cấp lại mật khẩu cho học sinh và cha mẹ".

Hashing a password costs 0.3–0.7 s (PBKDF2), so a class's accounts (≈45 learners, ≈80 guardians)
take a minute or more: the pages and the API queue these jobs when more than
``students.services.families.INLINE_LIMIT`` passwords are to be made.

The job returns NO output: a Job is readable by every admin of the subtree and its output is kept
30 days, while login slips carry temporary passwords. The service stores the slips itself as a
private file of the person who queued the job (purpose "login-slips"), expiring after 24 hours;
the class's family-accounts page lists that person's slips.
"""

from __future__ import annotations

from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.jobs.registry import JobError, register_job
from sms.org.models import SchoolClass

CREATE_JOB = "students.family_accounts"
REISSUE_JOB = "students.family_reissue"
ROLES = {Role.PRINCIPAL, Role.SCHOOL_ADMIN}


def _class(actor, school_class: int) -> SchoolClass:
    klass = (
        visible_to(actor, SchoolClass)
        .filter(pk=school_class, school_id=actor.unit_id)
        .select_related("school", "school_year")
        .first()
    )
    if klass is None:
        raise JobError("Không tìm thấy lớp của trường.")
    return klass


def _progress(job, verb: str):
    def report(done: int, total: int) -> None:
        if done == total or done % 5 == 0:
            job.set_progress(5 + int(90 * done / max(total, 1)), f"{verb} {done}/{total} tài khoản.")

    return report


@register_job(CREATE_JOB, title="Tạo tài khoản cho học sinh và cha mẹ của lớp", roles=ROLES)
def create_family_accounts(job, actor, school_class: int, site: str = "") -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    from .services import families

    klass = _class(actor, school_class)
    job.set_progress(2, f"Đang tạo tài khoản cho lớp {klass.name}.")
    try:
        families.create_accounts(actor, klass, site=site or "/", progress=_progress(job, "Đã tạo"))
    except (ValidationError, PermissionDenied) as exc:
        raise JobError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
    return None


@register_job(REISSUE_JOB, title="Cấp lại mật khẩu cho học sinh và cha mẹ", roles=ROLES)
def reissue_family_passwords(job, actor, school_class: int, accounts: list, site: str = "") -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    from .services import families

    klass = _class(actor, school_class)
    job.set_progress(2, f"Đang cấp lại mật khẩu cho lớp {klass.name}.")
    try:
        families.reissue_passwords(actor, klass, accounts, site=site or "/", progress=_progress(job, "Đã cấp lại"))
    except (ValidationError, PermissionDenied) as exc:
        raise JobError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
    return None
