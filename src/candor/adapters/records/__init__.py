"""Evidence and records: blob stores for attachments, backup and restore, incident export."""
