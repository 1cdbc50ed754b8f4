"""Pure Block Kit builders: each returns (fallback text, blocks); no API calls."""
