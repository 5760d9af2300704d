"""Privacy: roles and permissions, tag sensitivity, masking, users and tokens, the audit
log and data-subject rights. Policy only — the services apply it around each action."""
