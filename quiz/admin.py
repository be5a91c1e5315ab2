from django.contrib import admin

from quiz.models import Answer, Contestant, Round, RoundLog, RoundQuestion


class RoundQuestionInline(admin.TabularInline):
    model = RoundQuestion
    extra = 0
    fields = ["position", "stem", "duration_ms", "opened_at", "closed_at", "revealed_at", "voided", "skipped"]
    readonly_fields = fields
    can_delete = False


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    """Rounds change only through host commands (the console); the admin shows them and their log."""

    list_display = ["title", "pin", "competition", "phase", "version", "created_at"]
    list_filter = ["phase", "competition"]
    search_fields = ["title", "pin"]
    readonly_fields = ["phase", "version", "current_index", "finished_at"]
    inlines = [RoundQuestionInline]


@admin.register(Contestant)
class ContestantAdmin(admin.ModelAdmin):
    list_display = ["nickname", "round", "team", "score", "rank", "kicked_at"]
    list_filter = ["round"]
    search_fields = ["nickname"]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    """The answer log is append-only: visible for disputes, never edited here."""

    list_display = [
        "contestant",
        "question",
        "choices",
        "received_at",
        "elapsed_ms",
        "rtt_ms",
        "client_elapsed_ms",
    ]
    list_filter = ["round"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(RoundLog)
class RoundLogAdmin(admin.ModelAdmin):
    list_display = ["round", "version", "action", "actor", "at"]
    list_filter = ["round", "action"]

    def has_change_permission(self, request, obj=None):
        return False
