"""Demo data: a believable small business with two years of receivables history.

``profiles`` decides (pure, seeded) who the customers are and how they pay;
``build`` writes that plan through the ledger actions.
"""
