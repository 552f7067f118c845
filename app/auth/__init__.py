"""Staff accounts and, in a later step, login and scope checks."""
