"""Invitations by SMS: staff upload the day's returned dossiers, preview, confirm, and follow
each batch's sending (app/domain/invitations.py decides who is invited)."""
