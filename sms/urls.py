"""The composition root: the platform's routes and each module's."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from sms.api.viewsets import ApiViewMixin
from sms.portal import documents as portal_documents
from sms.portal import views as portal_views


class SchemaView(ApiViewMixin, SpectacularAPIView):
    pass


class DocsView(ApiViewMixin, SpectacularSwaggerView):
    pass


api_patterns = [
    path("", include("sms.accounts.api.urls")),
    path("org/", include("sms.org.api.urls")),
    path("audit/", include("sms.audit.api.urls")),
    path("files/", include("sms.files.api.urls")),
    path("jobs/", include("sms.jobs.api.urls")),
    # the modules' APIs
    path("students/", include("students.api.urls")),
    path("teachers/", include("teachers.api.urls")),
    path("exams/", include("exams.api.urls")),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", include("sms.shell.urls")),
    path("tai-khoan/", include("sms.accounts.urls")),
    path("to-chuc/", include("sms.org.urls")),
    path("nhat-ky/", include("sms.audit.urls")),
    path("tep/", include("sms.files.urls")),
    path("tac-vu/", include("sms.jobs.urls")),
    path("cong/", include("sms.portal.urls")),
    path("ma-kiem-tra/<int:pk>/thu-hoi/", portal_documents.TokenRevokeView.as_view(), name="document-token-revoke"),
    # the eight information systems of Circular 53/2012, Art. 15.1 (a)–(h)
    path("hoc-sinh/", include("students.urls")),
    path("giao-vien/", include("teachers.urls")),
    path("thiet-bi/", include("equipment.urls")),
    path("thu-vien/", include("library.urls")),
    path("van-ban/", include("documents.urls")),
    path("thi-tuyen-sinh/", include("exams.urls")),
    path("kiem-dinh/", include("accreditation.urls")),
    path("pho-cap/", include("literacy.urls")),
    path("api/", include((api_patterns, "api"))),
    path("healthz", portal_views.health, name="health"),
    path("quan-tri-he-thong/", admin.site.urls),
]

handler403 = "sms.audit.views.permission_denied"
