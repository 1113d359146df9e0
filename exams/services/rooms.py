"""Exam sites, rooms, seat lists and invigilators (exams-diplomas.md, "Running an exam":
at most 24 candidates a room, two invigilators, sites, rooms and seat lists printed).

- A site (điểm thi) is usually a school (``host``); its rooms are numbered 1..n.
- ``place_candidates`` splits the numbered candidates, in number order, across the sites' rooms
  with ``rules.split_rooms`` (balanced, at most ``Room.capacity`` or ``Exam.room_capacity``
  each), creating rooms as needed; the seat is the order in the room.
- ``assign_invigilators`` gives every room two of the exam's invigilators, none from a school
  whose candidates sit in the room (``rules.assign_invigilators``); ``set_room_invigilators``
  changes one room by hand under the same rule.

Organisers and the board's secretariat do all of this (``candidates.may_manage``). Every write
is one transaction with history; nothing moves once scripts exist (marking has begun).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max

from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here, bulk_create_with_history, bulk_update_with_history
from sms.org.models import Unit
from sms.text import nfc

from ..models import BoardMember, BoardRole, Candidate, Exam, Room, Script, Site
from .candidates import _lock_exam, exam_schools, require_manager

MSG_SCRIPTS_EXIST = "Kỳ thi đã có bài thi (đã làm phách hoặc chấm thi): không thể xếp lại phòng thi."


def _refuse_if_marking(exam: Exam) -> None:
    if Script.objects.filter(exam_subject__exam=exam).exists():
        raise ValidationError(MSG_SCRIPTS_EXIST)


def _recheck(actor, model, ids: Iterable[int], action: str = "change") -> None:
    ids = set(ids)
    if ids and visible_to(actor, model, action).filter(pk__in=ids).count() != len(ids):
        raise PermissionDenied("Bạn không có quyền sửa điểm thi, phòng thi của kỳ thi này.")


# --- sites ---------------------------------------------------------------------------------------------------


def save_site(actor, exam: Exam, data: Mapping[str, Any], *, site: Site | None = None) -> Site:
    """Add a site (``site`` None) or change one: code (unique in the exam), name, address and
    the host school (a school of the exam owner's subtree)."""
    require_manager(actor, exam)
    if site is not None and site.exam_id != exam.pk:
        raise ValidationError("Điểm thi không thuộc kỳ thi này.")
    errors = {}
    code = nfc(str(data.get("code") or "")).strip().upper()
    name = nfc(str(data.get("name") or "")).strip()
    address = nfc(str(data.get("address") or "")).strip()
    if not code:
        errors["code"] = "Chưa có mã điểm thi."
    elif len(code) > 20:
        errors["code"] = "Mã điểm thi dài tối đa 20 ký tự."
    host = data.get("host")
    if host not in (None, ""):
        try:
            host = exam_schools(exam).get(pk=host.pk if isinstance(host, Unit) else int(host))
        except (Unit.DoesNotExist, TypeError, ValueError):
            errors["host"] = "Trường đặt điểm thi phải là một trường thuộc phạm vi kỳ thi."
            host = None
    else:
        host = None
    if not name:
        if host is not None:
            name = host.name
        else:
            errors["name"] = "Chưa có tên điểm thi."
    if len(name) > 255 or len(address) > 255:
        errors["address" if len(address) > 255 else "name"] = "Dài quá 255 ký tự."
    if code and Site.objects.filter(exam=exam, code=code).exclude(pk=getattr(site, "pk", None)).exists():
        errors["code"] = f"Mã điểm thi “{code}” đã có trong kỳ thi."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), acting_here(actor):
        action = "change"
        if site is None:
            site, action = Site(exam=exam), "add"
        site.code, site.name, site.address, site.host = code, name, address or site.address, host
        if not address and action == "add" and host is not None:
            site.address = getattr(host, "address", "") or ""
        site.save()
        _recheck(actor, Site, [site.pk], action)
    return site


def delete_site(actor, site: Site) -> None:
    """Remove a site that has no candidate placed in it."""
    require_manager(actor, site.exam)
    with transaction.atomic(), acting_here(actor):
        _recheck(actor, Site, [site.pk], "delete")
        if Candidate.objects.filter(room__site=site).exists():
            raise ValidationError("Điểm thi đã có thí sinh được xếp phòng: hãy xếp lại phòng trước khi xoá.")
        Room.objects.filter(site=site).delete()
        site.delete()


def save_room(actor, site: Site, data: Mapping[str, Any], *, room: Room | None = None) -> Room:
    """Add a room to a site (next number unless given) or change its location and capacity
    (empty: the exam's; never below the candidates already seated)."""
    exam = site.exam
    require_manager(actor, exam)
    errors = {}
    location = nfc(str(data.get("location") or "")).strip()[:120]
    capacity = data.get("capacity")
    if capacity in ("", None):
        capacity = None
    else:
        try:
            capacity = int(capacity)
        except (TypeError, ValueError):
            capacity = 0
        if not 1 <= capacity <= 60:
            errors["capacity"] = "Sức chứa là một số từ 1 đến 60."
    number = data.get("number")
    with transaction.atomic(), acting_here(actor):
        if room is None:
            if number in (None, ""):
                number = (Room.objects.filter(site=site).aggregate(n=Max("number"))["n"] or 0) + 1
            try:
                number = int(number)
            except (TypeError, ValueError):
                number = 0
            if not 1 <= number <= 999:
                errors["number"] = "Số phòng là một số từ 1 đến 999."
            elif Room.objects.filter(site=site, number=number).exists():
                errors["number"] = f"Điểm thi đã có phòng số {number}."
        elif capacity is not None and room.candidates.count() > capacity:
            errors["capacity"] = f"Phòng đã có {room.candidates.count()} thí sinh, nhiều hơn sức chứa {capacity}."
        if errors:
            raise ValidationError(errors)
        action = "change"
        if room is None:
            room, action = Room(site=site, number=number), "add"
        room.location, room.capacity = location, capacity
        room.save()
        _recheck(actor, Room, [room.pk], action)
    return room


# --- placing candidates -------------------------------------------------------------------------------------


def _share(count: int, parts: int) -> list[int]:
    """``count`` split into ``parts`` near-equal whole numbers, larger first."""
    base, extra = divmod(count, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def place_candidates(actor, exam: Exam, site_ids: Iterable[int] | None = None, *, reset: bool = False) -> dict:
    """Seat the numbered, not withdrawn candidates who have no room yet, in number order,
    across the rooms of the chosen sites (default: every site of the exam).

    Partly filled rooms are topped up first; the rest are split with ``rules.split_rooms``
    (balanced, at most the exam's room capacity each: 50 → 17/17/16) over the sites' empty
    rooms, then new rooms (numbered after the site's last, shared out between the sites in
    order). ``reset`` first takes every candidate of the exam out of their room (and clears the
    invigilators, who must be assigned again). Refused once scripts exist. Returns counts."""
    from .. import rules

    require_manager(actor, exam)
    with transaction.atomic(), acting_here(actor):
        exam = _lock_exam(exam)
        _refuse_if_marking(exam)
        sites = list(Site.objects.filter(exam=exam).order_by("code", "pk"))
        if site_ids is not None:
            wanted = {int(i) for i in site_ids}
            sites = [s for s in sites if s.pk in wanted]
        if not sites:
            raise ValidationError({"sites": "Chưa có điểm thi nào: hãy thêm điểm thi trước khi xếp phòng."})
        _recheck(actor, Site, [s.pk for s in sites], "change")
        cleared = 0
        if reset:
            placed = list(Candidate.objects.filter(exam=exam, room__isnull=False))
            for c in placed:
                c.room, c.seat = None, None
            if placed:
                bulk_update_with_history(placed, Candidate, ["room", "seat"], actor=actor, batch_size=500)
            rooms_with_staff = list(
                Room.objects.filter(site__exam=exam).exclude(invigilator_1__isnull=True, invigilator_2__isnull=True)
            )
            for r in rooms_with_staff:
                r.invigilator_1 = r.invigilator_2 = None
            if rooms_with_staff:
                bulk_update_with_history(rooms_with_staff, Room, ["invigilator_1", "invigilator_2"], actor=actor)
            cleared = len(placed)
        pending = list(
            Candidate.objects.filter(exam=exam, withdrawn=False, room__isnull=True)
            .exclude(number="")
            .order_by("number", "pk")
        )
        unnumbered = Candidate.objects.filter(exam=exam, withdrawn=False, number="").count()
        if not pending:
            return {"placed": 0, "rooms_created": 0, "unnumbered": unnumbered, "cleared": cleared}
        default = exam.room_capacity
        site_order = {s.pk: i for i, s in enumerate(sites)}
        rooms = sorted(
            Room.objects.filter(site__in=sites).annotate(used=Count("candidates"), last=Max("candidates__seat")),
            key=lambda r: (site_order[r.site_id], r.number),
        )
        moves: list[Candidate] = []
        queue = list(pending)

        def seat(room: Room, how_many: int, first_seat: int) -> None:
            for offset in range(how_many):
                candidate = queue.pop(0)
                candidate.room, candidate.seat = room, first_seat + offset
                moves.append(candidate)

        # 1. top up rooms that already hold candidates
        for room in rooms:
            if room.used and queue:
                free = (room.capacity or default) - room.used
                if free > 0:
                    seat(room, min(free, len(queue)), (room.last or room.used) + 1)
        # 2. the rest, balanced, over the empty rooms then new ones
        created: list[Room] = []
        if queue:
            sizes = rules.split_rooms(len(queue), default)
            empty = [r for r in rooms if not r.used]
            missing = max(0, len(sizes) - len(empty))
            next_number = {s.pk: 0 for s in sites}
            for r in Room.objects.filter(site__in=sites).values("site_id").annotate(n=Max("number")):
                next_number[r["site_id"]] = r["n"] or 0
            for site, n in zip(sites, _share(missing, len(sites)), strict=True):
                for _ in range(n):
                    next_number[site.pk] += 1
                    created.append(Room(site=site, number=next_number[site.pk]))
            created = _create_rooms(actor, created)
            targets = sorted(empty + created, key=lambda r: (site_order[r.site_id], r.number))
            for room, size in zip(targets, sizes, strict=False):
                seat(room, min(size, room.capacity or default, len(queue)), 1)
            while queue:  # rooms smaller than the exam's capacity left some over: more rooms
                site = sites[-1]
                next_number[site.pk] += 1
                (room,) = _create_rooms(actor, [Room(site=site, number=next_number[site.pk])])
                created.append(room)
                seat(room, min(default, len(queue)), 1)
        bulk_update_with_history(moves, Candidate, ["room", "seat"], actor=actor, batch_size=500)
        _recheck(actor, Room, [r.pk for r in created], "add")
    return {"placed": len(moves), "rooms_created": len(created), "unnumbered": unnumbered, "cleared": cleared}


def _create_rooms(actor, rooms: list[Room]) -> list[Room]:
    """Insert new rooms with history and give them back with their ids."""
    if not rooms:
        return []
    bulk_create_with_history(rooms, Room, actor=actor)
    wanted = {(r.site_id, r.number) for r in rooms}
    found = Room.objects.filter(site_id__in={r.site_id for r in rooms}, number__in={r.number for r in rooms})
    return sorted((r for r in found if (r.site_id, r.number) in wanted), key=lambda r: (r.site_id, r.number))


# --- invigilators ---------------------------------------------------------------------------------------------


def room_schools(rooms: Iterable[Room], exam: Exam | None = None) -> dict[int, frozenset[int]]:
    """Per room id, the ids of the schools whose candidates sit in it (one query). A school
    running its own exam is left out: its teachers watch its own competition (the rule keeps
    teachers away from their pupils where schools compete, not inside one school)."""
    found: dict[int, set[int]] = defaultdict(set)
    ids = [r.pk for r in rooms]
    rows = Candidate.objects.filter(room_id__in=ids, school__isnull=False)
    if exam is not None:
        rows = rows.exclude(school_id=exam.unit_id)
    for room_id, school_id in rows.values_list("room_id", "school_id").distinct():
        found[room_id].add(school_id)
    return {pk: frozenset(found.get(pk, ())) for pk in ids}


def invigilators_of(exam: Exam) -> list[BoardMember]:
    return list(
        BoardMember.objects.filter(exam=exam, role=BoardRole.INVIGILATOR, is_active=True)
        .select_related("home_unit", "user")
        .order_by("full_name", "pk")
    )


def assign_invigilators(actor, exam: Exam) -> dict[str, int]:
    """Give every room holding candidates two of the exam's active invigilators, none whose
    home unit is a school of a candidate in the room (``rules.assign_invigilators``); rooms
    without candidates are left without. Too few invigilators: a ``ValidationError`` with the
    rule's message, nothing changed."""
    from .. import rules

    require_manager(actor, exam)
    with transaction.atomic(), acting_here(actor):
        exam = _lock_exam(exam)
        rooms = list(
            Room.objects.filter(site__exam=exam)
            .annotate(used=Count("candidates"))
            .select_related("site")
            .order_by("site__code", "number", "pk")
        )
        _recheck(actor, Room, [r.pk for r in rooms], "change")
        busy = [r for r in rooms if r.used]
        if not busy:
            raise ValidationError("Chưa có phòng thi nào có thí sinh: hãy xếp phòng thi trước.")
        schools = room_schools(busy, exam)
        people = invigilators_of(exam)
        try:
            plan = rules.assign_invigilators(
                [schools[r.pk] for r in busy], [(m.pk, m.home_unit_id) for m in people], per_room=2
            )
        except rules.InvigilatorShortage as shortage:
            raise ValidationError(str(shortage)) from None
        members = {m.pk: m for m in people}
        changed = []
        for room in rooms:
            pair = plan[busy.index(room)] if room in busy else ()
            first = members[pair[0]] if len(pair) > 0 else None
            second = members[pair[1]] if len(pair) > 1 else None
            if (room.invigilator_1_id, room.invigilator_2_id) != (
                getattr(first, "pk", None),
                getattr(second, "pk", None),
            ):
                room.invigilator_1, room.invigilator_2 = first, second
                changed.append(room)
        if changed:
            bulk_update_with_history(changed, Room, ["invigilator_1", "invigilator_2"], actor=actor)
    return {"rooms": len(busy), "changed": len(changed)}


def set_room_invigilators(actor, room: Room, first: int | BoardMember | None, second: int | BoardMember | None) -> Room:
    """Change one room's invigilators by hand: the exam's active invigilators, two different
    people, neither from a school whose candidates sit in the room, neither watching another
    room of the exam. ``None`` leaves a seat empty."""
    exam = room.site.exam
    require_manager(actor, exam)
    people = {m.pk: m for m in invigilators_of(exam)}
    chosen: list[BoardMember | None] = []
    errors: dict[str, str] = {}
    for field, value in (("invigilator_1", first), ("invigilator_2", second)):
        if value in (None, ""):
            chosen.append(None)
            continue
        try:
            member = people.get(value.pk if isinstance(value, BoardMember) else int(value))
        except (TypeError, ValueError):
            member = None
        if member is None:
            errors[field] = "Phải là cán bộ coi thi đang làm nhiệm vụ của kỳ thi này."
        chosen.append(member)
    if chosen[0] is not None and chosen[1] is not None and chosen[0].pk == chosen[1].pk:
        errors["invigilator_2"] = "Hai cán bộ coi thi của một phòng phải là hai người khác nhau."
    schools = room_schools([room], room.site.exam)[room.pk]
    for field, member in zip(("invigilator_1", "invigilator_2"), chosen, strict=True):
        if member is not None and member.home_unit_id in schools and field not in errors:
            errors[field] = (
                f"{member.full_name or member.user} công tác tại {member.home_unit.name}, trường có thí sinh "
                "trong phòng này: không được coi thi phòng này."
            )
    others = Room.objects.filter(site__exam=exam).exclude(pk=room.pk).select_related("site")
    for field, member in zip(("invigilator_1", "invigilator_2"), chosen, strict=True):
        if member is None or field in errors:
            continue
        elsewhere = others.filter(invigilator_1=member).first() or others.filter(invigilator_2=member).first()
        if elsewhere is not None:
            errors[field] = f"{member.full_name or member.user} đang coi thi {elsewhere}."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), acting_here(actor):
        room = Room.objects.select_for_update().get(pk=room.pk)
        room.invigilator_1, room.invigilator_2 = chosen
        room.save(update_fields=["invigilator_1", "invigilator_2"])
        _recheck(actor, Room, [room.pk], "change")
    return room
