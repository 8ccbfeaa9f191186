"""Security and reliability suite (issue 8); see docs/security-tests.md."""
