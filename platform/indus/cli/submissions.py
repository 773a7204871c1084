"""`indus jobs submit`'s flags, read from the OpenAPI schema the server publishes.

The server generates a submission schema per job kind from the kind's declaration (its
inputs' types, defaults, choices and help); this module turns each property into a flag, so
that every input the API takes, on whatever kinds that server has (plugins' too), is a flag
with its help, and the command stays an HTTP client that imports no Django.
"""
import argparse
import json

SUBMISSION_COMPONENT = "JobSubmissionRequest"
FLAGS_EXTENSION = "x-indus-flags"  # other spellings of a flag (api/serializers/job_submissions.py)


def submission_schemas(schema: dict) -> dict[str, dict]:
    """{kind name: the schema of its submission body}."""
    components = schema["components"]["schemas"]
    mapping = components[SUBMISSION_COMPONENT]["discriminator"]["mapping"]
    bodies = {}
    for kind, ref in sorted(mapping.items()):
        body = _resolved(components, {"$ref": ref})
        properties = {name: _resolved(components, prop) for name, prop in body.get("properties", {}).items()}
        bodies[kind] = {**body, "properties": properties}
    return bodies


def _resolved(components: dict, node: dict) -> dict:
    """A property or component with its `$ref` (or drf-spectacular's one-element `allOf`
    around an enum) replaced by what it points to, the node's own keys kept."""
    if "$ref" in node:
        return {**_resolved(components, components[node["$ref"].rsplit("/", 1)[1]]),
                **{k: v for k, v in node.items() if k != "$ref"}}
    if len(node.get("allOf", [])) == 1:
        inner = _resolved(components, node["allOf"][0])
        return {**inner, **{k: v for k, v in node.items() if k != "allOf"}}
    return node


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def object_part(text: str) -> dict:
    """One piece of an object-valued flag: `KEY=VALUE` (VALUE as JSON when it reads as JSON:
    3, 0.1, true, [1, 2]; else text), or a whole JSON object."""
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a JSON object: {text!r}") from None
        if isinstance(value, dict):
            return value
    key, separator, raw = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE or a JSON object, not {text!r}")
    try:
        return {key: json.loads(raw)}
    except ValueError:
        return {key: raw}


def json_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r}") from None


def _help(prop: dict, required: bool) -> str:
    # drf-spectacular appends the list of choices to the description; argparse shows them itself.
    text = prop.get("description", "").split("\n\n* `", 1)[0].replace("%", "%%")
    if required:
        return f"{text} (required)"
    if prop.get("default") not in (None, {}, []):
        return f"{text} (default: {json.dumps(prop['default'])})"
    return text


def add_input_flags(parser: argparse.ArgumentParser, body_schema: dict) -> list[str]:
    """A flag for each input of a kind's submission body; the names of those inputs. A flag
    left out is left out of the request too, so the server's default applies."""
    required = set(body_schema.get("required", []))
    names = []
    for name, prop in body_schema.get("properties", {}).items():
        if name == "kind" or prop.get("readOnly"):
            continue
        names.append(name)
        spellings = [flag_name(name), *prop.get(FLAGS_EXTENSION, [])]
        options = {"dest": name, "default": None, "help": _help(prop, name in required)}
        kind = prop.get("type")
        if "enum" in prop:
            options["choices"] = [value for value in prop["enum"] if value is not None]
        elif kind == "boolean":
            options["action"] = argparse.BooleanOptionalAction
        elif kind == "integer":
            options["type"] = int
        elif kind == "number":
            options["type"] = float
        elif kind == "object":
            options.update(type=object_part, action="append", metavar="KEY=VALUE")
            options["help"] += "; repeat the flag for each key, or give a JSON object"
        elif kind == "array":
            options.update(type=json_value, metavar="JSON")
        parser.add_argument(*spellings, **options)
    return names


def request_body(kind: str, names: list[str], values: argparse.Namespace) -> dict:
    """The submission: the kind and each input given on the command line."""
    body = {"kind": kind}
    for name in names:
        value = getattr(values, name)
        if isinstance(value, list) and value and all(isinstance(part, dict) for part in value):
            value = {key: item for part in value for key, item in part.items()}
        if value is not None:
            body[name] = value
    return body


def job_making(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of every command that makes a job."""
    parser.add_argument("--watch", action="store_true", help="follow the job until it ends")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between checks with --watch")
    return parser


def kind_parser(kind: str, body_schema: dict) -> tuple[argparse.ArgumentParser, list[str]]:
    """The flags of `jobs submit PROJECT KIND`: the kind's inputs as the server's schema
    declares them, and those of every command that makes a job; and the inputs' names."""
    parser = argparse.ArgumentParser(prog=f"indus jobs submit PROJECT {kind}",
                                     description=body_schema.get("description", ""))
    names = add_input_flags(parser, body_schema)
    parser.add_argument("--idempotency-key", help="repeat a submission safely: the same key returns the same job")
    return job_making(parser), names
