"""The families of column types an inference file's columns are read and conformed as.

Which columns a model reads is the task's own `Task.model_columns` (in the plugin contract), the
one definition the platform's checks share; each is a contract `Column` with its type.
"""
TEXT_TYPES = frozenset({"text"})
TOKENS_TYPES = frozenset({"tokens"})
NUMERIC_TYPES = frozenset({"number", "integer"})
DATETIME_TYPES = frozenset({"datetime"})
BOOLEAN_TYPES = frozenset({"boolean"})
CATEGORICAL_TYPES = frozenset({"category", "identifier"})
