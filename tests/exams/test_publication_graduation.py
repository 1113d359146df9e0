"""Publishing a graduation exam: each candidate sits Toán, Ngữ văn and two electives of their choice, so the
results are ready when every numbered candidate has a result — not when every subject has every candidate."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from exams.services import graduation_thpt, publication

from .test_results_intake import Intake

pytestmark = pytest.mark.django_db


def test_a_graduation_exam_is_ready_once_every_numbered_candidate_has_a_result(world):
    intake = Intake(world)
    so = intake.actor("so_admin")
    ids = {n: c.pk for n, c in intake.candidates.items()}
    subject = intake.subjects
    # two of the four candidates still in the exam have results (the fifth withdrew)
    graduation_thpt.record_results(
        so,
        intake.exam,
        {
            ids["000001"]: {subject["toan"]: ("6", False), subject["ngu-van"]: ("7.5", False)},
            ids["000002"]: {subject["toan"]: ("9", False)},
        },
    )
    problems = publication.readiness(intake.exam)
    assert problems == ["Còn 2 thí sinh chưa có kết quả môn thi nào (chưa nhập kết quả thi)."]
    with pytest.raises(ValidationError):
        publication.schedule_publication(so, intake.exam)

    graduation_thpt.record_results(
        so,
        intake.exam,
        {ids["000003"]: {subject["toan"]: ("5", False)}, ids["000004"]: {subject["ngu-van"]: (None, True)}},
    )
    assert publication.readiness(intake.exam) == []
    publication.schedule_publication(so, intake.exam)
    intake.exam.refresh_from_db()
    assert intake.exam.is_published()
