"""Pages of module (a): year results — a class's results per period (compute, approve, export), the
school's statistics (compute the whole school in the background), one learner's year (re-tests, the
principal's decision for an individual plan, summer conduct) and the learners' own page."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.roles import ADMIN_ROLES, LEARNER_ROLES, OVERSIGHT_ROLES, SCHOOL_LEVEL_KINDS, Role
from sms.accounts.scoping import visible_to
from sms.exports import xlsx
from sms.jobs.services import enqueue
from sms.org.models import SchoolClass, SchoolYear, Subject, SubjectPlan, Unit
from sms.shell.modules import ModulePage, register_page
from sms.text import midsentence
from sms.views import ActorMixin, ScopedDetailView, ScopedObjectMixin

from .. import jobs, rules
from ..models import GRADE_READERS, Enrolment, Period, Score, SubjectResult, TermResult
from ..services import corrections
from ..services import results as service

JOB_KIND = jobs.COMPUTE_JOB
PERIODS = list(Period.choices)


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _period(value: str | None, default: str = Period.YEAR) -> str:
    return value if value in Period.values else default


def _require_grade_reader(actor) -> None:
    if actor.role not in GRADE_READERS:
        raise PermissionDenied("Vai trò hiện tại của bạn không xem được kết quả học tập của lớp.")


# --- a class ---------------------------------------------------------------------------------------------


class ClassResults(ScopedObjectMixin, generic.DetailView):
    """Học sinh × môn của một lớp cho một kỳ (?ky=hk1|hk2|cn), kết quả học tập, rèn luyện, nghỉ, lên lớp,
    danh hiệu và những gì còn thiếu; ?format=xlsx xuất bảng."""

    model = SchoolClass

    template_name = "students/class_results.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school_year", "school", "homeroom_teacher")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        _require_grade_reader(self.actor)
        self.period = _period(request.GET.get("ky"))
        self.table = service.class_table(self.actor, self.object, self.period)
        if request.GET.get("format") == "xlsx":
            return self.export()
        return self.render_to_response(self.get_context_data(object=self.object))

    def export(self):
        klass, table = self.object, self.table
        book = xlsx.Workbook()
        label = dict(PERIODS)[self.period]
        columns = [("STT", 6), ("Họ và tên", 28), ("Mã định danh", 14)]
        columns += [(name, 10) for name in table["subjects"]]
        if table["has_terms"]:
            columns += [
                ("Kết quả học tập", 16),
                ("Ghi chú kết quả", 30),
                ("Rèn luyện", 14),
                ("Số buổi nghỉ", 10),
                ("Có phép", 8),
                ("Lên lớp / hoàn thành", 20),
                ("Danh hiệu", 18),
                ("Còn thiếu", 40),
            ]
        sheet = book.sheet(f"{klass.name} {label}", columns)
        for row in table["rows"]:
            student = row["enrolment"].student
            values = [row["number"], student.full_name, student.learner_code, *row["cells"]]
            term = row["term"]
            if table["has_terms"]:
                stored = row.get("raw")
                values += [
                    term["learning"],
                    "; ".join(text for text in (term["note"], term["after_retest"]) if text),
                    term["conduct"],
                    stored.absences if stored else "",
                    stored.absences_excused if stored else "",
                    term["outcome"],
                    term["title"],
                    "; ".join(term["missing"]),
                ]
            sheet.row(values)
        filename = f"Kết quả {midsentence(label)} lớp {klass.name} {klass.school_year}.xlsx"
        return xlsx.response(book.save(), filename)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        klass, actor = self.object, self.actor
        context.update(
            table=self.table,
            period=self.period,
            period_label=dict(PERIODS)[self.period],
            periods=PERIODS,
            may_compute=service.may_compute(actor, klass.school_year, klass),
            may_approve=service.may_approve(actor, klass),
            rule_set_label=rules.RuleSet(self.table["rule_set"]).label,
        )
        return context


class ClassResultsAction(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """A POST on a class (the buttons of the class page), answered with a redirect and a message."""

    model = SchoolClass

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        period = _period(request.POST.get("ky"))
        try:
            text = self.act(self.object, period)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, text)
        return redirect(f"{reverse('students:class-results', kwargs={'pk': self.object.pk})}?ky={period}")


class ClassResultsCompute(ClassResultsAction):
    def act(self, klass, period):
        return service.compute_results(self.actor, klass.school_year, school_class=klass).message


class ClassResultsApprove(ClassResultsAction):
    def act(self, klass, period):
        count = service.approve_results(self.actor, klass, period)
        return f"Đã duyệt kết quả {midsentence(dict(PERIODS)[period])} của {count} học sinh lớp {klass.name}."


# --- the school (and Phòng/Sở) statistics ---------------------------------------------------------------


def _ordered(pairs):
    seen, out = set(), []
    for value, label in pairs:
        if value not in seen:
            seen.add(value)
            out.append((value, label))
    return out


LEARNING_ORDER = _ordered([*rules.Level.choices, *rules.LegacyLearning.choices, *rules.PrimaryResult.choices])
CONDUCT_ORDER = _ordered([*rules.Level.choices, *rules.LegacyConduct.choices])
OUTCOME_ORDER = list(rules.Outcome.choices)
TITLE_ORDER = list(rules.Title.choices)


class SchoolResults(ActorMixin, generic.TemplateView):
    """Số học sinh theo kết quả học tập, rèn luyện, lên lớp và danh hiệu — theo khối và lớp của một trường,
    hoặc theo trường cho Phòng/Sở (mọi dữ liệu qua ``visible_to``). Hiệu trưởng và quản trị nhà trường tính
    kết quả toàn trường bằng một tác vụ nền."""

    template_name = "students/school_results.html"

    def get(self, request, *args, **kwargs):
        _require_grade_reader(self.actor)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        actor = self.actor
        if actor.role not in service.COMPUTERS:
            raise PermissionDenied("Chỉ hiệu trưởng hoặc quản trị nhà trường tính kết quả toàn trường.")
        raw = request.POST.get("school_year", "")
        year = (
            visible_to(actor, SchoolYear).filter(pk=raw, school_id=actor.unit_id).first()
            if raw.isdigit() and len(raw) < 19
            else None
        )
        if year is None:
            messages.error(request, "Hãy chọn năm học của trường.")
            return redirect("students:school-results")
        try:
            job = enqueue(actor, JOB_KIND, school_year=year.pk)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect("students:school-results")
        messages.success(request, "Đã tạo tác vụ tính kết quả cả năm học của trường; theo dõi tiến độ tại đây.")
        return redirect(job.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actor, params = self.actor, self.request.GET
        at_school = actor.unit.kind in SCHOOL_LEVEL_KINDS
        years_qs = visible_to(actor, SchoolYear)
        start_years = sorted(set(years_qs.values_list("start_year", flat=True)), reverse=True)
        asked = params.get("nam", "")
        current = years_qs.filter(is_current=True).values_list("start_year", flat=True).first()
        year = (
            int(asked) if asked.isdigit() and int(asked) in start_years else (current or next(iter(start_years), None))
        )
        period = _period(params.get("ky"))
        schools = visible_to(actor, Unit).filter(kind__in=SCHOOL_LEVEL_KINDS).order_by("name")
        school = None
        raw = params.get("truong", "")
        if not at_school and raw.isdigit() and len(raw) < 19:
            school = schools.filter(pk=raw).first()
        results = visible_to(actor, TermResult).filter(enrolment__school_year__start_year=year, period=period)
        if school is not None:
            results = results.filter(school=school)
        by_class = at_school or school is not None
        keys = (
            ["enrolment__school_class_id", "enrolment__school_class__grade", "enrolment__school_class__name"]
            if by_class
            else ["school_id", "school__name"]
        )
        grouped = (
            results.values(
                *keys, "learning", "manual_learning", "learning_after_retest", "conduct", "outcome", "title", "missing"
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        context.update(self._tables(grouped, by_class))
        own_year = None
        if at_school and actor.role in service.COMPUTERS and year is not None:
            own_year = years_qs.filter(school_id=actor.unit_id, start_year=year).first()
        context.update(
            start_years=start_years,
            year=year,
            period=period,
            period_label=dict(PERIODS)[period],
            periods=PERIODS,
            schools=schools if not at_school else None,
            school=school,
            by_class=by_class,
            own_year=own_year,
        )
        return context

    @staticmethod
    def _tables(grouped, by_class: bool) -> dict:
        counts: dict = defaultdict(lambda: {"n": 0, "incomplete": 0, "learning": Counter(), "conduct": Counter(),
                                            "outcome": Counter(), "title": Counter()})  # fmt: skip
        heads = {}
        for row in grouped:
            if by_class:
                key = (row["enrolment__school_class__grade"], row["enrolment__school_class__name"])
                heads[key] = {"grade": key[0], "name": key[1], "pk": row["enrolment__school_class_id"]}
            else:
                key = (row["school__name"], row["school_id"])
                heads[key] = {"name": key[0], "pk": key[1]}
            entry, n = counts[key], row["n"]
            entry["n"] += n
            # the level re-assessed after the summer re-tests, when there is one, counts in the statistics
            learning = row["learning_after_retest"] or row["manual_learning"] or row["learning"]
            if row["missing"] or not learning:
                entry["incomplete"] += n
            else:
                entry["learning"][learning] += n
            if row["conduct"]:
                entry["conduct"][row["conduct"]] += n
            if row["outcome"]:
                entry["outcome"][row["outcome"]] += n
            if row["title"]:
                entry["title"][row["title"]] += n
        used = {dim: set() for dim in ("learning", "conduct", "outcome", "title")}
        for entry in counts.values():
            for dim in used:
                used[dim].update(entry[dim])
        columns = {
            "learning": [(v, lbl) for v, lbl in LEARNING_ORDER if v in used["learning"]],
            "conduct": [(v, lbl) for v, lbl in CONDUCT_ORDER if v in used["conduct"]],
            "outcome": [(v, lbl) for v, lbl in OUTCOME_ORDER if v in used["outcome"]],
            "title": [(v, lbl) for v, lbl in TITLE_ORDER if v in used["title"]],
        }
        rows = []
        for key in sorted(counts):
            entry = counts[key]
            rows.append(
                {
                    **heads[key],
                    "n": entry["n"],
                    "incomplete": entry["incomplete"],
                    **{dim: [entry[dim][v] for v, _ in columns[dim]] for dim in columns},
                }
            )

        def total(part: list[dict]) -> dict:
            return {
                "n": sum(r["n"] for r in part),
                "incomplete": sum(r["incomplete"] for r in part),
                **{dim: [sum(r[dim][i] for r in part) for i in range(len(columns[dim]))] for dim in columns},
            }

        totals = total(rows)
        if by_class:
            # a subtotal line after each grade's classes
            with_grades = []
            for grade in sorted({r["grade"] for r in rows}):
                classes = [r for r in rows if r["grade"] == grade]
                with_grades += [*classes, {"grade": grade, "name": f"Khối {grade}", "subtotal": True, **total(classes)}]
            rows = with_grades
        tables = [
            ("learning", "Kết quả học tập", True),
            ("conduct", "Kết quả rèn luyện / hạnh kiểm", False),
            ("outcome", "Lên lớp, hoàn thành chương trình", False),
            ("title", "Danh hiệu", False),
        ]
        return {
            "tables": [
                {
                    "key": key,
                    "title": title,
                    "columns": columns[key],
                    "with_incomplete": incomplete,
                    "rows": [{**r, "cells": r[key]} for r in rows],
                    "totals": totals[key],
                }
                for key, title, incomplete in tables
            ],
            "totals": totals,
            "has_rows": bool(rows),
        }


# --- one learner's year -------------------------------------------------------------------------------


class EnrolmentResults(ScopedDetailView):
    """Một học sinh trong một năm học: điểm từng môn từng học kỳ, trung bình, kết quả, kiểm tra lại, rèn luyện
    hè. Học sinh và cha mẹ thấy điểm khi giáo viên đã gửi bảng, kết quả khi hiệu trưởng đã duyệt."""

    model = Enrolment
    template_name = "students/enrolment_results.html"
    audit_reads = True

    def get_queryset(self):
        return super().get_queryset().select_related("student", "school_class", "school_year", "school")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        enrolment, actor = self.object, self.actor
        klass, year = enrolment.school_class, enrolment.school_year
        rule_set = rules.rule_set_for(year.start_year, klass.grade)
        primary = rules.is_primary(rule_set)
        scores = (
            visible_to(actor, Score)
            .filter(enrolment=enrolment)
            .select_related("sheet__semester", "sheet__subject")
            .order_by("sheet__subject__name", "sheet__semester__number")
        )
        subject_results = visible_to(actor, SubjectResult).filter(enrolment=enrolment).select_related("subject")
        terms = {t.period: t for t in visible_to(actor, TermResult).filter(enrolment=enrolment)}
        subjects: dict = {}
        for plan in (
            visible_to(actor, SubjectPlan).filter(school_year=year, grade=klass.grade).select_related("subject")
        ):
            subjects[plan.subject_id] = plan.subject
        cells: dict = defaultdict(list)
        for score in scores:
            subjects.setdefault(score.sheet.subject_id, score.sheet.subject)
            if not score.value:
                continue
            labels = {c["key"]: c["label"] for c in score.sheet.columns}
            order = [c["key"] for c in score.sheet.columns]
            position = order.index(score.column) if score.column in order else len(order)
            value = score.value.replace(".", ",")
            cells[(score.sheet.subject_id, score.sheet.semester.number)].append(
                (position, f"{labels.get(score.column, score.column)}: {value}")
            )
        by_subject: dict = {}
        for row in subject_results:
            subjects.setdefault(row.subject_id, row.subject)
            by_subject[(row.subject_id, row.period)] = row
        names = {s.code: s.name for s in subjects.values()}
        exempt = service.exempted([enrolment.pk])
        lines = []
        for subject in sorted(subjects.values(), key=lambda s: (s.name, s.pk)):
            line = {"subject": subject}
            for number, period in ((1, Period.SEMESTER_1), (2, Period.SEMESTER_2)):
                line[f"cells{number}"] = [text for _, text in sorted(cells.get((subject.pk, number), []))]
                line[f"result{number}"] = service.cell_text(
                    by_subject.get((subject.pk, period)),
                    subject.assessment,
                    primary=primary,
                    excluded=(enrolment.pk, subject.pk, period) in exempt,
                )
            line["year"] = service.cell_text(by_subject.get((subject.pk, Period.YEAR)), subject.assessment,
                                             primary=primary)  # fmt: skip
            lines.append(line)
        periods = [Period.YEAR] if primary else [Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR]
        term_rows = [
            {"period": period, "label": dict(PERIODS)[period], **service.term_texts(terms.get(period), names)}
            for period in periods
        ]
        context.update(
            student=enrolment.student,
            klass=klass,
            year=year,
            rule_set_label=rules.RuleSet(rule_set).label,
            primary=primary,
            lines=lines,
            term_rows=term_rows,
            corrections=corrections.page_rows(actor, enrolment),
            **self._forms(enrolment, terms, rule_set),
        )
        return context

    def _forms(self, enrolment, terms, rule_set) -> dict:
        actor = self.actor
        may_retest = service.may_record_retest(actor, enrolment)
        may_manual = service.may_set_manual(actor, enrolment)
        may_summer = service.may_record_summer_conduct(actor, enrolment)
        forms = {"retest_subjects": [], "manual_periods": [], "summer": False}
        if not (may_retest or may_manual or may_summer) or actor.role in LEARNER_ROLES:
            return forms
        state = service.learner_state(enrolment)
        if state is None:
            return forms
        if may_retest and state.stage == rules.Outcome.RETEST:
            forms["retest_subjects"] = state.retest_subjects
        if may_manual:
            forms["manual_periods"] = [
                {"period": p, "label": dict(PERIODS)[p], "term": terms[p]}
                for p in (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
                if p in state.iep_periods and p in terms and terms[p].status != "approved"
            ]
            forms["learning_choices"] = service.learning_choices(rule_set)
        year = terms.get(Period.YEAR)
        if (
            may_summer
            and year is not None
            and (state.stage == rules.Outcome.SUMMER_TRAINING or year.conduct_after_summer)
        ):
            forms["summer"] = True
            forms["summer_current"] = year.conduct_after_summer
            forms["conduct_choices"] = list(rules.Level.choices)
        return forms


class EnrolmentAction(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """A POST on one learner's year (the forms of the learner's results page)."""

    model = Enrolment
    http_method_names = ["post"]

    def get_queryset(self):
        return super().get_queryset().select_related("student", "school_class", "school_year")

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            text = self.act(request.POST, self.object)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, text)
        return redirect(reverse("students:enrolment-results", kwargs={"pk": self.object.pk}))


class EnrolmentRetest(EnrolmentAction):
    def act(self, data, enrolment):
        raw = data.get("subject", "")
        subject = visible_to(self.actor, Subject).filter(pk=raw).first() if raw.isdigit() and len(raw) < 19 else None
        if subject is None:
            raise ValidationError("Hãy chọn môn kiểm tra lại.")
        service.record_retest(self.actor, enrolment, subject, data.get("value", ""))
        return f"Đã ghi kết quả kiểm tra lại môn {subject.name}."


class EnrolmentManualLearning(EnrolmentAction):
    def act(self, data, enrolment):
        period = data.get("period", "")
        term = visible_to(self.actor, TermResult).filter(enrolment=enrolment, period=period).first()
        if term is None:
            raise ValidationError("Chưa có kết quả của kỳ này: hãy tính kết quả trước.")
        service.set_manual_learning(self.actor, term, data.get("level", ""), data.get("reason", ""))
        return f"Đã lưu kết quả {midsentence(dict(PERIODS)[period])} do hiệu trưởng xác định."


class EnrolmentSummerConduct(EnrolmentAction):
    def act(self, data, enrolment):
        service.record_summer_conduct(self.actor, enrolment, data.get("level", ""))
        return "Đã ghi kết quả rèn luyện sau hè."


# --- learners and their families ----------------------------------------------------------------------


class MyResults(ActorMixin, generic.TemplateView):
    """Học sinh và cha mẹ: các năm học của mình (của con), nhóm theo từng con; mỗi con dẫn tới trang gia đình
    (students:family-child, điểm, trung bình, rèn luyện, chuyên cần, trên điện thoại), mỗi năm tới trang kết quả."""

    template_name = "students/my_results.html"

    def get(self, request, *args, **kwargs):
        if self.actor.role not in LEARNER_ROLES:
            raise PermissionDenied("Trang này dành cho học sinh và cha mẹ học sinh.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actor = self.actor
        enrolments = list(
            visible_to(actor, Enrolment)
            .select_related("student", "school_class", "school_year", "school")
            .order_by("student__sort_key", "student_id", "-school_year__start_year")
        )
        # The door shows a learner only approved results, so a period approved so far (semester
        # I in January) appears on its own, before the year's.
        terms = {
            (t.enrolment_id, t.period): t
            for t in visible_to(actor, TermResult).filter(enrolment_id__in=[e.pk for e in enrolments])
        }
        rows = []
        for enrolment in enrolments:
            texts = {p: terms.get((enrolment.pk, p)) for p in (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)}
            rows.append(
                {
                    "enrolment": enrolment,
                    "hk1": service.term_texts(texts[Period.SEMESTER_1]) if texts[Period.SEMESTER_1] else None,
                    "hk2": service.term_texts(texts[Period.SEMESTER_2]) if texts[Period.SEMESTER_2] else None,
                    "term": service.term_texts(texts[Period.YEAR]) if texts[Period.YEAR] else None,
                }
            )
        context["rows"] = rows
        groups: dict = {}
        for row in rows:
            student = row["enrolment"].student
            groups.setdefault(student.pk, {"student": student, "rows": []})["rows"].append(row)
        context["groups"] = list(groups.values())
        return context


urlpatterns = [
    path("lop/<int:pk>/ket-qua/", ClassResults.as_view(), name="class-results"),
    path("lop/<int:pk>/ket-qua/tinh/", ClassResultsCompute.as_view(), name="class-results-compute"),
    path("lop/<int:pk>/ket-qua/duyet/", ClassResultsApprove.as_view(), name="class-results-approve"),
    path("ket-qua/", SchoolResults.as_view(), name="school-results"),
    path("hoc-sinh-nam-hoc/<int:pk>/ket-qua/", EnrolmentResults.as_view(), name="enrolment-results"),
    path("hoc-sinh-nam-hoc/<int:pk>/kiem-tra-lai/", EnrolmentRetest.as_view(), name="enrolment-retest"),
    path(
        "hoc-sinh-nam-hoc/<int:pk>/xac-dinh-ket-qua/",
        EnrolmentManualLearning.as_view(),
        name="enrolment-manual-learning",
    ),
    path("hoc-sinh-nam-hoc/<int:pk>/ren-luyen-he/", EnrolmentSummerConduct.as_view(), name="enrolment-summer-conduct"),
    path("cua-toi/", MyResults.as_view(), name="my-results"),
]

for _page in (
    ModulePage(
        "Kết quả học tập và rèn luyện",
        "students:school-results",
        ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER},
        "Thống kê theo khối, lớp, trường; tính và duyệt kết quả cả năm (Thông tư 22/2021, 27/2020).",
    ),
    ModulePage(
        "Kết quả học tập của tôi",
        "students:my-results",
        LEARNER_ROLES,
        "Điểm, kết quả học tập và rèn luyện đã được nhà trường công bố cho học sinh và cha mẹ.",
    ),
):
    register_page("students", _page)
