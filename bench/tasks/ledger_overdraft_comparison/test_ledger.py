import pytest
from ledger import InsufficientFunds, Ledger


def test_withdraw_entire_balance():
    account = Ledger(100)
    account.withdraw(100, "rent")
    assert account.balance == 0


def test_overdraft_refused():
    account = Ledger(50)
    with pytest.raises(InsufficientFunds):
        account.withdraw(51)
    assert account.balance == 50
    assert account.entries == []


def test_statement_running_balance():
    account = Ledger()
    account.deposit(30, "salary")
    account.withdraw(30, "groceries")
    assert account.statement() == [
        "salary           +30      30",
        "groceries        -30       0",
    ]


def test_amounts_must_be_positive():
    account = Ledger(10)
    with pytest.raises(ValueError):
        account.deposit(0)
    with pytest.raises(ValueError):
        account.withdraw(-5)
