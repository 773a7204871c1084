"""Projects, the unit of access, and the roles their members hold."""
