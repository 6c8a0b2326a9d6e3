"""Model profiles: what each served model is trusted for, and how it is sampled.

A profile is data (`agents/core/model_profiles.yaml`), one per model we know. Code asks
`profile.trusts("free_drafting")` (or `assessment`, `deep_reading`, `summaries`) before it
lets the model's output decide or reach a person; where the model is not trusted, code
does the job instead (the extractive draft and summary of the support graph). The embedded
135M model trusts nothing that decides; the README's recommended GPU models trust all four;
any other model gets the cautious default.

The LLM boundary (`agents/llm/client.py`) applies the profile's sampling; the composition
root hands the profile to the graphs. `profile_of(settings)` is the one way to find it.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.core.config import Settings

Capability = Literal["assessment", "deep_reading", "summaries", "free_drafting"]
"""What a model may be trusted with (see the header of `model_profiles.yaml`)."""
CAPABILITIES: tuple[Capability, ...] = ("assessment", "deep_reading", "summaries", "free_drafting")


class ProfileError(ValueError):
    """The profiles file is malformed, or a profile asked for by name does not exist."""


class Sampling(BaseModel):
    """How the model is sampled (the LLM client sends these with every call)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float = Field(ge=0, le=2)
    repetition_penalty: float | None = Field(default=None, gt=0, le=2)
    """vLLM's repetition penalty (1 = none); None: not sent (an endpoint that is not vLLM)."""
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    """OpenAI's frequency penalty; None: not sent."""
    max_tokens: int = Field(gt=0)
    """Upper bound on the tokens of one answer."""


class ModelProfile(BaseModel):
    """One model's profile: what it is trusted for, its sampling, its prompt budget."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    match: tuple[str, ...] = ()
    """Shell-style patterns (lower case) over the model's served name and its source."""
    trusts_: frozenset[Capability] = Field(alias="trusts")
    sampling: Sampling
    prompt_budget_tokens: int = Field(gt=0)
    """How many tokens a prompt may hold (the answer's room aside)."""

    def trusts(self, capability: Capability) -> bool:
        """Whether the model's output may be used for `capability`."""
        if capability not in CAPABILITIES:
            raise ProfileError(f"unknown capability {capability!r} (known: {CAPABILITIES})")
        return capability in self.trusts_

    @property
    def trusted(self) -> tuple[Capability, ...]:
        """The capabilities this profile trusts, in the documented order."""
        return tuple(c for c in CAPABILITIES if c in self.trusts_)

    def matches(self, *names: str | None) -> bool:
        lowered = [n.lower() for n in names if n]
        return any(fnmatchcase(n, pattern) for pattern in self.match for n in lowered)


class ProfileBook(BaseModel):
    """The whole profiles file, validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    default: str
    profiles: tuple[ModelProfile, ...]

    @model_validator(mode="after")
    def _names_unique_and_default_known(self) -> ProfileBook:
        names = [p.name for p in self.profiles]
        if len(set(names)) != len(names):
            raise ValueError(f"profile names repeat: {names}")
        if self.default not in names:
            raise ValueError(f"the default profile {self.default!r} is not among {names}")
        return self

    def named(self, name: str) -> ModelProfile:
        for profile in self.profiles:
            if profile.name == name:
                return profile
        known = ", ".join(p.name for p in self.profiles)
        raise ProfileError(f"no model profile named {name!r} (known: {known})")

    def for_model(self, model_name: str, source: str | None = None) -> ModelProfile:
        """The first profile matching the served name, else the first matching the source
        (the name wins: a remote endpoint keeps the default source), else the default."""
        for name in (model_name, source):
            for profile in self.profiles:
                if profile.matches(name):
                    return profile
        return self.named(self.default)


@cache
def profile_book() -> ProfileBook:
    """The shipped profiles (`agents/core/model_profiles.yaml`), read once."""
    text = resources.files("agents.core").joinpath("model_profiles.yaml").read_text("utf-8")
    return ProfileBook.model_validate(yaml.safe_load(text))


def profile_for(model_name: str, source: str | None = None) -> ModelProfile:
    """The profile of the model served as `model_name` (loaded from `source`, when known);
    the cautious default for a model no profile names."""
    return profile_book().for_model(model_name, source)


def profile_of(settings: Settings) -> ModelProfile:
    """The profile that applies to the configured model: `llm_profile` when it names one,
    else the one matching `llm_model` or `llm_model_source`."""
    if settings.llm_profile != "auto":
        return profile_book().named(settings.llm_profile)
    return profile_for(settings.llm_model, settings.llm_model_source)
