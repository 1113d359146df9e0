"""The THPT graduation exam, the Sở's part (thi tốt nghiệp THPT): results intake and the graduation entries.

DOMAIN (/work/shared/domain/exams-diplomas.md, "Kinds of exam"): the Sở runs "the Sở's part of the national
graduation exam (registration, rooms, results intake and lookup)". The exam is an ``Exam`` of kind
``ExamKind.GRADUATION`` owned by a Sở (``exams.services.setup``: grade 12, the 2025 subjects), its candidates
registered from the current grade-12 learners and seated in rooms like any other exam. Marking is national: the
Sở receives the FINAL scores and takes them in from a spreadsheet (``exams.results_intake``), written here by
``record_results``; then the results are published (``exams.services.publication``) and a graduation round of
level THPT (``GraduationRound``, part A) reads ``thpt_entries``.

Who may take results in (``may_take_results``): the exam's organisers (admins and Sở/Phòng staff of the owner's
subtree, ``selectors.is_organiser``) and its board's secretariat; a school's leaders, the chair and the markers
may not. An organiser who is not on the board takes results in blind: the scores stay the board's until they are
published (``sees_stored_scores``). Only for the kinds whose scores come from outside (``INTAKE_KINDS``: the
graduation exam and the vocational exam, whose practical part is marked at the centres) and only until the
publication is scheduled — afterwards a score changes only through an appeal (``exams.services.appeals``). A
subject the board marks itself (it has scripts: ``exams.services.marking``) takes its scores from matching, never
from a file.

The graduation score (``thpt_entries``) is ``rules.graduation_score`` of the exam's calendar year (the exam is
held at the end of the school year: ``exam.start_year + 1``) over the four tests the formula counts, which this
module picks from the candidate's subjects by the subject table below (configuration, not regulation code):

- from 2025 (Thông tư 24/2024): Toán, Ngữ văn and the two electives the candidate sat; fewer than two electives
  is a missing test ("absent"); more than two is refused (at intake, counting what is already stored, and again
  by ``thpt_entries``, which names the candidates);
- 2020–2024 (Thông tư 15/2020, amended by Thông tư 05/2021): Toán, Ngữ văn, Ngoại ngữ and the combined test
  (bài thi tổ hợp) — Khoa học tự nhiên (Vật lí, Hóa học, Sinh học) or Khoa học xã hội (Lịch sử, Địa lí, Giáo dục
  công dân) — whose score is the mean of the component subjects sat; a component registered but missed makes the
  combined test missing. TT15/2020 also fails a candidate with a component at or below 1.0 (the "fail_mark" of
  the rules, applied here to the components the combined mean hides).

Readings made here: a candidate without a learner record (a free candidate) has no year averages, so no
graduation score ("no_record"); a candidate who sat both combined tests is scored with the one with more
components sat (then the higher mean); the exempted foreign-language candidates and the GDTX candidates (three
tests) are not modelled — their exam would carry a score of 10 (exemption) or be reviewed by the council.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here, bulk_create_with_history, bulk_update_with_history
from sms.text import search_key

from .. import rules
from ..models import Candidate, CandidateScore, Exam, ExamKind, ExamSubject, Script
from ..selectors import is_chair, is_organiser, is_secretariat
from .marking import vn

#: the kinds whose final scores the Sở takes in from a file
INTAKE_KINDS = frozenset({ExamKind.GRADUATION, ExamKind.VOCATIONAL})
#: a score taken in has at most two decimals (the national tests are in steps of 0.25 or 0.05)
SCORE_PLACES = Decimal("0.01")
#: the 2025 format: two electives besides Toán and Ngữ văn (TT24/2024)
ELECTIVES_ALLOWED = 2

MSG_NOT_TAKER = "Chỉ đơn vị tổ chức kỳ thi hoặc ban thư ký hội đồng thi được nhập kết quả thi."
MSG_WRONG_KIND = "Chỉ kỳ thi tốt nghiệp THPT và kỳ thi nghề phổ thông nhập kết quả thi từ tệp."

# --- the subjects and the formula's tests (configuration) ------------------------------------------------------

MATH = "toan"
LITERATURE = "ngu-van"
#: foreign languages (Ngoại ngữ): one test in 2020–2024, one elective from 2025
FOREIGN_LANGUAGES = frozenset(
    {"tieng-anh", "tieng-nga", "tieng-phap", "tieng-trung", "tieng-duc", "tieng-nhat", "tieng-han", "ngoai-ngu"}
)
#: the combined tests of 2020–2024 and their component subjects (TT15/2020)
COMBINED_TESTS: dict[str, frozenset[str]] = {
    "khtn": frozenset({"vat-li", "hoa-hoc", "sinh-hoc"}),
    "khxh": frozenset({"lich-su", "dia-li", "gdcd"}),
}
#: the electives of the exams from 2025 (TT24/2024: the subjects studied in grade 12 other than the two required)
ELECTIVES = FOREIGN_LANGUAGES | frozenset(
    {
        "vat-li",
        "hoa-hoc",
        "sinh-hoc",
        "lich-su",
        "dia-li",
        "gd-ktpl",
        "tin-hoc",
        "cn-cong-nghiep",
        "cn-nong-nghiep",
    }
)
#: other spellings of the codes above (a subject's code, else the slug of its name, is looked up here)
ALIASES = {
    "toan-hoc": MATH,
    "van": LITERATURE,
    "ngu-van": LITERATURE,
    "tieng-trung-quoc": "tieng-trung",
    "vat-ly": "vat-li",
    "ly": "vat-li",
    "hoa": "hoa-hoc",
    "sinh": "sinh-hoc",
    "su": "lich-su",
    "dia-ly": "dia-li",
    "dia": "dia-li",
    "giao-duc-cong-dan": "gdcd",
    "giao-duc-kinh-te-va-phap-luat": "gd-ktpl",
    "gdktpl": "gd-ktpl",
    "ktpl": "gd-ktpl",
    "tin": "tin-hoc",
    "cong-nghe-dinh-huong-cong-nghiep": "cn-cong-nghiep",
    "cong-nghe-cong-nghiep": "cn-cong-nghiep",
    "cong-nghe-dinh-huong-nong-nghiep": "cn-nong-nghiep",
    "cong-nghe-nong-nghiep": "cn-nong-nghiep",
}
KNOWN = frozenset({MATH, LITERATURE, "gdcd"}) | ELECTIVES
#: how each formula (by its first year, ``rules.GRADUATION_FORMULAS``) picks its four tests
TEST_LAYOUTS = {2020: "combined", 2025: "electives"}


def _slug(text: str) -> str:
    return slugify(search_key(text))


def subject_key(code: str, name: str = "") -> str:
    """The subject table's code for an exam subject: its code if the table knows it (or an alias of it), else its
    name's ("Vật lý" → "vat-li"); "" for a subject the formula does not count."""
    for candidate in (str(code or "").lower(), _slug(name)):
        candidate = ALIASES.get(candidate, candidate)
        if candidate in KNOWN:
            return candidate
    return ""


def counted_keys(exam_year: int) -> frozenset[str]:
    """The subject keys the formula of ``exam_year`` counts (``ValueError`` before 2020): from 2025 Toán, Ngữ văn
    and the electives; 2020–2024 Toán, Ngữ văn, the foreign languages and the combined tests' components."""
    layout = TEST_LAYOUTS[rules.graduation_formula(exam_year).first_year]
    if layout == "electives":
        return frozenset({MATH, LITERATURE}) | ELECTIVES
    return frozenset({MATH, LITERATURE}) | FOREIGN_LANGUAGES | frozenset().union(*COMBINED_TESTS.values())


def uncounted_subjects(exam: Exam, subjects=None) -> list[ExamSubject]:
    """The exam's subjects the formula of its year does not count (an unknown code and name — ``subject_key`` is
    "" — or a subject of another format, e.g. GDCD in an exam from 2025): their scores would be silently left out
    of the graduation score. ``subjects``: the exam's subjects already read."""
    keys = counted_keys(exam.start_year + 1)
    if subjects is None:
        subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
    return [s for s in subjects if subject_key(s.code, s.name) not in keys]


def two_electives(exam: Exam) -> bool:
    """Whether ``exam`` follows the 2025 format: a graduation exam whose candidates sit two electives besides Toán
    and Ngữ văn (TT24/2024)."""
    if exam.kind != ExamKind.GRADUATION:
        return False
    try:
        first = rules.graduation_formula(exam.start_year + 1).first_year
    except ValueError:
        return False
    return TEST_LAYOUTS.get(first) == "electives"


def is_elective(subject: ExamSubject) -> bool:
    return subject_key(subject.code, subject.name) in ELECTIVES


def formula_tests(exam_year: int, sat: Mapping[str, Decimal | None]) -> tuple[list[Decimal | None], list[Decimal]]:
    """The four tests ``rules.graduation_score`` counts for a candidate of the exam of ``exam_year``, from
    ``sat`` = {subject key: score, None when registered but absent}, in the exam's subject order; and the scores
    those tests are made of (a combined test's components), for the ≤ 1.0 check. Pure: no database."""
    layout = TEST_LAYOUTS[rules.graduation_formula(exam_year).first_year]
    math, literature = sat.get(MATH), sat.get(LITERATURE)
    if layout == "electives":
        # more than two electives is refused before (the intake, ``thpt_entries``); the cut is only a guard
        electives = [sat[k] for k in sat if k in ELECTIVES][:ELECTIVES_ALLOWED]
        tests = [math, literature, *electives, *([None] * (2 - len(electives)))]
        return tests, [t for t in tests if t is not None]
    language = next((sat[k] for k in sat if k in FOREIGN_LANGUAGES), None)
    combined, components, best_rank = None, [], None
    for parts in COMBINED_TESTS.values():
        scores = [sat[k] for k in sat if k in parts]
        if not scores:
            continue
        taken = [s for s in scores if s is not None]
        mean = sum(taken, Decimal(0)) / len(taken) if taken and len(taken) == len(scores) else None
        rank = (len(taken), mean if mean is not None else Decimal(-1))
        if best_rank is None or rank > best_rank:
            combined, components, best_rank = mean, taken, rank
    tests = [math, literature, language, combined]
    return tests, [t for t in tests[:3] if t is not None] + components


# --- who may take results in ------------------------------------------------------------------------------------


def may_take_results(actor, exam: Exam) -> bool:
    """The exam's organisers and its secretariat (module docstring)."""
    return is_organiser(actor, exam) or is_secretariat(actor, exam)


def sees_stored_scores(actor, exam: Exam) -> bool:
    """Whether the intake may show ``actor`` the scores already stored (the preview's "Không đổi"/"Cập nhật"
    compares with them): before publication only the board's secretariat and chair read scores
    (``CandidateScore``'s door); an organiser who is not on the board takes results in blind."""
    return is_secretariat(actor, exam) or is_chair(actor, exam)


def _closed_text(exam: Exam) -> str | None:
    """Why the intake is closed by the publication (None: it is open): once the results are published, or as soon
    as the publication is scheduled (what is published must be what was checked; as ``admission.locked_message``)."""
    if exam.results_publish_at is None:
        return None
    when = timezone.localtime(exam.results_publish_at)
    if exam.is_published():
        return f"Kết quả kỳ thi đã công bố lúc {when:%H:%M %d/%m/%Y}: điểm chỉ thay đổi qua phúc khảo."
    return f"Kỳ thi đã hẹn công bố kết quả lúc {when:%H:%M %d/%m/%Y}; hãy huỷ lịch công bố trước khi nhập kết quả thi."


def intake_refusal(actor, exam: Exam) -> str | None:
    """Why ``actor`` may not take results into ``exam`` now (None: they may)."""
    if exam.kind not in INTAKE_KINDS:
        return MSG_WRONG_KIND
    if not may_take_results(actor, exam):
        return MSG_NOT_TAKER
    return _closed_text(exam)


def intake_subjects(exam: Exam) -> tuple[list[ExamSubject], list[ExamSubject]]:
    """The exam's subjects in order, split: those whose scores are taken in from a file, and those the board
    marks itself (they have scripts; their scores come from matching). Two queries."""
    subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
    marked = set(Script.objects.filter(exam_subject__exam=exam).values_list("exam_subject_id", flat=True).distinct())
    return [s for s in subjects if s.pk not in marked], [s for s in subjects if s.pk in marked]


def score_problem(value: Decimal, max_score: Decimal) -> str | None:
    """Why ``value`` is not a final score of a subject out of ``max_score`` (None: it is)."""
    if not value.is_finite() or value < 0 or value > max_score or value != value.quantize(SCORE_PLACES):
        return f"điểm phải từ 0 đến {vn(max_score)}, tối đa hai chữ số thập phân (ví dụ 7,25)"
    return None


def _lock_exam(actor, exam) -> Exam:
    """The exam through the door, locked: 404 when the actor does not see it, 403 when they may not take its
    results in, ``ValidationError`` for the wrong kind or once published."""
    pk = getattr(exam, "pk", exam)
    found = visible_to(actor, Exam).select_for_update(of=("self",)).select_related("unit").filter(pk=pk).first()
    if found is None:
        raise Http404("Không tìm thấy kỳ thi.")
    if not may_take_results(actor, found):
        raise PermissionDenied(MSG_NOT_TAKER)
    if found.kind not in INTAKE_KINDS:
        raise ValidationError(MSG_WRONG_KIND)
    closed = _closed_text(found)
    if closed:
        raise ValidationError(closed)
    return found


def _checked(value, absent: bool, subject: ExamSubject, where: str) -> Decimal | None:
    if absent:
        return None
    if value is None:
        raise ValidationError(f"{where}: chưa có điểm (ghi vắng thi nếu thí sinh vắng).")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{where}: “{value}” không phải là điểm.") from None
    problem = score_problem(number, subject.max_score)
    if problem:
        raise ValidationError(f"{where}: {problem}.")
    return number.quantize(SCORE_PLACES)


def record_results(actor, exam, results: Mapping[int, Mapping[int, tuple[object, bool]]]) -> dict[str, int]:
    """Take final scores in: ``results`` = {candidate id: {exam subject id: (score, absent)}} (a score as a
    ``Decimal`` or text with a comma or a point; ``absent`` True for "vắng thi", the score then ignored). One
    transaction: the exam is locked and checked (``intake_refusal``), every candidate must be a non-withdrawn
    candidate of the exam and every subject one of its subjects taken in from a file; any bad value refuses the
    whole batch (``ValidationError`` naming the candidate and the subject). A ``CandidateScore`` is created or
    changed with history attributed to the actor; a value equal to the stored one is not written (no history).
    Nothing is deleted: a subject left out keeps what is stored. Returns ``{"created", "updated",
    "unchanged"}``. Queries do not grow with the batch."""
    wanted = {int(c): {int(s): v for s, v in scores.items()} for c, scores in results.items()}
    with transaction.atomic(), acting_here(actor):
        exam = _lock_exam(actor, exam)
        intake, marked = intake_subjects(exam)
        subjects = {s.pk: s for s in intake}
        marked_ids = {s.pk: s for s in marked}
        candidates = {
            c.pk: c for c in Candidate.objects.filter(exam=exam, pk__in=list(wanted)).only("pk", "number", "withdrawn")
        }
        errors: list[str] = []
        for candidate_id in wanted:
            candidate = candidates.get(candidate_id)
            if candidate is None:
                errors.append(f"Thí sinh mã {candidate_id} không thuộc kỳ thi này.")
            elif candidate.withdrawn:
                errors.append(f"Thí sinh số báo danh {candidate.number or '—'} đã rút hồ sơ, không nhập điểm.")
        stored = {
            (s.candidate_id, s.exam_subject_id): s
            for s in CandidateScore.objects.filter(candidate_id__in=list(candidates), exam_subject__exam=exam)
            .select_for_update(of=("self",))
            .order_by("pk")
        }
        now = timezone.now()
        new, changed, unchanged = [], [], 0
        for candidate_id, scores in wanted.items():
            candidate = candidates.get(candidate_id)
            if candidate is None or candidate.withdrawn:
                continue
            for subject_id, (value, absent) in scores.items():
                subject = subjects.get(subject_id)
                where = f"Số báo danh {candidate.number or '—'}"
                if subject is None:
                    if subject_id in marked_ids:
                        name = marked_ids[subject_id].name
                        errors.append(f"{where}, môn {name}: môn chấm tại hội đồng, điểm lấy từ ghép phách.")
                    else:
                        errors.append(f"{where}: môn mã {subject_id} không thuộc kỳ thi này.")
                    continue
                try:
                    score = _checked(value, bool(absent), subject, f"{where}, môn {subject.name}")
                except ValidationError as error:
                    errors.extend(error.messages)
                    continue
                row = stored.get((candidate_id, subject_id))
                if row is None:
                    new.append(
                        CandidateScore(
                            candidate_id=candidate_id,
                            exam_subject_id=subject_id,
                            score=score,
                            absent=bool(absent),
                            matched_at=now,
                        )
                    )
                elif row.score != score or row.absent != bool(absent):
                    row.score, row.absent, row.matched_at = score, bool(absent), now
                    changed.append(row)
                else:
                    unchanged += 1
        if two_electives(exam):
            errors += _elective_errors(exam, candidates, wanted, stored)
        if errors:
            raise ValidationError(errors)
        if new:
            bulk_create_with_history(new, CandidateScore, actor=actor, default_change_reason="Nhập kết quả thi")
        if changed:
            bulk_update_with_history(
                changed,
                CandidateScore,
                ["score", "absent", "matched_at"],
                actor=actor,
                default_change_reason="Nhập kết quả thi",
            )
    return {"created": len(new), "updated": len(changed), "unchanged": unchanged}


def elective_problem(names: list[str], stored: list[str] | None = None) -> str | None:
    """Why a candidate with the electives ``names`` (in the file) and ``stored`` (already taken in) breaks the 2025
    format's limit (``ELECTIVES_ALLOWED``), or None."""
    stored = [n for n in stored or [] if n not in names]
    total = len(names) + len(stored)
    if total <= ELECTIVES_ALLOWED:
        return None
    text = f"thí sinh chỉ dự thi {ELECTIVES_ALLOWED} môn tự chọn ngoài Toán và Ngữ văn, "
    if not stored:
        return text + f"tệp ghi {total} môn ({', '.join(names)})."
    return (
        text + f"tệp ghi {', '.join(names) or 'không môn nào'} và đã nhập trước đó {', '.join(stored)}: "
        f"cộng lại {total} môn."
    )


def _elective_errors(exam: Exam, candidates: dict, wanted: dict, stored: dict) -> list[str]:
    """The candidates of the batch who would have more than two electives (those stored and those given)."""
    subjects = {s.pk: s for s in ExamSubject.objects.filter(exam=exam)}
    electives = {pk for pk, s in subjects.items() if is_elective(s)}
    had: dict[int, set[int]] = defaultdict(set)
    for candidate_id, subject_id in stored:
        if subject_id in electives:
            had[candidate_id].add(subject_id)
    errors = []
    for candidate_id, scores in wanted.items():
        candidate = candidates.get(candidate_id)
        if candidate is None or candidate.withdrawn:
            continue
        given = [s for s in scores if s in electives]
        kept = sorted(had[candidate_id] - set(given), key=lambda pk: (subjects[pk].order, pk))
        problem = elective_problem([subjects[s].name for s in given], [subjects[s].name for s in kept])
        if problem:
            errors.append(f"Số báo danh {candidate.number or '—'}: {problem}")
    return errors


# --- the graduation entries of a THPT round ----------------------------------------------------------------------


def _points(rule) -> Decimal:
    return rule.points if rule is not None and rule.points is not None else Decimal(0)


def thpt_entries(round) -> list[dict]:
    """The entries of a THPT graduation round (``GraduationRound`` of level THPT; ``round.exam`` the graduation
    exam): one dict per non-withdrawn candidate, with the field names of ``GraduationEntry`` — ``candidate``,
    ``student``, ``school`` (rows or None), ``school_name``, ``class_name``, ``full_name``, ``birth_date``,
    ``sex``, ``ethnicity``, ``birthplace``, ``personal_id`` (as the candidate carries them), ``tests`` (the
    subjects the candidate registered, in the exam's order: ``{"subject": code, "score": "7.25" or None when
    absent}``), ``record_average`` and ``graduation_score`` (``Decimal`` or None), ``recognised``, ``reasons``
    (codes of ``rules.THPT_REASONS``) and ``may_retry`` (False: the exam is not sat again this year).

    Scored by ``rules.graduation_score`` of the exam's calendar year (``exam.start_year + 1``) over the tests
    ``formula_tests`` picks, the year averages of grades 10–12 from the students module
    (``students.selectors.year_averages``) for candidates linked to a learner, the candidate's priority and bonus
    points (``PointRule``). The caller (the round's review) checked who runs it and that the results are
    published. Ordered by school, class and Vietnamese name order. Six queries whatever the number of
    candidates.

    Refuses (``ValidationError``, before the caller writes anything) what would otherwise be scored wrongly
    without a word: an exam subject the year's formula does not count (``uncounted_subjects``), and — from 2025 —
    a candidate with more than two electives (the intake refuses those; the list names their numbers)."""
    from students.selectors import year_averages

    exam = round.exam
    if exam is None or exam.kind != ExamKind.GRADUATION:
        raise ValueError("a THPT graduation round reads the results of a graduation exam")
    exam_year = exam.start_year + 1
    formula = rules.graduation_formula(exam_year)
    subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
    uncounted = uncounted_subjects(exam, subjects)
    if uncounted:
        names = "; ".join(f"{s.name} (mã “{s.code}”)" for s in uncounted)
        raise ValidationError(
            f"Kỳ thi có môn không tính được vào điểm xét tốt nghiệp theo công thức năm {exam_year}: {names}. "
            "Hãy sửa mã môn theo bảng mã môn thi (ví dụ toan, ngu-van, tieng-anh, vat-li, lich-su) hoặc bỏ môn đó "
            "khỏi kỳ thi, rồi xét lại; chưa có gì được ghi."
        )
    keys = {s.pk: subject_key(s.code, s.name) for s in subjects}
    order = {s.pk: i for i, s in enumerate(subjects)}
    candidates = list(
        Candidate.objects.filter(exam=exam, withdrawn=False)
        .select_related("student", "school", "priority", "bonus")
        .order_by("school__name", "school_name", "class_name", "sort_key", "number", "pk")
    )
    by_candidate: dict[int, list[tuple[int, Decimal | None, bool]]] = defaultdict(list)
    for candidate_id, subject_id, score, absent in CandidateScore.objects.filter(
        candidate__exam=exam, candidate__withdrawn=False
    ).values_list("candidate_id", "exam_subject_id", "score", "absent"):
        by_candidate[candidate_id].append((subject_id, None if absent else score, absent))
    student_ids = [c.student_id for c in candidates if c.student_id]
    averages = year_averages(student_ids, (10, 11, 12)) if student_ids else {}
    codes = {s.pk: s.code for s in subjects}
    if TEST_LAYOUTS[formula.first_year] == "electives":
        too_many = [
            c.number or c.full_name
            for c in candidates
            if sum(1 for sid, _s, _a in by_candidate.get(c.pk, []) if keys.get(sid) in ELECTIVES) > ELECTIVES_ALLOWED
        ]
        if too_many:
            raise ValidationError(
                f"Thí sinh có quá {ELECTIVES_ALLOWED} môn tự chọn (ngoài Toán và Ngữ văn), không tính được điểm xét "
                f"tốt nghiệp: số báo danh {', '.join(too_many)}. Hãy kiểm tra lại kết quả thi đã nhập; chưa có gì "
                "được ghi."
            )
    entries = []
    for c in candidates:
        rows = sorted(by_candidate.get(c.pk, []), key=lambda r: order.get(r[0], 0))
        sat = {keys[sid]: score for sid, score, _absent in rows if keys.get(sid)}
        tests, parts = formula_tests(exam_year, sat)
        result = rules.graduation_score(
            exam_year,
            tests,
            year_averages=averages.get(c.student_id, {}) if c.student_id else {},
            priority=_points(c.priority),
            bonus=_points(c.bonus),
        )
        reasons = list(result.verdict.reasons)
        if "fail_mark" not in reasons and any(p <= formula.fail_at for p in parts):
            reasons.append("fail_mark")  # a component of the combined test at or below 1.0 (TT15/2020)
        entries.append(
            {
                "candidate": c,
                "student": c.student,
                "school": c.school,
                "school_name": c.school_name,
                "class_name": c.class_name,
                "full_name": c.full_name,
                "birth_date": c.birth_date,
                "sex": c.sex,
                "ethnicity": c.ethnicity,
                "birthplace": c.birthplace,
                "personal_id": c.personal_id,
                "tests": [
                    {"subject": codes.get(sid, ""), "score": None if score is None else str(score)}
                    for sid, score, _absent in rows
                ],
                "record_average": result.record_average,
                "graduation_score": result.score,
                "recognised": not reasons,
                "reasons": reasons,
                "may_retry": False,
            }
        )
    return entries
