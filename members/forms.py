from django import forms

from tenants.models import VENDOR_ROLES, Role


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, vendor_staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not vendor_staff:  # the vendor staffs annotators and auditors from its pool
            self.fields["role"].choices = [(v, label) for v, label in Role.choices if v not in VENDOR_ROLES]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(widget=forms.PasswordInput, required=False)
