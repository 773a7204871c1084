"""API views, one module per resource; thin: they check input, call a service or selector
(the services record changes in the audit log) and shape the response."""
