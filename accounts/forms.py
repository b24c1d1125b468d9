from allauth.account.forms import LoginForm, SignupForm
from django import forms

from accounts.handles import MAX_LENGTH


def _as_handle_field(field: forms.Field) -> None:
    field.label = "Handle"
    field.widget.attrs.update(
        {
            "placeholder": "your_handle",
            "autocomplete": "username",
            "autocapitalize": "none",
            "spellcheck": "false",
            "maxlength": str(MAX_LENGTH),
            "pattern": "[A-Za-z0-9_]{1,15}",
            "aria-describedby": "handle-help",
        }
    )


class HandleSignupForm(SignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _as_handle_field(self.fields["username"])
        self.fields["password1"].label = "Password"
        self.fields["password2"].label = "Password (again)"
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)


class HandleLoginForm(LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _as_handle_field(self.fields["login"])
        self.fields["login"].widget.attrs.pop("pattern")
        self.fields["login"].widget.attrs.pop("aria-describedby")
        self.fields["password"].label = "Password"
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
