"""What the province builder (bench/province.py) hands to the loaders of other modules: the ids it wrote.

Plain data, no Django: a module's loader (e.g. bench/province_exams.py) reads the schools, their years and
classes, and the learners with their enrolments, and writes its own rows with the same ``bench.bulk.Loader``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: the benchmark accounts' password (every bench account has it)
PASSWORD = "Mật-khẩu-benchmark-1"
SO_CODE = "SO-BENCH"
#: the Sở specialist (so_staff) whose view the oversight benchmark measures
SO_USERNAME = "bench.so"
#: the 1,512-learner THCS school of the year-results and sheet-save benchmark (bench/students_bench.py)
BIG_SCHOOL_CODE = "C2-BENCH"


@dataclass(slots=True)
class SchoolShape:
    id: int
    code: str
    name: str
    school_type: str  # sms.org.rules.SchoolType value: "C1" / "C2" / "C3"
    parent_id: int  # its Phòng (c1, c2) or the Sở (c3)
    area_id: int | None
    year_id: int
    semester_ids: dict[int, int]  # semester number → id
    grades: tuple[int, ...]
    subject_ids: dict[str, int]  # subject code → id
    class_ids: dict[int, list[int]] = field(default_factory=dict)  # grade → class ids
    principal_user_id: int | None = None


@dataclass(slots=True)
class LearnerShape:
    student_id: int
    enrolment_id: int
    school_id: int
    class_id: int
    grade: int
    learner_code: str
    full_name: str
    birth_date: dt.date
    sex: str  # "M" / "F"


@dataclass
class Province:
    start_year: int  # the school year start_year–start_year+1 holding the grades
    so_id: int
    phong_ids: list[int]
    schools: list[SchoolShape]
    learners: list[LearnerShape]
    users: dict[str, int]  # username → id of the named bench accounts (bench.so, bench.principal, …)

    def school(self, school_id: int) -> SchoolShape:
        return next(s for s in self.schools if s.id == school_id)

    def learners_in_grade(self, grade: int) -> list[LearnerShape]:
        return [learner for learner in self.learners if learner.grade == grade]
