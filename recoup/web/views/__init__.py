"""Views of the web app, one module per page family."""
