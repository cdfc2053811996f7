"""Input parsing and validation for organization pages and sign-up."""

from django import forms


class InvitationSignupForm(forms.Form):
    """Extra sign-up fields; allauth calls `signup` after creating the user."""

    def signup(self, request, user) -> None:
        pass
