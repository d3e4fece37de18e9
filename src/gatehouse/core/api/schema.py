"""The OpenAPI 3 schema of /api/v1/: generation, the committed copy in docs/openapi.yaml, and
the check that generation is clean. (The error responses every operation documents are added
by gatehouse.core.api.errors.AutoSchema.) Nothing here imports DRF at module level, so that
`python -m` can configure Django first.

Regenerate the committed copy after changing the API:

    python -m gatehouse.core.api.schema docs/openapi.yaml
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REGENERATE_COMMAND = "python -m gatehouse.core.api.schema docs/openapi.yaml"


def generate_schema() -> tuple[str, list[str]]:
    """The schema as YAML (always generated in English) and the generator's warnings and
    errors, which must be empty."""
    from django.utils import translation
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer
    from drf_spectacular.validation import validate_schema
    from jsonschema import ValidationError as SchemaValidationError  # type: ignore[import-untyped]

    with translation.override("en"), GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
        problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
        try:
            validate_schema(schema)  # type: ignore[no-untyped-call]
        except SchemaValidationError as exc:
            problems.append(f"The schema is not valid OpenAPI: {exc.message}")
        rendered: bytes = OpenApiYamlRenderer().render(schema, renderer_context={})  # type: ignore[no-untyped-call]
        text = rendered.decode()
    return text, problems


def write_schema(path: str | Path) -> list[str]:
    """Write the schema to `path`; returns the generator's problems (empty when clean)."""
    text, problems = generate_schema()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write(f"usage: {REGENERATE_COMMAND}\n")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatehouse.settings")
    import django

    django.setup()
    problems = write_schema(args[0])
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    sys.stderr.write(
        f"wrote {args[0]}" + (f" with {len(problems)} problems\n" if problems else "\n")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
