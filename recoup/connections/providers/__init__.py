"""One small class per accounting or billing system, behind one interface."""
