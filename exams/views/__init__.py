"""HTML pages of module (e), one module per area.

``exam_page`` lets each area put a link on the exam's page (its detail page renders
``exam_pages(actor, exam)``), so the setup area names no other area's routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ExamPage:
    label: str
    url_name: str  # takes the exam's pk
    shown: Callable  # fn(actor, exam) -> bool
    order: int = 100


_pages: list[ExamPage] = []


def exam_page(label: str, url_name: str, shown: Callable, order: int = 100) -> None:
    """An area announces a page of one exam (``url_name`` takes ``pk=exam.pk``)."""
    if all(p.url_name != url_name for p in _pages):
        _pages.append(ExamPage(label, url_name, shown, order))


def exam_pages(actor, exam) -> list[tuple[str, str]]:
    """(label, url) of the exam's pages the actor may open, in order."""
    from django.urls import reverse

    return [
        (p.label, reverse(f"exams:{p.url_name}", kwargs={"pk": exam.pk}))
        for p in sorted(_pages, key=lambda p: (p.order, p.label))
        if p.shown(actor, exam)
    ]
