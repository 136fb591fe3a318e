"""Serializers for a member's own balances and the curators' credit top-ups."""

from rest_framework import serializers

from ledger.models import DEFAULT_CURRENCY, Currency
from ledger.money import MAX_AMOUNT


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    balance = serializers.IntegerField(help_text="Credit in minor units of `currency`.")
    currency = serializers.CharField()
    balances = serializers.DictField(child=serializers.IntegerField())


class CreditInputSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT)
    currency = serializers.ChoiceField(choices=Currency.choices, default=DEFAULT_CURRENCY)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class CreditSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    balance = serializers.IntegerField()
    transaction = serializers.IntegerField()
