def current_org(request):
    """Expose the organization a view works in (set by ``org_view``) to templates."""
    return {"org": getattr(request, "org", None), "membership": getattr(request, "membership", None)}
