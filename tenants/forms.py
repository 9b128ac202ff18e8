from django import forms


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.CharField(max_length=30, help_text="Lowercase letters, digits and hyphens.")
    manager_email = forms.EmailField(required=False, label="First client manager's email")
    currency = forms.CharField(max_length=3, initial="USD")


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
