"""The cross-tenant suite: every route, found by itself, against another school's data.

School A sits under Phòng 1, school B under Phòng 2. Actors on the A side (A's principal,
Phòng 1's admin) must get a 404 for any object of B — the same answer as for an id that does
not exist — must not see B's rows in any list, and must not create rows in B or move A's rows
into B, through the API or the HTML forms. Inside school A, a student or parent reaches no
object the model does not narrow to them. Malformed and foreign ids give 404, never 500.

A new route is covered with no new test code; a new model behind a route needs one maker in
``tests/factories.py`` (``test_every_routed_model_has_a_maker`` names it).
"""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from sms.accounts.roles import Role
from sms.accounts.scoping import Scope, scope_of
from sms.api.viewsets import ScopedMixin
from sms.portal.public import PUBLIC_NAMESPACES, PUBLIC_ROUTE_NAMES
from sms.views import ActorMixin
from tests.factories import MAKERS
from tests.world import api_client, web_client

from .routes import all_routes, create_routes, list_routes, object_routes, update_routes

ROUTES = all_routes()
OBJECT_ROUTES = object_routes()
#: API views that serve no model rows (who am I, the OpenAPI schema and its docs page)
MODELLESS_API = {"api:me", "api:schema", "api:docs"}


def rid(route) -> str:
    return route.name


def a_side(world, *keys):
    table = {
        "principal": world.a.m(Role.PRINCIPAL),
        "phong1_admin": world.members["phong1_admin"],
        "teacher": world.a.m(Role.TEACHER),
        "so_staff_other": world.members["phong1_staff"],
    }
    return [table[k] for k in keys]


def client_for(route, membership):
    return api_client(membership) if route.is_api else web_client(membership)


def in_subtree(model, unit) -> int:
    scope = scope_of(model)
    return model.objects.filter(**{scope.unit_lookup("path__startswith"): unit.path}).count()


def send(client, route, method, url, data=None):
    fn = getattr(client, method.lower())
    if route.is_api:
        return fn(url, data or {}, format="json")
    return fn(url, data or {})


def writable_payload(route, obj) -> dict:
    """The data a client would send to create ``obj``: API serializer fields or form fields."""
    if route.is_api:
        serializer = route.view_class.serializer_class(obj, context={"request": None})
        writable = {name for name, f in serializer.fields.items() if not f.read_only}
        return {k: v for k, v in serializer.data.items() if k in writable}
    form_class = route.view_class.form_class
    data = model_to_dict(obj, fields=form_class._meta.fields)
    return {k: ("" if v is None else v) for k, v in data.items() if v is not False}


def first_method(route) -> str:
    return "GET" if "GET" in route.methods else sorted(route.methods)[0]


def make(model, side):
    return MAKERS[model](side)


# --- the suite covers everything ------------------------------------------------------------


def test_routes_were_discovered():
    names = {r.name for r in ROUTES}
    assert {
        "api:schoolclass-detail",
        "org:schoolclass-detail",
        "org:schoolclass-update",
        "api:membership-list",
    } <= names


@pytest.mark.parametrize("route", [r for r in ROUTES if r.is_api and r.name not in MODELLESS_API], ids=rid)
def test_every_api_view_goes_through_the_door(route):
    assert issubclass(route.view_class, ScopedMixin), f"{route.name}: API views must derive from ScopedMixin"


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.is_api and r.model is not None], ids=rid)
def test_every_html_model_view_goes_through_the_door(route):
    assert issubclass(route.view_class, ActorMixin), f"{route.name}: HTML model views must derive from sms.views bases"


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=rid)
def test_every_object_route_is_understood(route):
    assert route.kwargs == ["pk"], f"{route.name}: object routes take one id named pk (got {route.kwargs})"
    assert route.model is not None, f"{route.name}: the view must name its model"
    assert isinstance(getattr(route.model, "scope", None), Scope), f"{route.model} declares no Scope"


def test_every_routed_model_has_a_maker():
    routed = {r.model for r in ROUTES if r.model is not None}
    missing = sorted(m._meta.label for m in routed if m not in MAKERS)
    assert not missing, f"add a maker to tests/factories.py for: {missing}"


# --- anonymous --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=rid)
def test_anonymous_reaches_only_the_public_allow_list(client, route):
    url = route.url(**{k: 1 for k in route.kwargs})
    response = client.get(url)
    assert response.status_code != 500
    if route.name in PUBLIC_ROUTE_NAMES or route.name.split(":")[0] in PUBLIC_NAMESPACES:
        return
    if route.is_api:
        assert response.status_code in (401, 403), f"{route.name} answered {response.status_code} to anonymous"
    else:
        assert response.status_code == 302 and "/tai-khoan/dang-nhap/" in response["Location"], route.name


def test_public_allow_list_names_real_routes():
    names = {r.name for r in ROUTES}
    assert names >= PUBLIC_ROUTE_NAMES


# --- another school's object is a 404, for every method ------------------------------------------


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=rid)
@pytest.mark.parametrize("who", ["principal", "phong1_admin"])
def test_foreign_object_is_404(world, route, who):
    (membership,) = a_side(world, who)
    obj = make(route.model, world.b)
    before = model_to_dict(obj)
    client = client_for(route, membership)
    url = route.url(pk=obj.pk)
    for method in sorted(route.methods):
        response = send(client, route, method, url)
        assert response.status_code == 404, f"{method} {url} as {who}: {response.status_code}"
    obj.refresh_from_db()
    assert model_to_dict(obj) == before


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=rid)
@pytest.mark.parametrize("bad_id", ["0", "abc", "-1", "1.5", "99999999999999999999", "9999999999999999999", "%00"])
def test_malformed_or_missing_id_is_404(world, route, bad_id):
    client = client_for(route, world.members["so_admin"])
    response = send(client, route, first_method(route), route.url(pk=bad_id))
    assert response.status_code == 404


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=rid)
@pytest.mark.parametrize("role", [Role.STUDENT, Role.PARENT])
def test_learners_reach_nothing_not_narrowed_to_them(world, route, role):
    obj = make(route.model, world.a)
    narrowed = role in scope_of(route.model).narrow
    client = client_for(route, world.a.m(role))
    response = send(client, route, first_method(route), route.url(pk=obj.pk))
    # The maker's rows belong to somebody else, so even a narrowed model hides them.
    assert response.status_code == 404, f"{role} of the same school reached {route.name} (narrowed={narrowed})"


# --- lists never show another school's rows ----------------------------------------------------------


def _listed(route, response, obj) -> bool:
    assert response.status_code == 200, response.content[:500]
    if route.is_api:
        return obj.pk in {row["id"] for row in response.json()["results"]}
    return obj.get_absolute_url() in response.content.decode()


@pytest.mark.parametrize("route", list_routes(), ids=rid)
def test_lists_never_show_foreign_rows(world, route):
    mine, theirs = make(route.model, world.a), make(route.model, world.b)
    url = route.url() + ("?page_size=500" if route.is_api else "")
    seen_mine = False
    for membership in a_side(world, "principal", "phong1_admin", "teacher"):
        response = send(client_for(route, membership), route, "GET", url)
        assert not _listed(route, response, theirs), f"{route.name} showed school B's row"
        seen_mine = seen_mine or _listed(route, response, mine)
    assert seen_mine, f"control: nobody on the A side saw A's own row in {route.name}"


# --- no creating rows in school B, no moving rows into it -----------------------------------------------


def _payload_of_fresh(route, side):
    obj = make(route.model, side)
    payload = writable_payload(route, obj)
    obj.delete()  # the payload now describes a row that can be created again
    return payload


@pytest.mark.parametrize("route", create_routes(), ids=rid)
def test_cannot_create_rows_in_another_school(world, route):
    model = route.model
    writers = a_side(world, "phong1_admin", "principal")
    # Control: the same kind of payload, pointing at A's side, is accepted from someone
    # (the Sở admin for Sở-only models such as the area catalogue).
    own = _payload_of_fresh(route, world.a)
    created = []
    for membership in [*writers, world.members["so_admin"]]:
        created.append(send(client_for(route, membership), route, "POST", route.url(), own).status_code)
        if created[-1] in (201, 302):
            break
    assert any(code in (201, 302) for code in created), f"control: A-side create refused {created}"

    foreign = _payload_of_fresh(route, world.b)
    before = in_subtree(model, world.phong2)
    for membership in writers:
        response = send(client_for(route, membership), route, "POST", route.url(), foreign)
        assert response.status_code != 500
        assert in_subtree(model, world.phong2) == before, f"{route.name}: a row was created under school B"


@pytest.mark.parametrize("route", update_routes(), ids=rid)
def test_cannot_move_rows_into_another_school(world, route):
    model = route.model
    scope = scope_of(model)
    foreign = _payload_of_fresh(route, world.b)
    for membership in a_side(world, "phong1_admin", "principal"):
        obj = make(model, world.a)
        response = send(
            client_for(route, membership), route, "PATCH" if route.is_api else "POST", route.url(pk=obj.pk), foreign
        )
        # 200/302 are fine when the fields that move a row are ignored (a unit's parent only
        # changes through "move"); what matters is where the row is afterwards.
        assert response.status_code in (200, 302, 400, 403, 404), f"{route.name}: {response.status_code}"
        assert model.objects.filter(pk=obj.pk, **{scope.unit_lookup("path__startswith"): world.phong1.path}).exists(), (
            f"{route.name}: the row left school A's side"
        )
