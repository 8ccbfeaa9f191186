"""Security and reliability suite ; see SECURITY.md."""
