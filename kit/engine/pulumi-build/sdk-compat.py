#!/usr/bin/env python3
"""Compare a bridged provider's Pulumi schema with the Python SDK that will talk to it.

usage: sdk-compat.py SCHEMA.json SDK_PACKAGE_DIR [--ignore TOKEN ...]

The SDK (e.g. .venv/lib/python3.X/site-packages/pulumi_docker) names, for every resource, data
source function and nested type, the type token (@pulumi.type_token) and the wire names of its
properties (@pulumi.getter(name=...)). A property the SDK sends that the schema lacks would be
rejected or ignored by the provider, so each one is reported. Prints one JSON line (tokens
missing, properties missing per token, counts) and exits 1 when anything the SDK uses is missing
and not ignored.
"""

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any


def getter_name(dec: ast.expr, func: ast.FunctionDef) -> str | None:
    """The wire name from @pulumi.getter / @pulumi.getter(name="x"), else None."""
    target = dec.func if isinstance(dec, ast.Call) else dec
    if not (isinstance(target, ast.Attribute) and target.attr == "getter"):
        return None
    if isinstance(dec, ast.Call):
        for kw in dec.keywords:
            if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                return str(kw.value.value)
    return func.name


def type_token(cls: ast.ClassDef) -> str | None:
    for dec in cls.decorator_list:
        if (
            isinstance(dec, ast.Call)
            and isinstance(dec.func, ast.Attribute)
            and dec.func.attr == "type_token"
            and dec.args
            and isinstance(dec.args[0], ast.Constant)
        ):
            return str(dec.args[0].value)
    return None


def is_data_type(cls: ast.ClassDef) -> bool:
    """@pulumi.input_type / @pulumi.output_type: a nested object type."""
    for dec in cls.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and target.attr in ("input_type", "output_type"):
            return True
    return False


INVOKE = re.compile(r"""invoke(?:_output|_single|_single_output)?\(\s*['"]([^'"]+)['"]""")


def sdk_tokens(pkg: Path, type_names: dict[str, str]) -> dict[str, set[str]]:
    """token -> wire property names, for every SDK class with a type token, and for the nested
    types whose class name (less "Args") names a schema type (type_names: lower name -> token)."""
    found: dict[str, set[str]] = {}
    for path in sorted(pkg.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for tok in INVOKE.findall(text):
            found.setdefault(tok, set())
        tree = ast.parse(text)
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            tok = type_token(cls)
            if tok is None and is_data_type(cls):
                base = cls.name[:-4] if cls.name.endswith("Args") else cls.name
                tok = type_names.get(base.lower())
            if tok is None:
                continue
            names = found.setdefault(tok, set())
            for item in cls.body:
                if isinstance(item, ast.FunctionDef):
                    for dec in item.decorator_list:
                        name = getter_name(dec, item)
                        if name is not None:
                            names.add(name)
    return found


def schema_tokens(schema: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for tok, res in schema.get("resources", {}).items():
        out[tok] = set(res.get("properties", {})) | set(res.get("inputProperties", {}))
    for tok, typ in schema.get("types", {}).items():
        out[tok] = set(typ.get("properties", {}))
    for tok, fn in schema.get("functions", {}).items():
        props = set()
        for part in ("inputs", "outputs"):
            props |= set((fn.get(part) or {}).get("properties", {}))
        out[tok] = props
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) > 1 and argv[1] in ("-h", "--help") else 2
    schema = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    ignore = set(argv[argv.index("--ignore") + 1 :]) if "--ignore" in argv else set()
    type_names = {t.split(":")[-1].lower(): t for t in schema.get("types", {})}
    sdk = sdk_tokens(Path(argv[2]), type_names)
    have = schema_tokens(schema)
    pkg = schema["name"] + ":"
    missing_tokens = sorted(t for t in sdk if t.startswith(pkg) and t not in have and t not in ignore)
    missing_props = {
        t: sorted(props - have[t])
        for t, props in sorted(sdk.items())
        if t in have and t not in ignore and props - have[t]
    }
    report = {
        "package": schema["name"],
        "sdk_tokens": len([t for t in sdk if t.startswith(pkg)]),
        "schema_tokens": len(have),
        "ignored": sorted(ignore),
        "missing_tokens": missing_tokens,
        "missing_properties": missing_props,
    }
    print(json.dumps(report))
    return 1 if missing_tokens or missing_props else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
