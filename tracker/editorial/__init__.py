"""Editorial workflow for many users: editor home, change logs, follows and
notifications, account security (see docs/editors.md)."""
