"""Choose the STT, LLM and TTS providers from settings: a short name or a dotted path to a factory.

The registry takes a plain mapping (built from Django settings by the caller) so it stays free of Django.
A factory is a class with ``from_config(mapping)`` or any callable taking the mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

from consultations.providers.base import LLMProvider, STTProvider, TTSProvider

FACTORIES: dict[str, dict[str, str]] = {
    "STT_PROVIDER": {
        "embedded": "consultations.providers.embedded_stt.PocketsphinxSTT",
        "deepgram": "consultations.providers.registry.deepgram_from_config",
        "simulated": "consultations.providers.simulated.SimulatedSTT",
    },
    "LLM_PROVIDER": {
        "embedded": "consultations.providers.embedded_llm.IntakeLLM",
        "bedrock": "consultations.providers.registry.bedrock_from_config",
        "openai": "consultations.providers.registry.openai_from_config",
        "simulated": "consultations.providers.simulated.SimulatedLLM",
    },
    "TTS_PROVIDER": {
        "embedded": "consultations.providers.embedded_tts.EspeakTTS",
        "cartesia": "consultations.providers.registry.cartesia_from_config",
        "simulated": "consultations.providers.simulated.SimulatedTTS",
    },
}


def _import(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


def build(kind: str, config: Mapping[str, Any]) -> Any:
    choice = str(config.get(kind) or "embedded")
    factory: Any = _import(FACTORIES[kind].get(choice, choice))
    build_from: Callable[[Mapping[str, Any]], Any] = getattr(factory, "from_config", factory)
    return build_from(config)


def load_providers(config: Mapping[str, Any]) -> tuple[STTProvider, LLMProvider, TTSProvider]:
    """A fresh set of providers for one consultation (LLM providers may keep per-consultation state)."""
    return build("STT_PROVIDER", config), build("LLM_PROVIDER", config), build("TTS_PROVIDER", config)


def deepgram_from_config(config: Mapping[str, Any]) -> STTProvider:
    from consultations.providers.deepgram import DeepgramSTT

    return DeepgramSTT(config["DEEPGRAM_API_KEY"], url=config["DEEPGRAM_URL"], model=config["DEEPGRAM_MODEL"])


def cartesia_from_config(config: Mapping[str, Any]) -> TTSProvider:
    from consultations.providers.cartesia import CartesiaTTS

    options = {"url": config["CARTESIA_URL"], "model_id": config["CARTESIA_MODEL_ID"]}
    if config.get("CARTESIA_VOICE_ID"):
        options["voice_id"] = config["CARTESIA_VOICE_ID"]
    return CartesiaTTS(config["CARTESIA_API_KEY"], **options)


def bedrock_from_config(config: Mapping[str, Any]) -> LLMProvider:
    from consultations.providers.bedrock import BedrockLLM

    return BedrockLLM(
        config["BEDROCK_MODEL_ID"], config["AWS_REGION"], endpoint_url=config.get("BEDROCK_ENDPOINT_URL") or None
    )


def openai_from_config(config: Mapping[str, Any]) -> LLMProvider:
    from consultations.providers.openai_compat import OpenAICompatLLM

    return OpenAICompatLLM(config["OPENAI_BASE_URL"], config.get("OPENAI_API_KEY", ""), config["OPENAI_MODEL"])
