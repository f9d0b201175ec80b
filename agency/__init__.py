"""The regional agency's workspace: review queue, decisions, introductions, impact."""
