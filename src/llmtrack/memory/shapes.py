"""A transformer's weight matrices and parameter counts by role, from its architecture."""

from __future__ import annotations

from llmtrack.catalog.schema import Architecture
from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass


@lazy_dataclass(frozen=True)
class Linear:
    """One weight matrix of a transformer block, ``count`` times over."""

    role: str
    inputs: int
    outputs: int
    count: int = 1

    @property
    def params(self) -> int:
        return self.inputs * self.outputs * self.count


def attention_linears(arch: Architecture) -> list[Linear]:
    h = arch.hidden_size
    latent = arch.latent_attention
    if latent is None:
        head_dim = arch.head_dim or h // arch.heads
        kv = (arch.kv_heads or arch.heads) * head_dim
        q = arch.heads * head_dim
        return [Linear("q", h, q), Linear("k", h, kv), Linear("v", h, kv), Linear("o", q, h)]
    qk_dim = latent.rope_head_dim + latent.nope_head_dim
    if latent.q_lora_rank is None:
        queries = [Linear("q", h, arch.heads * qk_dim)]
    else:
        rank = latent.q_lora_rank
        queries = [Linear("q_a", h, rank), Linear("q", rank, arch.heads * qk_dim)]
    # keys and values share a compressed latent (plus a shared rotary key), expanded per head
    return [
        *queries,
        Linear("kv_a", h, latent.kv_lora_rank + latent.rope_head_dim),
        # keys' and values' up-projection; LoRA's "attention" targets take it for v
        Linear("v", latent.kv_lora_rank, arch.heads * (latent.nope_head_dim + latent.v_head_dim)),
        Linear("o", arch.heads * latent.v_head_dim, h),
    ]


def ffn_linears(arch: Architecture, *, dense: bool = False, active: bool = False) -> list[Linear]:
    """The FFN of one block: dense, or every expert (``active``: only those a token uses)."""
    h = arch.hidden_size
    matrices = 3 if arch.ffn_kind == "gated" else 2

    def mlp(role: str, size: int, count: int = 1) -> list[Linear]:
        # up (and gate) projections in, one down projection out
        return [
            Linear(f"{role}.in", h, size, count * (matrices - 1)),
            Linear(f"{role}.out", size, h, count),
        ]

    if dense or not arch.experts:
        return mlp("ffn", arch.ffn_size)
    # an unknown top-k counts every expert as active: an overestimate, never an under
    count = (arch.experts_per_token or arch.experts) if active else arch.experts
    linears = mlp("expert", arch.expert_ffn_size or arch.ffn_size, count)
    if arch.shared_expert_ffn_size:
        linears += mlp("shared_expert", arch.shared_expert_ffn_size)
    return [*linears, Linear("router", h, arch.experts)]


@lazy_dataclass(frozen=True)
class Shapes:
    """Parameter counts by role, from the architecture (biases and norms left out)."""

    embedding: int  # token (and learned position) embeddings
    head: int  # an untied output projection
    linear: int  # every attention and FFN matrix in every layer
    active_linear: int  # what one token passes through: all of it unless experts are routed

    @property
    def total(self) -> int:
        return self.embedding + self.head + self.linear

    @property
    def active(self) -> int:
        return self.embedding + self.head + self.active_linear


def _block_params(arch: Architecture, *, active: bool) -> int:
    attention = sum(m.params for m in attention_linears(arch))
    dense_ffn = sum(m.params for m in ffn_linears(arch, dense=True))
    ffn = sum(m.params for m in ffn_linears(arch, active=active))
    dense_layers = min(arch.dense_layers or 0, arch.layers) if arch.experts else arch.layers
    params = arch.layers * attention + dense_layers * dense_ffn
    params += (arch.layers - dense_layers) * ffn
    if arch.kind == "encoder-decoder":  # decoder blocks add cross-attention
        params += (arch.decoder_layers or arch.layers) * (2 * attention + dense_ffn)
    return params


# Shapes already worked out, by architecture: `fits` estimates each model with six recipes.
# Keyed by id and holding the architecture itself, so an id is never reused while cached.
_WORKED_OUT: dict[int, tuple[Architecture, int | None, Shapes]] = {}


def shapes(arch: Architecture, context_length: int | None = None) -> Shapes:
    known = _WORKED_OUT.get(id(arch))
    if known is not None and known[0] is arch and known[1] == context_length:
        return known[2]
    result = _shapes(arch, context_length)
    _WORKED_OUT[id(arch)] = (arch, context_length, result)
    return result


def _shapes(arch: Architecture, context_length: int | None) -> Shapes:
    if arch.vocab_size is None:
        raise UsageError("the architecture has no vocab_size; the estimate needs one")
    h = arch.hidden_size
    embedding = arch.vocab_size * h
    if arch.position == "learned" and context_length:
        embedding += context_length * h
    untied = not arch.tied_embeddings and arch.kind != "encoder"
    head = arch.vocab_size * h if untied else 0
    return Shapes(
        embedding, head, _block_params(arch, active=False), _block_params(arch, active=True)
    )


def parameter_count(arch: Architecture, context_length: int | None = None) -> int | None:
    """Weights implied by the architecture, a check on a published count (biases and norms,
    well under 1 % here, are left out). None when the architecture lacks the vocab size."""
    if arch.vocab_size is None or arch.tied_embeddings is None:
        return None
    return shapes(arch, context_length).total
