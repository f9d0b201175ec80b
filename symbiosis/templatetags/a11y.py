"""Template filters for accessible forms: a field's input names its help and its errors.

``{{ field|described }}`` renders the widget with ``aria-describedby`` listing the help
text's id and each error's id (``<auto_id>_error1`` …, the ids ``includes/field.html``
gives the error paragraphs), so a screen reader reads the error when the field is focused;
Django adds ``aria-invalid`` itself.
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


def describedby_ids(field: BoundField) -> list[str]:
    ids = []
    if field.help_text and field.auto_id:
        ids.append(f"{field.auto_id}_helptext")
    if field.auto_id:
        ids.extend(f"{field.auto_id}_error{n}" for n in range(1, len(field.errors) + 1))
    return ids


@register.filter
def described(field: BoundField) -> SafeString:
    ids = describedby_ids(field)
    attrs = {"aria-describedby": " ".join(ids)} if ids else None
    return field.as_widget(attrs=attrs)
