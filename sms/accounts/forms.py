from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="Tên đăng nhập hoặc hộp thư công vụ",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    error_messages = {
        "invalid_login": "Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý mật khẩu phân biệt chữ hoa, chữ thường.",
        "inactive": "Tài khoản này đã bị khoá.",
    }


class SmsPasswordChangeForm(PasswordChangeForm):
    """Django's form with Vietnamese labels and messages; the rules are AUTH_PASSWORD_VALIDATORS."""

    error_messages = {
        "password_mismatch": "Hai lần nhập mật khẩu mới không giống nhau.",
        "password_incorrect": "Mật khẩu hiện tại không đúng. Hãy nhập lại.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Mật khẩu hiện tại"
        self.fields["new_password1"].label = "Mật khẩu mới"
        self.fields["new_password1"].help_text = " ".join(password_validators_help_texts())
        self.fields["new_password2"].label = "Nhập lại mật khẩu mới"
