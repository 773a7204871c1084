"""API views, one module per resource; thin: they check input, call a service or selector,
record changes in the audit log and shape the response."""
