"""Helpers with no models, each tested on its own."""
