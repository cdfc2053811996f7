"""Learner pages: course player, knowledge checks, certificates."""
