"""What people read for each refusal code of the online stage (merged into the pages' catalogue,
``frontend.ui_strings.ERRORS``; docs/protocol.md, section 8, lists the codes)."""

from django.utils.translation import gettext_lazy as _

ERRORS = {
    "mobile_invalid": _("Enter an 11-digit mainland mobile number."),
    "code_rate_limited": _("A code was sent a moment ago. Please wait before asking for another."),
    "sms_failed": _("The text message could not be sent. Please try again."),
    "code_invalid": _("That code is not right. Check the SMS and try again."),
    "code_expired": _("That code has expired. Ask for a new one."),
    "code_used": _("That code has already been used. Ask for a new one."),
    "code_tries": _("Too many wrong codes. Ask for a new one."),
    "already_registered": _("This mobile number is already registered. Sign in instead."),
    "not_signed_in": _("Please sign in first."),
    "stage_closed": _("The online stage is not open today."),
    "draw_failed": _("The questions for this could not be put together. Please tell the organisers."),
    "attempt_cap": _("You have used all your attempts for now."),
    "themed_unknown": _("There is no such themed quiz."),
    "themed_group": _("This themed quiz is for another group."),
    "themed_closed": _("This themed quiz is not open today."),
    "attempt_unknown": _("There is no such attempt of yours."),
    "attempt_finished": _("This attempt is over."),
    "not_served": _("That question is not the one being asked. The page has been brought up to date."),
    "flag_decided": _("This flag has already been decided."),
    "duel_unknown": _("There is no such duel."),
    "duel_full": _("This duel already has two players."),
    "duel_over": _("This duel is over."),
    "duel_not_open": _("No question is open in this duel right now."),
    "not_invited": _("This invitation is not valid."),
}

# What the duel page's script shows (merged into the pages' strings, ``frontend.ui_strings.STRINGS``).
DUEL_STRINGS = {
    "duel.waiting": _("Waiting for your friend to join…"),
    "duel.get_ready": _("Get ready: the next question is coming."),
    "duel.open": _("Question {n} of {total}"),
    "duel.answered": _("Answer received. Waiting for your partner…"),
    "duel.revealed": _("Answer shown."),
    "duel.win": _("You won the duel!"),
    "duel.draw": _("A draw!"),
    "duel.loss": _("Your partner won this time."),
    "duel.expired": _("Your friend did not join in time. Invite someone else, or find a partner."),
    "duel.you": _("You: {score}"),
    "duel.partner": _("{name}: {score}"),
    "duel.points": _("+{points} points"),
    "duel.reconnecting": _("Connection lost, reconnecting…"),
}
