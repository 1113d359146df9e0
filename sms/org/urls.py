from django.urls import path

from . import views

app_name = "org"


def crud(prefix: str, name: str, list_view, detail, create, update):
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}-list"),
        path(f"{prefix}/them/", create.as_view(), name=f"{name}-create"),
        path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"{name}-detail"),
        path(f"{prefix}/<int:pk>/sua/", update.as_view(), name=f"{name}-update"),
    ]


urlpatterns = [
    *crud("don-vi", "unit", views.UnitList, views.UnitDetail, views.UnitCreate, views.UnitUpdate),
    path("don-vi/<int:pk>/chuyen/", views.UnitMoveView.as_view(), name="unit-move"),
    *crud("dia-ban", "area", views.AreaList, views.AreaDetail, views.AreaCreate, views.AreaUpdate),
    *crud(
        "nam-hoc",
        "schoolyear",
        views.SchoolYearList,
        views.SchoolYearDetail,
        views.SchoolYearCreate,
        views.SchoolYearUpdate,
    ),
    *crud(
        "lop",
        "schoolclass",
        views.SchoolClassList,
        views.SchoolClassDetail,
        views.SchoolClassCreate,
        views.SchoolClassUpdate,
    ),
    *crud("mon-hoc", "subject", views.SubjectList, views.SubjectDetail, views.SubjectCreate, views.SubjectUpdate),
    *crud(
        "ke-hoach-mon-hoc",
        "subjectplan",
        views.SubjectPlanList,
        views.SubjectPlanDetail,
        views.SubjectPlanCreate,
        views.SubjectPlanUpdate,
    ),
]
