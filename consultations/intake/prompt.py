"""The versioned system prompt the voice loop gives any LLM (Bedrock or self-hosted) that runs behind the engine."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PROMPT_VERSION = "v1"
PROMPTS_DIR = Path(__file__).parent / "prompts"


@lru_cache(maxsize=4)
def system_prompt(version: str = PROMPT_VERSION) -> str:
    """The prompt text for a version (the current one by default), without its leading comment."""
    text = (PROMPTS_DIR / f"system_{version}.md").read_text(encoding="utf-8")
    if text.startswith("<!--"):
        text = text[text.index("-->") + 3 :]
    return text.strip()
