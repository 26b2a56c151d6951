"""Demo data: a believable small business with two years of receivables and a year of collections.

``profiles`` decides (pure, seeded) who the customers are and how they pay, ``story`` (pure)
who disputes, who gets a plan, who is escalated; ``build`` creates the organization and
``history`` lives the year day by day through the real actions: the scheduler's cycle,
delivery (recorded, never sent), the office's work (``office``), the debtors' answers
(``debtors``), the story's scenes (``scenes``) and the bank's statements (``bank``).
See docs/demo.md.
"""
