"""The platform: settings, URLs and what every module shares (see ARCHITECTURE.md)."""
