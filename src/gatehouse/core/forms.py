"""Form base: Tabler classes on every widget, and the acting user for scoped choices."""

from __future__ import annotations

from typing import Any

from django import forms


def style_fields(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class ConsoleForm(forms.Form):
    def __init__(self, *args: Any, user: Any = None, instance: Any = None, **kwargs: Any) -> None:
        self.user = user
        self.instance = instance
        super().__init__(*args, **kwargs)
        style_fields(self)


class ConsoleFilterMixin:
    """Mixed into django-filter FilterSets so their form gets Tabler classes too."""

    @property
    def form(self) -> forms.Form:
        form: forms.Form = super().form  # type: ignore[misc]
        style_fields(form)
        return form
