"""The submission desk: broker submissions in (e-mails, PDF applications, account lists, text), typed submissions
out, kept in the desk store. ``desk.intake.intake`` is the one entry; the CLI, the Desk page, the inbox watcher and
the MCP tool call it. Layer: above ``evals``, below ``app``."""
