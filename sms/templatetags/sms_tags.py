from django import template
from django.utils import formats

from sms.text import midsentence

register = template.Library()


@register.simple_tag
def attr(obj, name):
    """``obj.name`` or ``obj.name()``, localised (dates dd/mm/yyyy, booleans in Vietnamese)."""
    value = getattr(obj, name, None)
    if callable(value):
        value = value()
    if value is True:
        return "Có"
    if value is False:
        return "Không"
    if value is None or value == "":
        return "—"
    return formats.localize(value, use_l10n=True)


@register.filter(name="midsentence")
def midsentence_filter(label):
    """``sms.text.midsentence`` as a filter: "Học kỳ I" inside a sentence is "học kỳ I"."""
    return midsentence(label)
