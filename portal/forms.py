"""Form helpers shared by every app's pages."""

from __future__ import annotations

from django import forms

from portal.errors import DomainError


def form_add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's error on the form that sent the input, on the field it names."""
    for field, problems in (error.fields or {}).items():
        name = field.split(".")[0].split("[")[0]
        for problem in problems:
            if name in form.fields:
                form.add_error(name, problem if name == field else f"{field}: {problem}")
            else:
                form.add_error(None, f"{field}: {problem}")
    if not error.fields:
        form.add_error(None, error.message)
