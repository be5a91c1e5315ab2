from django.contrib import admin

from questionbank.models import Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["key", "stem", "kind", "language", "difficulty", "theme"]
    list_filter = ["kind", "language", "difficulty", "theme"]
    search_fields = ["key", "stem"]
