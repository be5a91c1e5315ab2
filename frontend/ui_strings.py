"""Strings the browser scripts show, translated on the server and handed to them as JSON.

Templates put ``{% ui_strings as strings %}{{ strings|json_script:"ui-strings" }}`` on the page and
``static/frontend/i18n.js`` reads it, so the scripts need no gettext catalogue view. Placeholders are
``{name}`` (replaced in JS), not ``%(name)s``, so translators see them as plain text to keep.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from competition.online.messages import DUEL_STRINGS
from competition.online.messages import ERRORS as ONLINE_ERRORS

PHASES = {
    "lobby": _("Lobby"),
    "open": _("Question open"),
    "closed": _("Closed"),
    "revealed": _("Answer revealed"),
    "leaderboard": _("Leaderboard"),
    "finished": _("Finished"),
}

# Every error code the server can send (frontend.protocol_codes.error_codes(): docs/protocol.md and the
# quiz's refusals) -> what people read; a test fails when one has no message in either language. Keys that
# are not server codes ("generic", "join_mode_code", "join_mode_nickname") are the pages' own.
ERRORS = {
    "generic": _("Something went wrong. Please try again."),
    # joining and reconnecting
    "wrong_pin": _("No live round has that PIN. Check the PIN on the big screen."),
    "nickname_taken": _("Someone in this round already has that nickname. Please choose another."),
    "nickname_invalid": _("Choose a nickname of 1 to 20 characters."),
    "nickname_offensive": _("Please choose another nickname."),
    "code_unknown": _("That contestant code is not registered for this competition."),
    "join_mode_code": _("This round is open to everyone: join with a nickname."),
    "join_mode_nickname": _("This round is for registered contestants: join with your contestant code."),
    "join_mode": _("This round does not accept that way of joining."),
    "invalid_token": _("Your session has expired. Please join again."),
    "already_joined": _("You have already joined a round on this page."),
    "not_joined": _("Join the round first."),
    "kicked": _("The host removed you from this round."),
    "not_in_match": _("Your team does not play in this match."),
    # answering
    "too_late": _("Too late: the question had already closed."),
    "paused": _("The clock is paused. Answer when it runs again."),
    "wrong_question": _("That question is not open any more."),
    "unknown_question": _("That question does not exist."),
    "invalid_choice": _("That answer is not valid. Please choose again."),
    "server_error": _("The server could not store your answer; it will be sent again."),
    # any frame
    "invalid_field": _("The request was not valid."),
    "malformed_json": _("The request was not valid."),
    "frame_too_large": _("The request was too large."),
    "unknown_type": _("The request was not understood."),
    "not_allowed": _("That is not allowed here."),
    "busy": _("The round is busy. Please try again."),
    # stage finals: captains' phones
    "buzz_locked_out": _("Your team may not buzz on this question now."),
    "buzz_duplicate": _("Your team has already buzzed on this question."),
    "buzz_closed": _("The buzzer is closed for this question."),
    "buzz_not_eligible": _("Your team does not take part in this question."),
    "answer_before_cue": _("Wait for the host's cue before answering."),
    "answer_not_your_turn": _("It is not your team's turn to answer."),
    "answer_duplicate": _("Your team has already answered this question."),
    "answer_too_late": _("The answer time is over."),
    "wager_not_a_tier": _("Pick one of the wager tiers shown."),
    "wager_not_your_turn": _("Another team picks its tier before yours."),
    "wager_already_placed": _("Your team has already picked its tier."),
    "wager_tier_taken": _("Another team has taken this tier. Pick another."),
    "wager_not_eligible": _("Your team does not take part in this segment."),
    "wager_closed": _("There is no wager to place now."),
    # stage finals: judges
    "judge_recused": _("You are recused from scoring this team (same district or unit)."),
    "judge_score_invalid": _("Enter a score in the range shown, with at most one decimal."),
    "judge_not_on_panel": _("You are not a judge of this final."),
    "judge_team_unknown": _("This team does not present in this segment."),
    "judge_scores_revealed": _("This team's scores are revealed and can no longer change."),
    "judging_closed": _("Scores are entered during the presentations only."),
    # stage finals: the host
    "final_not_found": _("This final does not exist."),
    "final_not_started": _("The final has not started yet."),
    "final_finished": _("The final has finished."),
    "script_invalid": _("The script is not valid."),
    "script_pinned": _("The final has started: its script can no longer change."),
    "segment_unknown": _("That is not the next segment."),
    "question_unknown": _("That is not the next question."),
    "question_not_closed": _("Close the current question first."),
    "question_closed": _("This question is closed."),
    "no_answer_to_mark": _("No team is answering now."),
    "mark_before_cue": _("Cue the answer before marking it."),
    "turn_not_current": _("That is not the current turn."),
    "turn_not_finished": _("Mark the current answer before moving on."),
    "nothing_to_cue": _("There is nothing to cue in this segment."),
    "nothing_to_close": _("There is no buzzer question to close."),
    "wager_picks_open": _("Every team must pick its tier first."),
    "undo_reason_required": _("Say why the score is undone."),
    "score_event_unknown": _("There is no such score event."),
    "score_event_already_undone": _("That score event is already undone."),
    "score_event_not_undoable": _("An undo cannot be undone; record a new score instead."),
    "ruling_required": _("Enter the ruling that releases the hold."),
    "points_invalid": _("That is not a number of points."),
    "sudden_death_needs_two": _("A sudden death needs at least two level teams."),
    "sudden_death_team_placed": _("This team is already placed."),
    "sudden_death_decided": _("The sudden death is decided."),
    "rate_limited": _("Too many requests at once. Please wait a moment."),
    # host
    "unauthenticated": _("Your login has expired. Please log in again."),
    "forbidden": _("You do not have host rights for this round."),
    "round_not_found": _("This round does not exist."),
    "unknown_contestant": _("No such contestant in this round."),
    "stale_version": _("The round has just changed. Check and try again."),
    "invalid_value": _("That value is out of range."),
    "round_finished": _("The round has finished."),
    "question_not_revealed": _("Reveal the current question first."),
    "question_not_open": _("No question is open."),
    "question_not_played": _("That question has not been played yet."),
    "question_voided": _("That question was voided."),
    "no_more_questions": _("Every question has been played."),
    "already_played": _("That question has been opened already; void it instead."),
    # creating rounds
    "no_questions": _("A round needs at least one question."),
    "question_not_playable": _("Only approved choice questions can be played."),
    "pin_taken": _("That PIN belongs to another live round."),
    # the online stage (competition/online/messages.py)
    **ONLINE_ERRORS,
}

STRINGS = {
    **DUEL_STRINGS,
    # connection badge
    "conn.connecting": _("Connecting…"),
    "conn.connected": _("Connected"),
    "conn.reconnecting": _("Reconnecting…"),
    "conn.offline": _("Offline"),
    "conn.stalled": _("No connection"),
    "conn.closed": _("Disconnected"),
    # questions
    "q.number": _("Question {n} / {total}"),
    "q.paused": _("Paused"),
    "q.time_up": _("Time's up!"),
    "q.closed_by_host": _("The host closed this question."),
    "q.all_answered": _("Everyone has answered."),
    "q.closed": _("Answers are closed."),
    "q.voided": _("This question was voided and does not count."),
    "q.hint_single": _("Tap your answer."),
    "q.hint_multiple": _("Choose every correct answer, then submit."),
    "q.correct_mark": _("correct answer"),
    "q.none": _("No question yet."),
    "q.seconds": pgettext_lazy("countdown unit", "s"),
    "participants": _("{n} joined"),
    # contestant
    "play.joining": _("Joining…"),
    "play.join": _("Join"),
    "play.pin_invalid": _("Enter the 6-digit PIN."),
    "play.nickname_required": _("Enter a nickname of up to 20 characters."),
    "play.code_required": _("Enter your contestant code."),
    "play.waiting": _("You're in! Waiting for the host to start…"),
    "play.sending": _("Sending your answer…"),
    "play.not_received": _(
        "Not received yet: there is no connection. Your answer is kept and sent as soon as it is back."
    ),
    "play.ack": _("Answer received ✓"),
    "play.no_answer": _("You did not answer this question."),
    "play.correct": _("Correct!"),
    "play.incorrect": _("Not quite."),
    "play.points": _("+{points} points"),
    "play.streak": _("{n} in a row"),
    "play.waiting_reveal": _("Waiting for the answer…"),
    "play.final": _("The round is over. Thank you for taking part!"),
    "play.rank_of": _("{rank} of {n}"),
    "play.team_result": _("Your team {team}: place {rank} of {n}, {score} points."),
    "play.summary_said": _("Your round: {correct} correct, best streak {streak}, rank {rank}."),
    "a11y.seconds_left": _("{n} seconds left"),
    "play.extended_time": _("Your extended time: ×{factor}. The countdown here is yours."),
    # host
    "host.done": _("{command}: done."),
    "host.unchanged": _("{command}: nothing to change."),
    "host.confirm_end": _("End the round now? Scores become final and the PIN is freed."),
    "host.confirm_void": _("Void question {n}? It will not count for anyone."),
    "host.confirm_kick": _("Remove “{name}” from the round? They cannot rejoin with this nickname."),
    "host.kicked": _("{name} was removed."),
    "host.removed": _("removed"),
    "host.kick": _("Kick"),
    "host.pause": _("Pause"),
    "host.resume": _("Resume"),
    "host.time_factor": _("Time"),
    "host.time_factor_for": _("Extended time for {name}"),
    "host.time_factor_set": _("{name}: time ×{factor} from the next question."),
    "q.extra_time": _("Contestants with extended time are still answering."),
    "host.key_hidden": _("The key is hidden on this screen until it is revealed."),
    "host.login_again": _("Your login has expired. Reload the page and log in again."),
    "host.status.upcoming": _("upcoming"),
    "host.status.next": _("next"),
    "host.status.current": _("current"),
    "host.status.played": _("played"),
    "host.status.skipped": _("skipped"),
    "host.status.voided": _("voided"),
    "cmd.open": _("Open next"),
    "cmd.close": _("Close"),
    "cmd.reveal": _("Reveal"),
    "cmd.leaderboard": _("Leaderboard"),
    "cmd.pause": _("Pause"),
    "cmd.resume": _("Resume"),
    "cmd.extend": _("+10 s"),
    "cmd.skip": _("Skip next"),
    "cmd.void": _("Void current"),
    "cmd.kick": _("Kick"),
    "cmd.time_factor": _("Extended time"),
    "cmd.end": _("End round"),
    # display
    "display.round_over": _("This round is no longer live."),
    "display.final": _("Final results"),
    "display.leaderboard": _("Leaderboard"),
    "display.more_names": _("and {n} more"),
    "display.place": _("No. {n}"),
}


def catalogue() -> dict[str, str]:
    """Every string above in the active language, as plain ``str`` for ``json_script``."""
    strings = {key: str(value) for key, value in STRINGS.items()}
    strings.update({f"phase.{key}": str(value) for key, value in PHASES.items()})
    strings.update({f"error.{key}": str(value) for key, value in ERRORS.items()})
    return strings
