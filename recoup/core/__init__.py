"""Pure domain core of Recoup: money, payment terms, allocation, aging and ledger rules.

Nothing here imports Django, performs I/O or reads the clock; dates are passed in.
Money is ``Decimal`` in major units or ``int`` in minor units, never ``float``.
"""
