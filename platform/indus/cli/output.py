"""Printing results: aligned columns for people, or JSON (--json) for scripts."""
import json
import sys


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def print_table(rows: list[dict], columns: list[str]) -> None:
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)]
    for line in [[c.upper() for c in columns], *cells]:
        print("  ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip())


def show(args, data, columns: list[str] | None = None) -> None:
    """A list as a table (or a single object as `key: value` lines), unless --json."""
    if args.json:
        print_json(data)
    elif isinstance(data, list):
        print_table(data, columns or [])
    else:
        for key in columns or data:
            print(f"{key}: {_cell(data.get(key))}")


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
