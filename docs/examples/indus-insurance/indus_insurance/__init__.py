"""An example Indus plugin: triage of insurance claims from their description."""
