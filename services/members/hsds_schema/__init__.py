"""JSON Schema of the HSDS 3.0 documents the public API serves (Japan profile)."""
import json
from pathlib import Path

SCHEMA_PATH = Path(__file__).parent / "hsds-3.0-jp.schema.json"


def load() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def definition(name: str) -> dict:
    """A validatable schema for one document kind: organization, service, organization_page, service_page, api_root."""
    schema = load()
    return {**schema, "$ref": f"#/$defs/{name}"}
