"""URLconf of the results-day benchmark: the project's routes, the bare comparison view, and stand-in lookups.

- ``/bench/tran/`` — the bare view: one ``PublishedRecord.objects.get(pk=...)`` (the pk in a JSON body) answered
  as JSON, behind the project's whole middleware stack, marked sessionless and CSRF-exempt like the lookups.
- ``/bench/tran/nhieu/`` — the same with the answer of a results lookup: one ORM query for every item under a
  (kind, key), as ``{"items": [...]}`` (``--extra``: the size of the answer, apart from the portal's machinery).
- ``/bench/cong/ket-qua-hoc-tap/``, ``/bench/cong/diem-thi/``, ``/bench/cong/van-bang/tra-cuu/`` — stand-ins for
  the three lookups, built on ``sms.portal.lookups.StoredLookup`` exactly as a module builds its own (a form, the
  identifier, the second secret, the store's kind), for as long as the module's real route is not written or does
  not answer the benchmark's data. ``bench/portal_bench.py`` benches the real route under ``/cong/`` when it
  answers a probe with the data set, and says which one it measured.
- ``/bench/cong/van-bang/tra-cuu-ghi-dong-bo/`` — the diploma stand-in with the log written by a plain INSERT
  whose commit waits for the disk (``--extra``).
"""

from __future__ import annotations

import json

from django import forms
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sms.accounts.middleware import sessionless
from sms.portal.lookups import StoredLookup
from sms.portal.models import LookupLog, PublishedRecord
from sms.portal.throttle import normalise_identifier
from sms.urls import urlpatterns as project_urlpatterns


@sessionless
@csrf_exempt
@require_POST
def bare(request):
    """The floor a lookup is compared with: parse the body, one ORM ``.get()`` by primary key, its payload as
    JSON. No throttle, no log, no form."""
    try:
        pk = int(json.loads(request.body)["pk"])
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest()
    record = PublishedRecord.objects.get(pk=pk)
    return JsonResponse(record.payload, json_dumps_params={"ensure_ascii": False})


@sessionless
@csrf_exempt
@require_POST
def bare_items(request):
    """The bare view answering what a results lookup answers: one ORM query for every item under a key (a
    learner's published periods), their payloads as ``{"items": [...]}``. No throttle, no log, no form."""
    try:
        body = json.loads(request.body)
        kind, key = str(body["kind"]), str(body["key"])
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest()
    items = [record.payload for record in PublishedRecord.objects.filter(kind=kind, key=key)]
    return JsonResponse({"items": items}, json_dumps_params={"ensure_ascii": False})


class ResultsForm(forms.Form):
    learner_code = forms.CharField(label="Mã định danh học sinh", max_length=20)
    secret = forms.CharField(label="Ngày sinh hoặc mã tra cứu", max_length=20)


class ResultsLookup(StoredLookup):
    """Stand-in for portal:student-results: learner code + date of birth (or the printed lookup code)."""

    kind = store_kind = "student-results"
    title = "Tra cứu kết quả học tập"
    form_class = ResultsForm
    identifier_field = "learner_code"
    secret_field = "secret"


class ScoresForm(forms.Form):
    exam = forms.CharField(label="Kỳ thi", max_length=12)
    number = forms.CharField(label="Số báo danh", max_length=20)
    secret = forms.CharField(label="Ngày sinh hoặc mã tra cứu", max_length=20)


class ScoresLookup(StoredLookup):
    """Stand-in for portal:exam-scores: exam + candidate number + date of birth; the identifier counted and
    logged is the store's key "<exam id>/<number>"."""

    kind = store_kind = "exam-scores"
    title = "Tra cứu điểm thi"
    form_class = ScoresForm
    identifier_field = "number"
    secret_field = "secret"

    def identifier_of(self, data):
        if not data.get("exam") or not data.get("number"):
            return ""
        return normalise_identifier(f"{data['exam']}/{''.join(data['number'].split())}", "upper")


class DiplomaForm(forms.Form):
    serial = forms.CharField(label="Số hiệu văn bằng", max_length=30)


class DiplomaLookup(StoredLookup):
    """Stand-in for portal:diploma-lookup by serial number (no second secret)."""

    kind = "diploma"
    store_kind = "diploma-serial"
    title = "Tra cứu văn bằng"
    form_class = DiplomaForm
    identifier_field = "serial"
    secret_field = None


class DiplomaLookupFsyncLog(DiplomaLookup):
    """The diploma stand-in with the log written the plain way — one INSERT in autocommit, its commit waiting
    for the WAL to reach the disk — for ``portal_bench.py --extra`` (what ``write_log``'s asynchronous,
    one-round-trip commit buys). Its lookup is the store's plain SELECT, the log a statement of its own."""

    def attempt(self, data, identifier, ip):
        return self.lookup(data), False  # the base then calls ``log`` below

    def log(self, identifier, *, ip, found, throttled, unit_id=None):
        LookupLog.objects.create(
            kind=self.kind, identifier=identifier, ip=ip, found=found, throttled=throttled, unit_id=unit_id
        )


urlpatterns = [
    *project_urlpatterns,
    path("bench/tran/", bare, name="bench-bare"),
    path("bench/tran/nhieu/", bare_items, name="bench-bare-items"),
    path("bench/cong/ket-qua-hoc-tap/", ResultsLookup.as_view(), name="bench-student-results"),
    path("bench/cong/diem-thi/", ScoresLookup.as_view(), name="bench-exam-scores"),
    path("bench/cong/van-bang/tra-cuu/", DiplomaLookup.as_view(), name="bench-diploma-lookup"),
    path("bench/cong/van-bang/tra-cuu-ghi-dong-bo/", DiplomaLookupFsyncLog.as_view(), name="bench-diploma-fsync-log"),
]
handler403 = "sms.audit.views.permission_denied"
