import factory
from django.contrib.auth import get_user_model

from competition.models import Competition, CompetitionRole, Division, Registration, Team
from questionbank.models import Question


class CompetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competition

    name = factory.Sequence(lambda n: f"Competition {n}")
    slug = factory.Sequence(lambda n: f"competition-{n}")
    year = 2026


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division

    competition = factory.SubFactory(CompetitionFactory)
    code = factory.Sequence(lambda n: f"division-{n}")
    name = factory.Sequence(lambda n: f"Division {n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    competition = factory.SubFactory(CompetitionFactory)
    division = factory.SubFactory(DivisionFactory, competition=factory.SelfAttribute("..competition"))
    name = factory.Sequence(lambda n: f"Team {n}")


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    competition = factory.SubFactory(CompetitionFactory)
    team = None
    name = factory.Sequence(lambda n: f"Player {n}")
    code = factory.Sequence(lambda n: f"C{n:05d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def organiser(**fields):
    """A staff user with the organiser permission: manages and hosts every competition."""
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True, **fields)
    user.user_permissions.add(Permission.objects.get(codename="change_competition"))
    return get_user_model().objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


class HostRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetitionRole

    competition = factory.SubFactory(CompetitionFactory)
    user = factory.SubFactory(UserFactory)
    role = CompetitionRole.Role.HOST


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    key = factory.Sequence(lambda n: f"q-{n}")
    kind = "single"
    stem = factory.Sequence(lambda n: f"Question {n}: which is right?")
    choices = factory.LazyFunction(lambda: ["A", "B", "C", "D"])
    correct = factory.LazyFunction(lambda: [1])
    explanation = "Because B is right."
    source = "Test source"
    time_limit = 20
    status = "approved"
