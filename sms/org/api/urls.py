from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("units", views.UnitViewSet, basename="unit")
router.register("areas", views.AdministrativeAreaViewSet, basename="area")
router.register("school-years", views.SchoolYearViewSet, basename="schoolyear")
router.register("semesters", views.SemesterViewSet, basename="semester")
router.register("classes", views.SchoolClassViewSet, basename="schoolclass")
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register("subject-plans", views.SubjectPlanViewSet, basename="subjectplan")

urlpatterns = router.urls
