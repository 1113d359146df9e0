"""HTML pages of the rooms area: an exam's sites and rooms (placing candidates), one site, one
room with its seat list and invigilators, the invigilator assignment, and the room lists as
PDF (exams-diplomas.md, "Running an exam").

Every object comes through the door; every write calls ``exams.services.rooms``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import generic

from sms.accounts.roles import LEARNER_ROLES
from sms.accounts.scoping import visible_to
from sms.org.models import Unit
from sms.views import ActorMixin, ScopedDetailView, ScopedObjectMixin

from ..models import BoardMember, Candidate, Room, Site
from ..reports import tickets
from ..services import candidates as candidate_services
from ..services import rooms as services
from . import exam_page
from .candidates import ExamScoped, _add_errors, _errors


def back_to_rooms(exam) -> str:
    return reverse("exams:exam-rooms", kwargs={"pk": exam.pk})


class SiteForm(forms.Form):
    code = forms.CharField(label="Mã điểm thi", max_length=20)
    name = forms.CharField(label="Tên điểm thi", max_length=255, required=False, help_text="Để trống: tên trường.")
    address = forms.CharField(label="Địa chỉ", max_length=255, required=False)
    host = forms.ModelChoiceField(label="Trường đặt điểm thi", queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, exam, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = candidate_services.exam_schools(exam).order_by("name")


class RoomForm(forms.Form):
    number = forms.IntegerField(
        label="Phòng số", min_value=1, max_value=999, required=False, help_text="Để trống: số tiếp theo."
    )
    location = forms.CharField(label="Vị trí", max_length=120, required=False)
    capacity = forms.IntegerField(
        label="Sức chứa", min_value=1, max_value=60, required=False, help_text="Để trống: theo kỳ thi."
    )


class PlaceForm(forms.Form):
    sites = forms.ModelMultipleChoiceField(
        label="Điểm thi", queryset=Site.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Không chọn: mọi điểm thi.",
    )  # fmt: skip
    reset = forms.BooleanField(label="Xếp lại từ đầu (bỏ mọi chỗ ngồi đã xếp)", required=False)


class ExamRooms(ActorMixin, ExamScoped, generic.TemplateView):
    """Điểm thi, phòng thi của kỳ thi: thêm điểm thi, xếp phòng thi, phân công cán bộ coi thi."""

    template_name = "exams/rooms/exam_rooms.html"

    def get(self, request, *args, **kwargs):
        if not candidate_services.may_read_all(self.actor, self.exam):
            raise PermissionDenied("Chỉ đơn vị tổ chức và hội đồng thi xem được điểm thi, phòng thi.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exam = self.exam
        sites = list(visible_to(self.actor, Site).filter(exam=exam).select_related("host").order_by("code", "pk"))
        rooms = (
            visible_to(self.actor, Room)
            .filter(site__exam=exam)
            .annotate(used=Count("candidates"))
            .select_related("invigilator_1", "invigilator_2")
            .order_by("number", "pk")
        )
        by_site: dict[int, list] = {}
        for r in rooms:
            by_site.setdefault(r.site_id, []).append(r)
        may_manage = candidate_services.may_manage(self.actor, exam)
        context.update(
            sites=[(s, by_site.get(s.pk, [])) for s in sites],
            may_manage=may_manage,
            site_form=kwargs.get("site_form") or SiteForm(exam=exam),
            place_form=self._place_form(),
            waiting=Candidate.objects.filter(exam=exam, withdrawn=False, room__isnull=True).exclude(number="").count(),
            unnumbered=Candidate.objects.filter(exam=exam, withdrawn=False, number="").count(),
        )
        return context

    def _place_form(self, data=None):
        form = PlaceForm(data)
        form.fields["sites"].queryset = Site.objects.filter(exam=self.exam).order_by("code")
        return form


class SiteCreate(ActorMixin, ExamScoped, generic.View):
    """POST: add a site to the exam."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = SiteForm(request.POST, exam=self.exam)
        if form.is_valid():
            try:
                site = services.save_site(self.actor, self.exam, form.cleaned_data)
            except ValidationError as error:
                messages.error(request, _errors(error))
            else:
                messages.success(request, f"Đã thêm điểm thi {site.name}.")
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back_to_rooms(self.exam))


class PlaceCandidates(ActorMixin, ExamScoped, generic.View):
    """POST: seat the numbered candidates in the sites' rooms."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = PlaceForm(request.POST)
        form.fields["sites"].queryset = Site.objects.filter(exam=self.exam)
        if not form.is_valid():
            messages.error(request, "Lựa chọn điểm thi không hợp lệ.")
            return redirect(back_to_rooms(self.exam))
        sites = form.cleaned_data["sites"]
        try:
            result = services.place_candidates(
                self.actor, self.exam, [s.pk for s in sites] if sites else None, reset=form.cleaned_data["reset"]
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            text = f"Đã xếp {result['placed']} thí sinh; tạo thêm {result['rooms_created']} phòng thi."
            if result["unnumbered"]:
                text += f" {result['unnumbered']} thí sinh chưa có số báo danh nên chưa được xếp."
            messages.success(request, text)
        return redirect(back_to_rooms(self.exam))


class ExamInvigilators(ActorMixin, ExamScoped, generic.TemplateView):
    """Cán bộ coi thi: each room with its two invigilators; POST assigns them all."""

    template_name = "exams/rooms/invigilators.html"

    def get(self, request, *args, **kwargs):
        if not candidate_services.may_read_all(self.actor, self.exam):
            raise PermissionDenied("Chỉ đơn vị tổ chức và hội đồng thi xem được phân công coi thi.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rooms = list(
            visible_to(self.actor, Room)
            .filter(site__exam=self.exam)
            .annotate(used=Count("candidates"))
            .select_related("site", "invigilator_1__home_unit", "invigilator_2__home_unit")
            .order_by("site__code", "number")
        )
        schools = services.room_schools(rooms)
        names = dict(Unit.objects.filter(pk__in={s for v in schools.values() for s in v}).values_list("pk", "name"))
        context.update(
            rooms=[(r, sorted(names.get(s, "") for s in schools[r.pk])) for r in rooms],
            invigilators=services.invigilators_of(self.exam),
            may_manage=candidate_services.may_manage(self.actor, self.exam),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            result = services.assign_invigilators(self.actor, self.exam)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, f"Đã phân công cán bộ coi thi cho {result['rooms']} phòng thi.")
        return redirect(reverse("exams:exam-invigilators", kwargs={"pk": self.exam.pk}))


# --- one site ---------------------------------------------------------------------------------------------


class SiteDetail(ScopedDetailView):
    """Điểm thi: its rooms, add a room, edit, remove; the room lists of the whole site (PDF)."""

    model = Site
    template_name = "exams/rooms/site_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam__unit", "host")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.object
        context.update(
            exam=site.exam,
            rooms=list(
                visible_to(self.actor, Room)
                .filter(site=site)
                .annotate(used=Count("candidates"))
                .select_related("invigilator_1", "invigilator_2")
            ),
            may_manage=candidate_services.may_manage(self.actor, site.exam),
            site_form=kwargs.get("site_form")
            or SiteForm(
                exam=site.exam,
                initial={"code": site.code, "name": site.name, "address": site.address, "host": site.host_id},
            ),
            room_form=kwargs.get("room_form") or RoomForm(),
        )
        return context

    def post(self, request, *args, **kwargs):
        """``action`` = "update" (the site), "room" (add a room) or "delete" (the site)."""
        self.object = site = self.get_object()
        action = request.POST.get("action")
        try:
            if action == "update":
                form = SiteForm(request.POST, exam=site.exam)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(site_form=form), status=400)
                services.save_site(self.actor, site.exam, form.cleaned_data, site=site)
                messages.success(request, "Đã lưu điểm thi.")
            elif action == "room":
                form = RoomForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(room_form=form), status=400)
                room = services.save_room(self.actor, site, form.cleaned_data)
                messages.success(request, f"Đã thêm phòng thi số {room.number}.")
            elif action == "delete":
                exam = site.exam
                services.delete_site(self.actor, site)
                messages.success(request, "Đã xoá điểm thi.")
                return redirect(back_to_rooms(exam))
            else:
                messages.error(request, "Thao tác không hợp lệ.")
        except ValidationError as error:
            messages.error(request, _errors(error))
        return redirect(site.get_absolute_url())


class SiteRoomLists(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.View):
    """Danh sách phòng thi (PDF) of every room of the site, one part per room."""

    model = Site
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        site = self.get_object()
        rooms = visible_to(self.actor, Room).filter(site=site).order_by("number")
        return _room_lists_response(self.actor, site.exam, rooms, f"danh-sach-phong-thi-{site.code}.pdf")


def _room_lists_response(actor, exam, rooms, filename):
    rooms = list(rooms.select_related("site", "invigilator_1__user", "invigilator_2__user"))
    seated: dict[int, list] = {}
    for c in (
        visible_to(actor, Candidate)
        .filter(room__in=rooms)
        .select_related("school")
        .order_by("room_id", "seat", "number")
    ):
        seated.setdefault(c.room_id, []).append(c)
    return tickets.pdf.response(tickets.room_lists(exam, rooms, seated), filename)


# --- one room ------------------------------------------------------------------------------------------------


class InvigilatorForm(forms.Form):
    invigilator_1 = forms.ModelChoiceField(
        label="Cán bộ coi thi 1", queryset=BoardMember.objects.none(), required=False
    )
    invigilator_2 = forms.ModelChoiceField(
        label="Cán bộ coi thi 2", queryset=BoardMember.objects.none(), required=False
    )

    def __init__(self, *args, exam, **kwargs):
        super().__init__(*args, **kwargs)
        people = BoardMember.objects.filter(exam=exam, role="invigilator", is_active=True).select_related("home_unit")
        for name in ("invigilator_1", "invigilator_2"):
            self.fields[name].queryset = people
            self.fields[name].label_from_instance = lambda m: f"{m.full_name or m.user} – {m.home_unit.name}"


class RoomDetail(ScopedDetailView):
    """Phòng thi: danh sách chỗ ngồi, cán bộ coi thi (đổi bằng tay), sửa vị trí và sức chứa."""

    model = Room
    template_name = "exams/rooms/room_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("site__exam__unit", "invigilator_1__home_unit", "invigilator_2__home_unit")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        room = self.object
        exam = room.site.exam
        context.update(
            exam=exam,
            site=room.site,
            seats=list(
                visible_to(self.actor, Candidate).filter(room=room).select_related("school").order_by("seat", "number")
            ),
            capacity=room.capacity or exam.room_capacity,
            may_manage=candidate_services.may_manage(self.actor, exam),
            invigilator_form=kwargs.get("invigilator_form")
            or InvigilatorForm(
                exam=exam, initial={"invigilator_1": room.invigilator_1_id, "invigilator_2": room.invigilator_2_id}
            ),
            room_form=kwargs.get("room_form")
            or RoomForm(initial={"number": room.number, "location": room.location, "capacity": room.capacity}),
        )
        return context

    def post(self, request, *args, **kwargs):
        """``action`` = "invigilators" or "update"."""
        self.object = room = self.get_object()
        exam = room.site.exam
        action = request.POST.get("action")
        if action == "invigilators":
            form = InvigilatorForm(request.POST, exam=exam)
            if form.is_valid():
                try:
                    services.set_room_invigilators(
                        self.actor, room, form.cleaned_data["invigilator_1"], form.cleaned_data["invigilator_2"]
                    )
                except ValidationError as error:
                    _add_errors(form, error)
            if form.errors:
                return self.render_to_response(self.get_context_data(invigilator_form=form), status=400)
            messages.success(request, "Đã lưu cán bộ coi thi của phòng.")
        elif action == "update":
            form = RoomForm(request.POST)
            if form.is_valid():
                try:
                    services.save_room(self.actor, room.site, form.cleaned_data, room=room)
                except ValidationError as error:
                    _add_errors(form, error)
            if form.errors:
                return self.render_to_response(self.get_context_data(room_form=form), status=400)
            messages.success(request, "Đã lưu phòng thi.")
        else:
            messages.error(request, "Thao tác không hợp lệ.")
        return redirect(room.get_absolute_url())


class RoomList(ScopedObjectMixin, generic.detail.SingleObjectMixin, generic.View):
    """Danh sách phòng thi (PDF) of one room."""

    model = Room
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        room = self.get_object()
        site = room.site
        rooms = visible_to(self.actor, Room).filter(pk=room.pk)
        return _room_lists_response(
            self.actor, site.exam, rooms, f"danh-sach-phong-thi-{site.code}-{room.number:02d}.pdf"
        )


def _rooms_shown(actor, exam) -> bool:
    return actor is not None and actor.role not in LEARNER_ROLES and candidate_services.may_read_all(actor, exam)


exam_page("Điểm thi, phòng thi", "exam-rooms", _rooms_shown, order=30)
exam_page("Cán bộ coi thi", "exam-invigilators", _rooms_shown, order=31)

urlpatterns = [
    path("ky-thi/<int:pk>/diem-thi/", ExamRooms.as_view(), name="exam-rooms"),
    path("ky-thi/<int:pk>/diem-thi/them/", SiteCreate.as_view(), name="exam-site-create"),
    path("ky-thi/<int:pk>/xep-phong/", PlaceCandidates.as_view(), name="exam-place-candidates"),
    path("ky-thi/<int:pk>/can-bo-coi-thi/", ExamInvigilators.as_view(), name="exam-invigilators"),
    path("diem-thi/<int:pk>/", SiteDetail.as_view(), name="site-detail"),
    path("diem-thi/<int:pk>/danh-sach-phong-thi.pdf", SiteRoomLists.as_view(), name="site-room-lists"),
    path("phong-thi/<int:pk>/", RoomDetail.as_view(), name="room-detail"),
    path("phong-thi/<int:pk>/danh-sach.pdf", RoomList.as_view(), name="room-list-pdf"),
]
