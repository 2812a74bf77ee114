"""A bank account ledger: deposits, withdrawals and a statement."""


class InsufficientFunds(Exception):
    pass


class Ledger:
    def __init__(self, opening_balance=0):
        self.balance = opening_balance
        self.entries = []

    def deposit(self, amount, memo=""):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance += amount
        self.entries.append((memo or "deposit", amount, self.balance))

    def withdraw(self, amount, memo=""):
        """Take `amount` out; the balance may reach zero but never go below it."""
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        if amount >= self.balance:
            raise InsufficientFunds(f"balance {self.balance} < {amount}")
        self.balance -= amount
        self.entries.append((memo or "withdrawal", -amount, self.balance))

    def statement(self):
        """One line per entry: memo, signed amount and the balance after it."""
        return [f"{memo:<12}{amount:>+8}{balance:>8}" for memo, amount, balance in self.entries]
