"""The home page (a dashboard for the role the user acts in now) and the modules' landing pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.generic import TemplateView

from .dashboard import widgets_for
from .modules import get_module
from .nav import quick_links, url_or_none


def home(request):
    actor = request.get_actor()
    return render(
        request,
        "home.html",
        {"widgets": widgets_for(actor), "quick_links": quick_links(actor)},
    )


class ModuleIndexView(TemplateView):
    """The landing page of one module: what it covers and the pages it has for this role.

    Each module's ``urls.py`` routes its index here with ``module_key``; a role the module
    does not serve gets a 403.
    """

    module_key: str = ""
    template_name = "shell/module_index.html"

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        self.module = get_module(self.module_key)
        if not self.module.allows(self.actor):
            raise PermissionDenied("Vai trò hiện tại của bạn không sử dụng phân hệ này.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pages = []

        for page in self.module.pages_for(self.actor):
            url = url_or_none(page.url_name)
            if url is not None:
                pages.append({"title": page.title, "url": url, "description": page.description})
        context.update(module=self.module, pages=pages, title=self.module.title)
        return context
