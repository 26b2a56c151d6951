"""Legal rules and reference rates as dated data (YAML), read by ``recoup.core.rules``."""
