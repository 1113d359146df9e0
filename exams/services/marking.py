"""Marking (chấm thi): anonymous codes, double marking, third mark or joint decision, matching back.

DOMAIN (/work/shared/domain/exams-diplomas.md, "Running an exam"):

- "Anonymising: scripts get a secret code (số phách) before marking; markers see only the code;
  matching code to candidate (ghép phách) happens after marks are final."
- "Marking: essays are marked twice independently; when the two marks differ by more than the
  configured threshold, a third mark or a joint decision resolves it; every mark is kept."

The flow, one transaction per step, each step kept in history (``AuditedHistory``, attributed to
the actor):

1. ``make_scripts`` (secretariat): one ``Script`` per numbered, non-withdrawn candidate, with a
   random code (``rules.new_codes`` drawn from ``random.SystemRandom``) and its ``ScriptKey``;
   absent candidates get a script with status ABSENT (nothing to mark).
2. ``assign_markers`` (secretariat): round-1 and round-2 ``Mark`` rows with no score yet (the
   assignment), spread evenly; a script's two markers are different people.
3. ``enter_marks`` (the marker themself, door "change" on ``Mark``) or ``record_marks`` (the
   secretariat, from the markers' paper sheets: ``exams.marks_import``): after each save the
   script is reconciled (``rules.reconcile`` with ``Exam.mark_threshold``, or ``rules.single``).
4. Disputed scripts: ``assign_third`` (chair or secretariat: a marker who did not mark rounds
   1–2) or ``record_joint`` (the chair, on the chair's seat).
5. ``match`` (secretariat): every script FINAL or ABSENT → one ``CandidateScore`` per key.

Locks: marks of a subject are frozen once it is matched, and every mark of the exam once its
results are published (``Exam.is_published``) — except the appeal rounds, which are written
through ``exams.services.appeals`` and ``enter_marks`` while their appeal is being marked.

Refusals are ``ValidationError`` (a wrong state or bad input, in Vietnamese, naming the field or
the script's code) or ``PermissionDenied`` (a wrong person). Nothing here ever names a candidate
to a marker.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here, bulk_create_with_history, bulk_update_with_history
from sms.text import as_id

from .. import rules
from ..models import (
    Appeal,
    AppealStatus,
    BoardMember,
    BoardRole,
    Candidate,
    CandidateScore,
    Exam,
    ExamSubject,
    Mark,
    MarkRound,
    Script,
    ScriptKey,
    ScriptStatus,
)
from ..selectors import board_roles, board_seat
from . import portal_scores

#: marks are given in quarter points (MARKING PRACTICE, ``rules.SCORE_STEP``)
STEP = rules.SCORE_STEP
#: digits of a new code (số phách); widened for a subject with very many scripts
CODE_WIDTH = 6
#: the rounds of the first marking (frozen at matching)
MARKING_ROUNDS = (MarkRound.FIRST, MarkRound.SECOND, MarkRound.THIRD, MarkRound.JOINT)
#: the rounds a marker enters themself
MARKER_ROUNDS = (MarkRound.FIRST, MarkRound.SECOND, MarkRound.THIRD)
#: the rounds of an appeal a marker enters themself
APPEAL_ROUNDS = (MarkRound.APPEAL_1, MarkRound.APPEAL_2)
#: the rounds the secretariat may import from a spreadsheet
IMPORT_ROUNDS = (MarkRound.FIRST, MarkRound.SECOND)

_STATUS = {rules.PENDING: ScriptStatus.MARKING, rules.DISPUTED: ScriptStatus.DISPUTED, rules.FINAL: ScriptStatus.FINAL}


# --- small helpers ------------------------------------------------------------------------------------


def vn(value: Decimal | None) -> str:
    """A score as Vietnamese users write it: 7,5 (no trailing zeros), "—" for none."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")
    return text.replace(".", ",")


def parse_score(raw) -> Decimal | None:
    """A score typed by a person: "7,5", "7.5", 7.5 or Decimal("7.5"); None when blank.
    Raises ``ValueError`` for anything that is not a number."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("not a score")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float):
        value = Decimal(str(raw))
    else:
        text = str(raw).strip().replace(",", ".")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError("not a score") from None
    if not value.is_finite():
        raise ValueError("not a score")
    return value


def score_problem(value: Decimal, max_score: Decimal) -> str | None:
    """Why ``value`` is not a mark of a subject marked out of ``max_score`` (None when it is)."""
    if value < 0 or value > max_score or value % STEP != 0:
        return f"điểm phải từ 0 đến {vn(max_score)} và chia hết cho bước {vn(STEP)} (ví dụ 6,75)"
    return None


def checked_score(raw, max_score: Decimal, where: str) -> Decimal:
    """``raw`` parsed and checked, or a ``ValidationError`` naming ``where``."""
    try:
        value = parse_score(raw)
    except ValueError:
        raise ValidationError(f"{where}: “{raw}” không phải là điểm (ví dụ 6,75).") from None
    if value is None:
        raise ValidationError(f"{where}: chưa nhập điểm.")
    problem = score_problem(value, max_score)
    if problem:
        raise ValidationError(f"{where}: {problem}.")
    return value.quantize(Decimal("0.01"))


def _ids(values: Iterable) -> list[int]:
    out = []
    for value in values:
        pk = getattr(value, "pk", value)
        number = as_id(pk)
        if number is None:
            raise ValidationError(f"“{pk}” không phải là mã hợp lệ.")
        if number not in out:
            out.append(number)
    return out


def is_matched(exam_subject: ExamSubject) -> bool:
    """Whether the subject's codes were matched back to candidates (its scores exist)."""
    return CandidateScore.objects.filter(exam_subject=exam_subject).exists()


def matched_subject_ids(subject_ids: Iterable[int]) -> set[int]:
    return set(
        CandidateScore.objects.filter(exam_subject_id__in=list(subject_ids))
        .values_list("exam_subject_id", flat=True)
        .distinct()
    )


def _refuse_if_published(exam: Exam) -> None:
    if exam.is_published():
        when = timezone.localtime(exam.results_publish_at)
        raise ValidationError(
            f"Kết quả kỳ thi đã công bố lúc {when:%H:%M %d/%m/%Y}: điểm đã khoá, chỉ thay đổi qua phúc khảo."
        )


def _refuse_if_matched(subject: ExamSubject) -> None:
    if is_matched(subject):
        raise ValidationError(f"Môn {subject.name} đã ghép phách: điểm chấm đã khoá, chỉ thay đổi qua phúc khảo.")


def _require(actor, exam: Exam, roles: Iterable[str], doing: str) -> frozenset[str]:
    held = board_roles(actor, exam)
    if not held & set(roles):
        who = " hoặc ".join(str(BoardRole(r).label).lower() for r in roles)
        raise PermissionDenied(f"Chỉ {who} của hội đồng thi mới {doing}.")
    return held


def _subject_for(actor, exam_subject, *, lock: bool = True) -> ExamSubject:
    """The subject through the door (a board member reaches it by the grant), locked."""
    qs = visible_to(actor, ExamSubject).select_related("exam")
    if lock:
        # One step at a time on a subject (two secretaries pressing "make scripts" at once).
        qs = qs.select_for_update(of=("self",))
    subject = qs.filter(pk=getattr(exam_subject, "pk", exam_subject)).first()
    if subject is None:
        raise PermissionDenied("Không tìm thấy môn thi.")
    return subject


def lock_scripts(script_ids) -> dict[int, Script]:
    """Lock, in this order, the subjects of ``script_ids`` (the lock ``_subject_for`` and
    ``match`` take) and then the scripts themselves, each in pk order, and return the scripts
    (subject and exam loaded) by id. Every write that checks "matched" or reconciles a script
    takes these locks first, so two markers saving rounds 1 and 2 of one script, a mark saved
    while the subject is matched, or an appeal mark saved while the appeal is decided, run one
    after the other. ``script_ids``: ids or a ``values("script_id")``-like subquery. Two queries."""
    ids = list(script_ids) if isinstance(script_ids, list | tuple | set | frozenset) else script_ids
    list(
        ExamSubject.objects.filter(pk__in=Script.objects.filter(pk__in=ids).values("exam_subject_id"))
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {
        s.pk: s
        for s in Script.objects.filter(pk__in=ids)
        .select_related("exam_subject__exam")
        .select_for_update(of=("self",))
        .order_by("pk")
    }


def _script_for(actor, script) -> Script:
    """The script through the door, its subject and then itself locked (``lock_scripts``)."""
    visible = visible_to(actor, Script).filter(pk=getattr(script, "pk", script)).values("pk")
    found = next(iter(lock_scripts(visible).values()), None)
    if found is None:
        raise PermissionDenied("Không tìm thấy bài thi.")
    return found


def marker_seats(exam: Exam, values: Iterable, *, field: str, label: str) -> list[BoardMember]:
    """The active marker seats of ``exam`` named by ``values`` (seats or their ids), in order."""
    ids = _ids(values or ())
    found = BoardMember.objects.filter(exam=exam, pk__in=ids, role=BoardRole.MARKER, is_active=True)
    seats = {s.pk: s for s in found.select_related("user")}
    unknown = [pk for pk in ids if pk not in seats]
    if unknown:
        raise ValidationError(
            {field: f"{label}: người được chọn không phải cán bộ chấm thi đang làm nhiệm vụ của kỳ thi này."}
        )
    return [seats[pk] for pk in ids]


def seat_name(seat: BoardMember) -> str:
    return seat.full_name or getattr(seat.user, "full_name", "") or str(seat.user)


# --- reconciling ---------------------------------------------------------------------------------------


def reconciliation(script: Script, scores: Mapping[str, Decimal | None]) -> rules.Reconciliation:
    """The rules' verdict on a script from its marks by round (``{MarkRound: score}``)."""
    subject = script.exam_subject
    if not subject.double_marked:
        return rules.single(scores.get(MarkRound.FIRST))
    return rules.reconcile(
        scores.get(MarkRound.FIRST),
        scores.get(MarkRound.SECOND),
        threshold=subject.exam.mark_threshold,
        third=scores.get(MarkRound.THIRD),
        joint=scores.get(MarkRound.JOINT),
    )


def _reconcile(actor, scripts: Iterable[Script], reason: str) -> dict[int, str]:
    """Recompute status and final score of ``scripts`` (their subject and exam loaded) from
    their marks; changed scripts are saved with history. Two queries whatever the count."""
    scripts = {s.pk: s for s in scripts if s.status != ScriptStatus.ABSENT}
    if not scripts:
        return {}
    by_script: dict[int, dict[str, Decimal | None]] = defaultdict(dict)
    for script_id, round_, score in Mark.objects.filter(
        script_id__in=list(scripts), round__in=MARKING_ROUNDS
    ).values_list("script_id", "round", "score"):
        by_script[script_id][round_] = score
    changed = []
    for pk, script in scripts.items():
        verdict = reconciliation(script, by_script[pk])
        status = _STATUS[verdict.status]
        final = verdict.score if verdict.is_final else None
        if script.status != status or script.final_score != final:
            script.status, script.final_score = status, final
            changed.append(script)
    if changed:
        bulk_update_with_history(changed, Script, ["status", "final_score"], actor=actor, default_change_reason=reason)
    return {pk: s.status for pk, s in scripts.items()}


# --- 1. anonymous codes -------------------------------------------------------------------------------


def make_scripts(actor, exam_subject, *, absent_candidate_ids: Iterable = (), rng=None) -> dict[str, int]:
    """The secretariat gives every numbered, non-withdrawn candidate a script of ``exam_subject``
    with a random code, and keeps which code is whose (``ScriptKey``, seen by the secretariat
    only). ``absent_candidate_ids``: candidates who did not sit the test; their script is ABSENT
    (not marked) and matching gives them ``CandidateScore(absent=True)``.

    Idempotent: a second run adds only the candidates still without a script (numbered since),
    and may mark absent a script nobody has been given to mark yet. Refused once the subject is
    matched or the results published. Scripts are created in random order, so neither code nor
    id follows the candidates' numbers."""
    rng = rng or random.SystemRandom()
    with transaction.atomic(), acting_here(actor):
        subject = _subject_for(actor, exam_subject)
        exam = subject.exam
        _require(actor, exam, (BoardRole.SECRETARIAT,), "làm phách")
        _refuse_if_published(exam)
        _refuse_if_matched(subject)
        candidates = dict(
            visible_to(actor, Candidate)
            .filter(exam=exam, withdrawn=False)
            .exclude(number="")
            .values_list("pk", "number")
        )
        if not candidates:
            raise ValidationError(
                "Kỳ thi chưa có thí sinh nào có số báo danh; hãy đánh số báo danh trước khi làm phách."
            )
        absent = set(_ids(absent_candidate_ids))
        if absent - set(candidates):
            raise ValidationError(
                {"absent_candidate_ids": "Thí sinh vắng thi phải là thí sinh đã có số báo danh của kỳ thi này."}
            )
        keys = dict(ScriptKey.objects.filter(script__exam_subject=subject).values_list("candidate_id", "script_id"))
        missing = [pk for pk in candidates if pk not in keys]
        rng.shuffle(missing)
        existing_codes = set(Script.objects.filter(exam_subject=subject).values_list("code", flat=True))
        width = max(CODE_WIDTH, len(str(10 * (len(existing_codes) + len(missing)))))
        codes = rules.new_codes(len(missing), rng, width=width, exclude=existing_codes)
        scripts = [
            Script(
                exam_subject=subject,
                code=code,
                status=ScriptStatus.ABSENT if pk in absent else ScriptStatus.MARKING,
            )
            for pk, code in zip(missing, codes, strict=True)
        ]
        created = bulk_create_with_history(scripts, Script, actor=actor, default_change_reason="Làm phách")
        bulk_create_with_history(
            [ScriptKey(script=s, candidate_id=pk) for s, pk in zip(created, missing, strict=True)],
            ScriptKey,
            actor=actor,
            default_change_reason="Làm phách",
        )
        # candidates with a script already, now recorded absent
        turned = []
        old = [keys[pk] for pk in absent if pk in keys]
        if old:
            given = set(Mark.objects.filter(script_id__in=old).values_list("script_id", flat=True))
            number_of = {keys[pk]: candidates[pk] for pk in absent if pk in keys}
            for script in Script.objects.filter(pk__in=old).exclude(status=ScriptStatus.ABSENT).order_by("pk"):
                if script.pk in given:
                    raise ValidationError(
                        {
                            "absent_candidate_ids": (
                                f"Thí sinh số báo danh {number_of[script.pk]} đã có bài được phân công chấm; "
                                "không thể ghi vắng thi."
                            )
                        }
                    )
                script.status, script.final_score = ScriptStatus.ABSENT, None
                turned.append(script)
            if turned:
                bulk_update_with_history(
                    turned, Script, ["status", "final_score"], actor=actor, default_change_reason="Ghi vắng thi"
                )
    return {
        "created": len(created),
        "absent": sum(1 for s in created if s.status == ScriptStatus.ABSENT) + len(turned),
        "total": len(keys) + len(created),
    }


# --- 2. markers -------------------------------------------------------------------------------------------


def assign_markers(actor, exam_subject, markers_round1: Iterable, markers_round2: Iterable = ()) -> dict[str, int]:
    """The secretariat gives the subject's scripts still to be marked to markers: a round-1 mark
    (and, for a double-marked subject, a round-2 mark) with no score yet; a script's round-2
    marker is never its round-1 marker. A subject not double-marked has round 1 only
    (``markers_round2`` is ignored). Idempotent: scripts that already have a round's mark keep it.

    Spreading: round robin over each round's markers in code order (codes are random), the least
    loaded of this subject first; round 2 starts one seat further on, so the same list of markers
    for both rounds never gives a script twice to one person; a clash with the other round's
    marker moves on to the next seat."""
    with transaction.atomic(), acting_here(actor):
        subject = _subject_for(actor, exam_subject)
        exam = subject.exam
        _require(actor, exam, (BoardRole.SECRETARIAT,), "phân công chấm thi")
        _refuse_if_published(exam)
        _refuse_if_matched(subject)
        double = subject.double_marked
        first = marker_seats(exam, markers_round1, field="markers_round1", label="Cán bộ chấm lần 1")
        second = marker_seats(exam, markers_round2, field="markers_round2", label="Cán bộ chấm lần 2") if double else []
        if not first:
            raise ValidationError({"markers_round1": "Hãy chọn ít nhất một cán bộ chấm lần 1."})
        if double and not second:
            raise ValidationError({"markers_round2": "Môn chấm hai vòng: hãy chọn ít nhất một cán bộ chấm lần 2."})
        if double and len({s.user_id for s in first} | {s.user_id for s in second}) < 2:
            raise ValidationError({"markers_round2": "Chấm hai vòng độc lập cần ít nhất hai cán bộ chấm khác nhau."})
        rounds = [(MarkRound.FIRST, first)] + ([(MarkRound.SECOND, second)] if double else [])
        scripts = list(
            Script.objects.filter(exam_subject=subject, status=ScriptStatus.MARKING)
            .order_by("code")
            .values_list("pk", "code")
        )
        given: dict[int, dict[str, int]] = defaultdict(dict)  # script -> round -> marker's user id
        load: Counter = Counter()  # (round, seat) -> scripts
        for script_id, round_, seat_id, user_id in Mark.objects.filter(
            script__exam_subject=subject, round__in=[r for r, _ in rounds]
        ).values_list("script_id", "round", "marker_id", "marker__user_id"):
            given[script_id][round_] = user_id
            load[(round_, seat_id)] += 1
        new: list[Mark] = []
        counts: Counter = Counter()
        for shift, (round_, seats) in enumerate(rounds):
            # Round robin from the least loaded; round 2 starts one seat further on, so that with
            # the same markers in both rounds a script's two markers always differ.
            order = sorted(seats, key=lambda s, r=round_: (load[(r, s.pk)], seats.index(s)))
            position = shift
            for script_id, code in scripts:
                if round_ in given[script_id]:
                    continue
                others = {u for r, u in given[script_id].items() if r != round_}
                for step in range(len(order)):
                    seat = order[(position + step) % len(order)]
                    if seat.user_id not in others:
                        break
                else:
                    raise ValidationError(
                        {
                            "markers_round2": (
                                f"Bài phách {code}: cán bộ chấm lần 2 phải khác cán bộ chấm lần 1; "
                                "hãy chọn thêm cán bộ chấm."
                            )
                        }
                    )
                position += step + 1
                given[script_id][round_] = seat.user_id
                new.append(Mark(script_id=script_id, marker=seat, round=round_))
                counts[round_] += 1
        bulk_create_with_history(new, Mark, actor=actor, default_change_reason="Phân công chấm")
    return {"round1": counts[MarkRound.FIRST], "round2": counts[MarkRound.SECOND]}


# --- 3. entering marks -----------------------------------------------------------------------------------


def _open_appeal_scripts(script_ids: Iterable[int]) -> set[int]:
    """The scripts (of ``script_ids``) whose candidate's score in that subject is being re-marked."""
    keys = list(
        ScriptKey.objects.filter(script_id__in=list(script_ids)).values_list(
            "script_id", "candidate_id", "script__exam_subject_id"
        )
    )
    if not keys:
        return set()
    open_ = set(
        Appeal.objects.filter(
            status=AppealStatus.MARKING,
            score__candidate_id__in=[c for _, c, _ in keys],
            score__exam_subject_id__in=[s for _, _, s in keys],
        ).values_list("score__candidate_id", "score__exam_subject_id")
    )
    return {script for script, candidate, subject in keys if (candidate, subject) in open_}


def _save_scores(actor, marks: list[Mark], scores: dict[int, object], *, reason: str) -> dict:
    """Check ``scores`` against ``marks`` (their script, subject and exam loaded), write those
    that changed with history and reconcile their scripts. Every problem is reported at once,
    keyed by the mark's id and naming the script's code; nothing is written if there is one."""
    errors: dict[str, list[str]] = {}
    subject_ids = {m.script.exam_subject_id for m in marks}
    matched = matched_subject_ids(subject_ids) if any(m.round in MARKING_ROUNDS for m in marks) else set()
    appeal_ids = [m.script_id for m in marks if m.round in APPEAL_ROUNDS]
    appealing = _open_appeal_scripts(appeal_ids) if appeal_ids else set()
    changed: list[Mark] = []
    now = timezone.now()
    for mark in marks:
        script = mark.script
        subject = script.exam_subject
        where = f"Phách {script.code} – {subject.name} ({mark.get_round_display().lower()})"
        problem = None
        if mark.round in MARKER_ROUNDS:
            if subject.exam.is_published():
                problem = "kết quả kỳ thi đã công bố, điểm đã khoá"
            elif subject.pk in matched:
                problem = "môn thi đã ghép phách, điểm đã khoá (chỉ thay đổi qua phúc khảo)"
            elif script.status == ScriptStatus.ABSENT:
                problem = "thí sinh vắng thi, bài không chấm"
        elif mark.round in APPEAL_ROUNDS:
            if script.pk not in appealing:
                problem = "đơn phúc khảo của bài này không còn ở bước chấm phúc khảo"
        else:
            problem = "điểm thống nhất do chủ tịch hội đồng ghi trên trang bài thi"
        value = None
        if problem is None:
            raw = scores[mark.pk]
            try:
                value = parse_score(raw)
            except ValueError:
                problem = f"“{raw}” không phải là điểm (ví dụ 6,75)"
            else:
                if value is None:
                    problem = (
                        "chưa nhập điểm" if mark.score is None else "không xoá được điểm đã chấm; hãy nhập điểm mới"
                    )
                else:
                    problem = score_problem(value, subject.max_score)
        if problem:
            errors.setdefault(str(mark.pk), []).append(f"{where}: {problem}.")
            continue
        value = value.quantize(Decimal("0.01"))
        if mark.score != value:
            mark.score, mark.marked_at = value, now
            changed.append(mark)
    if errors:
        raise ValidationError(errors)
    if changed:
        bulk_update_with_history(changed, Mark, ["score", "marked_at"], actor=actor, default_change_reason=reason)
    scripts = {m.script_id: m.script for m in changed if m.round in MARKING_ROUNDS}
    statuses = _reconcile(actor, scripts.values(), "Đối chiếu điểm chấm")
    return {"saved": len(changed), "unchanged": len(marks) - len(changed), "scripts": statuses}


def _scores_by_id(scores: Mapping) -> dict[int, object]:
    out: dict[int, object] = {}
    for key, value in scores.items():
        pk = as_id(getattr(key, "pk", key))
        if pk is None:
            raise ValidationError(f"“{key}” không phải là mã điểm chấm hợp lệ.")
        out[pk] = value
    return out


def enter_marks(actor, scores: Mapping) -> dict:
    """A marker enters their own marks, ``{mark id: score}`` in one transaction (the door's
    "change" on ``Mark``: only one's own). A score is 0..the subject's maximum in steps of 0.25.
    Rounds 1–3 are refused once the subject is matched or the results published; the appeal
    rounds only while their appeal is being marked. A blank score leaves the mark as it is
    when it has none (a batch page posts every row), but its id is checked like any other: a
    batch naming a mark that is not the actor's own is refused whole, with the same message as
    an id that does not exist. The subjects and then the scripts are locked first
    (``lock_scripts``), so "matched" and the reconciliation see every concurrent save. Each
    saved script is reconciled; a change after a script is final reconciles it again. Queries
    do not grow with the batch. ``ids``: the marks accepted (all of them, the actor's own)."""
    posted = _scores_by_id(scores)
    if not posted:
        return {"saved": 0, "unchanged": 0, "scripts": {}, "ids": []}
    with transaction.atomic(), acting_here(actor):
        # Every id posted, blank or not, must be one of the actor's own marks: a batch naming
        # anybody else's mark (or none at all) is refused whole, with one message for both, so
        # nothing confirms that a mark exists or echoes it back.
        reachable = visible_to(actor, Mark, "change").filter(pk__in=list(posted))
        scripts = lock_scripts(reachable.values("script_id"))
        marks = list(reachable.select_related("marker").select_for_update(of=("self",)).order_by("pk"))
        found = {m.pk for m in marks}
        missing = [pk for pk in posted if pk not in found]
        if missing:
            raise ValidationError(
                {str(pk): f"Điểm chấm số {pk}: không có trong các bài được phân công cho bạn." for pk in missing}
            )
        for mark in marks:
            mark.script = scripts[mark.script_id]
        wanted = {pk: v for pk, v in posted.items() if not (v is None or (isinstance(v, str) and not v.strip()))}
        done = _save_scores(actor, [m for m in marks if m.pk in wanted], wanted, reason="Cán bộ chấm nhập điểm")
        done["ids"] = sorted(found)
        return done


def import_refusal(actor, exam_subject: ExamSubject, round_: str) -> str | None:
    """Why the secretariat may not import marks of ``round_`` for the subject now (None: may)."""
    exam = exam_subject.exam
    if BoardRole.SECRETARIAT not in board_roles(actor, exam):
        return "Chỉ thư ký hội đồng thi mới nhập điểm chấm từ tệp."
    if round_ not in IMPORT_ROUNDS:
        return "Chỉ nhập được điểm chấm lần 1 hoặc lần 2."
    if round_ == MarkRound.SECOND and not exam_subject.double_marked:
        return f"Môn {exam_subject.name} chỉ chấm một lần."
    if exam.is_published():
        return "Kết quả kỳ thi đã công bố: điểm đã khoá, chỉ thay đổi qua phúc khảo."
    if is_matched(exam_subject):
        return f"Môn {exam_subject.name} đã ghép phách: điểm chấm đã khoá."
    return None


def record_marks(actor, exam_subject, round_: str, scores: Mapping) -> dict:
    """The secretariat records a round's marks of one subject from the markers' sheets
    (``exams.marks_import``), ``{mark id: score}``; the history names the secretariat. Same
    checks and reconciliation as ``enter_marks``."""
    wanted = _scores_by_id(scores)
    with transaction.atomic(), acting_here(actor):
        subject = _subject_for(actor, exam_subject)
        refusal = import_refusal(actor, subject, round_)
        if refusal:
            raise ValidationError(refusal)
        reachable = Mark.objects.filter(pk__in=list(wanted), script__exam_subject=subject, round=round_)
        scripts = lock_scripts(reachable.values("script_id"))
        marks = list(reachable.select_related("marker").select_for_update(of=("self",)).order_by("pk"))
        if len(marks) != len(wanted):
            raise ValidationError("Có điểm chấm không thuộc môn thi và lượt chấm đã chọn.")
        for mark in marks:
            mark.script = scripts[mark.script_id]
        return _save_scores(actor, marks, wanted, reason="Thư ký nhập điểm từ tệp")


# --- 4. disputed scripts -------------------------------------------------------------------------------


def assign_third(actor, script, marker) -> Mark:
    """The chair or the secretariat gives a disputed script to a third marker, who marked
    neither round 1 nor round 2 of it. An unscored third mark may be given to someone else: the
    unscored row is replaced by a fresh one (its history kept), so the new marker's mark has no
    trace of the marker before."""
    with transaction.atomic(), acting_here(actor):
        script = _script_for(actor, script)
        subject, exam = script.exam_subject, script.exam_subject.exam
        _require(actor, exam, (BoardRole.CHAIR, BoardRole.SECRETARIAT), "phân công chấm lần ba")
        _refuse_if_published(exam)
        _refuse_if_matched(subject)
        if script.status != ScriptStatus.DISPUTED:
            raise ValidationError(f"Bài phách {script.code} không ở trạng thái lệch điểm; không cần chấm lần ba.")
        (seat,) = marker_seats(exam, [marker], field="marker", label="Cán bộ chấm lần 3")
        marks = {m.round: m for m in Mark.objects.filter(script=script).select_related("marker")}
        earlier = {marks[r].marker.user_id for r in (MarkRound.FIRST, MarkRound.SECOND) if r in marks}
        if seat.user_id in earlier:
            raise ValidationError(
                {"marker": f"Bài phách {script.code}: cán bộ chấm lần 3 phải khác hai cán bộ đã chấm lần 1 và lần 2."}
            )
        third = marks.get(MarkRound.THIRD)
        if third is not None and third.score is not None:
            raise ValidationError(f"Bài phách {script.code} đã có điểm chấm lần 3.")
        if third is not None:
            if third.marker_id == seat.pk:
                return third
            # A fresh row for the new marker, so their mark's history never names who had the
            # script before; the unscored assignment it replaces is kept in the history (the
            # board reads it on the mark's page).
            third._change_reason = "Phân công lại chấm lần 3"
            third.delete()
        third = Mark(script=script, marker=seat, round=MarkRound.THIRD)
        third._change_reason = "Phân công chấm lần 3"
        third.save()
    return third


def record_joint(actor, script, score) -> Script:
    """The chair records the joint decision (đối thoại) on a disputed script, on the chair's
    seat: a JOINT mark, which makes the script final. It may be corrected until matching."""
    with transaction.atomic(), acting_here(actor):
        script = _script_for(actor, script)
        subject, exam = script.exam_subject, script.exam_subject.exam
        _require(actor, exam, (BoardRole.CHAIR,), "ghi điểm thống nhất")
        seat = board_seat(actor, exam, BoardRole.CHAIR)
        _refuse_if_published(exam)
        _refuse_if_matched(subject)
        joint = Mark.objects.filter(script=script, round=MarkRound.JOINT).first()
        if script.status != ScriptStatus.DISPUTED and joint is None:
            raise ValidationError(f"Bài phách {script.code} không ở trạng thái lệch điểm; không cần điểm thống nhất.")
        value = checked_score(score, subject.max_score, f"Bài phách {script.code}, điểm thống nhất")
        if joint is None:
            joint = Mark(script=script, round=MarkRound.JOINT)
        if joint.score != value or joint.marker_id != seat.pk:
            joint.marker, joint.score, joint.marked_at = seat, value, timezone.now()
            joint._change_reason = "Đối thoại thống nhất điểm"
            joint.save()
        _reconcile(actor, [script], "Điểm thống nhất")
    return script


# --- 5. matching back -----------------------------------------------------------------------------------


def match(actor, exam_subject) -> dict[str, int]:
    """Ghép phách: the secretariat matches the subject's codes back to candidates once every
    script is FINAL or ABSENT, writing one ``CandidateScore`` per script (its final score, or
    ``absent=True``). Idempotent (a second run writes nothing). From then on the subject's
    marks are frozen; only an appeal changes a score."""
    with transaction.atomic(), acting_here(actor):
        subject = _subject_for(actor, exam_subject)
        exam = subject.exam
        _require(actor, exam, (BoardRole.SECRETARIAT,), "ghép phách")
        counts = dict(
            Script.objects.filter(exam_subject=subject).values_list("status").annotate(n=Count("pk")).order_by()
        )
        if not counts:
            raise ValidationError(f"Môn {subject.name} chưa có bài thi nào (chưa làm phách).")
        waiting = counts.get(ScriptStatus.MARKING, 0)
        disputed = counts.get(ScriptStatus.DISPUTED, 0)
        if waiting or disputed:
            parts = []
            if waiting:
                parts.append(f"{waiting} bài chưa đủ điểm chấm")
            if disputed:
                parts.append(f"{disputed} bài lệch điểm chờ chấm lần ba hoặc đối thoại")
            raise ValidationError(f"Chưa ghép phách được môn {subject.name}: còn {' và '.join(parts)}.")
        existing = set(CandidateScore.objects.filter(exam_subject=subject).values_list("candidate_id", flat=True))
        keys = list(
            ScriptKey.objects.filter(script__exam_subject=subject).values_list(
                "candidate_id", "script__status", "script__final_score"
            )
        )
        if existing and len(existing) >= len(keys):
            return {"created": 0, "total": len(keys)}
        _refuse_if_published(exam)
        without = (
            Candidate.objects.filter(exam=exam, withdrawn=False)
            .exclude(number="")
            .exclude(pk__in=[c for c, _, _ in keys])
            .count()
        )
        if without:
            raise ValidationError(
                f"Chưa ghép phách được môn {subject.name}: còn {without} thí sinh chưa có bài thi; "
                "hãy làm phách bổ sung."
            )
        now = timezone.now()
        rows = [
            CandidateScore(
                candidate_id=candidate_id,
                exam_subject=subject,
                score=None if status == ScriptStatus.ABSENT else final,
                absent=status == ScriptStatus.ABSENT,
                matched_at=now,
            )
            for candidate_id, status, final in keys
            if candidate_id not in existing
        ]
        bulk_create_with_history(rows, CandidateScore, actor=actor, default_change_reason="Ghép phách")
        # matched between the scheduling and the moment (a board-marked subject of the graduation exam): the
        # public lookup's items of these candidates carry the new scores
        portal_scores.write_candidates(exam, [row.candidate_id for row in rows])
    return {"created": len(rows), "total": len(keys)}


# --- what the pages show ------------------------------------------------------------------------------


def subject_summary(exam: Exam) -> list[dict]:
    """Per subject of ``exam``: scripts by status, marks given and entered, whether matched.
    For the chair and secretariat's dashboard (the caller checks who asks). Four queries."""
    subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
    by_status: dict[int, Counter] = defaultdict(Counter)
    for subject_id, status, n in (
        Script.objects.filter(exam_subject__exam=exam).values_list("exam_subject_id", "status").annotate(n=Count("pk"))
    ).order_by():
        by_status[subject_id][status] = n
    marks: dict[int, Counter] = defaultdict(Counter)
    for subject_id, round_, given, entered in (
        Mark.objects.filter(script__exam_subject__exam=exam, round__in=(MarkRound.FIRST, MarkRound.SECOND))
        .values_list("script__exam_subject_id", "round")
        .annotate(given=Count("pk"), entered=Count("pk", filter=Q(score__isnull=False)))
        .order_by()
    ):
        marks[subject_id][f"given_{round_}"] = given
        marks[subject_id][f"entered_{round_}"] = entered
    matched = matched_subject_ids(s.pk for s in subjects)
    out = []
    for subject in subjects:
        counts = by_status[subject.pk]
        out.append(
            {
                "subject": subject,
                "total": sum(counts.values()),
                "marking": counts[ScriptStatus.MARKING],
                "disputed": counts[ScriptStatus.DISPUTED],
                "final": counts[ScriptStatus.FINAL],
                "absent": counts[ScriptStatus.ABSENT],
                "given_1": marks[subject.pk]["given_1"],
                "entered_1": marks[subject.pk]["entered_1"],
                "given_2": marks[subject.pk]["given_2"],
                "entered_2": marks[subject.pk]["entered_2"],
                "matched": subject.pk in matched,
                "ready": bool(counts) and not counts[ScriptStatus.MARKING] and not counts[ScriptStatus.DISPUTED],
            }
        )
    return out


def writable_marks(marks: list[Mark]) -> set[int]:
    """Of ``marks`` (script, subject and exam loaded), those their marker may still enter or
    correct now: rounds 1–3 before matching and publication on a script not absent, appeal
    rounds while their appeal is being marked. Two queries at most."""
    matched = matched_subject_ids({m.script.exam_subject_id for m in marks if m.round in MARKER_ROUNDS})
    appeal_ids = [m.script_id for m in marks if m.round in APPEAL_ROUNDS]
    appealing = _open_appeal_scripts(appeal_ids) if appeal_ids else set()
    out = set()
    for m in marks:
        subject = m.script.exam_subject
        if m.round in MARKER_ROUNDS:
            if not subject.exam.is_published() and subject.pk not in matched and m.script.status != ScriptStatus.ABSENT:
                out.add(m.pk)
        elif m.round in APPEAL_ROUNDS and m.script_id in appealing:
            out.add(m.pk)
    return out
