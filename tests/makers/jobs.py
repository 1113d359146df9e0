"""Makers for the background-job and file models (merged into tests.factories.MAKERS)."""

from __future__ import annotations

from sms.accounts.roles import Role
from sms.files.models import StoredFile
from sms.jobs.models import Job, JobStatus

PDF = b"%PDF-1.4\n% test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _stored_file(side, user=None, *, private=False) -> StoredFile:
    # Shared by default: the cross-tenant controls need a file the A side's staff may see
    # (a private file is its uploader's alone, admins included).
    return StoredFile.store(
        unit=side.school,
        uploaded_by=user or side.m("teacher2").user,
        content=PDF,
        name="Biên bản họp.pdf",
        content_type="application/pdf",
        purpose="test",
        private=private,
    )


def _job(side) -> Job:
    membership = side.m(Role.TEACHER)
    return Job.objects.create(
        unit=side.school,
        membership=membership,
        created_by=membership.user,
        kind="org.classes_xlsx",
        title="Xuất cơ cấu lớp học (xlsx)",
        status=JobStatus.SUCCEEDED,
        progress=100,
        output=_stored_file(side, membership.user, private=True),
    )


MAKERS = {StoredFile: _stored_file, Job: _job}
