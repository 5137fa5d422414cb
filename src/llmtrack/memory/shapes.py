"""A transformer's weight matrices and parameter counts by role, from its architecture."""

from __future__ import annotations

from llmtrack.catalog.schema import Architecture
from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.layers import has_ffn, layer_groups


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


def head_shape(arch: Architecture, kind: str = "full") -> tuple[int, int]:
    """(head size, key/value heads) of an attention layer of this kind."""
    head_dim = arch.head_dim or arch.hidden_size // arch.heads
    kv_heads = arch.kv_heads or arch.heads
    if kind == "full":
        return arch.global_head_dim or head_dim, arch.global_kv_heads or kv_heads
    return head_dim, kv_heads


def mixer_linears(arch: Architecture, kind: str = "full") -> list[Linear]:
    """The token mixer of one layer of this kind: attention, linear attention or Mamba-2.
    Its last matrix is always the output projection ("o")."""
    h = arch.hidden_size
    if kind == "linear" and arch.linear_attention is not None:
        la = arch.linear_attention
        keys, values = la.key_heads * la.key_head_dim, la.value_heads * la.value_head_dim
        return [
            # queries, keys, values and the output gate z in one projection; then the
            # per-head decay and update rates (a, b)
            Linear("qkvz", h, 2 * keys + 2 * values),
            Linear("ba", h, 2 * la.value_heads),
            Linear("conv", 2 * keys + values, la.conv_kernel),  # depthwise, not a Linear
            Linear("o", values, h),
        ]
    if kind == "conv" and arch.conv_kernel is not None:
        return [  # LFM2: input-dependent gates around a depthwise convolution
            Linear("in", h, 3 * h),
            Linear("conv", h, arch.conv_kernel),
            Linear("o", h, h),
        ]
    if kind == "ffn":
        return []  # no token mixer
    if kind == "mamba" and arch.mamba is not None:
        m = arch.mamba
        inner, groups = m.heads * m.head_dim, m.groups * m.state_size
        return [
            # x and the gate z, B and C per group, and a time step per head
            Linear("in", h, 2 * inner + 2 * groups + m.heads),
            Linear("conv", inner + 2 * groups, m.conv_kernel),
            Linear("o", inner, h),
        ]
    return attention_linears(arch, kind)


def attention_linears(arch: Architecture, kind: str = "full") -> list[Linear]:
    h = arch.hidden_size
    latent = arch.latent_attention
    if latent is None:
        head_dim, kv_heads = head_shape(arch, kind)
        kv = kv_heads * head_dim
        q = arch.heads * head_dim
        gate = q if arch.attention_gate else 0  # the gate comes out of the same projection
        return [
            Linear("q", h, q + gate),
            Linear("k", h, kv),
            Linear("v", h, kv),
            Linear("o", q, h),
        ]
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


def ffn_linears(
    arch: Architecture, *, dense: bool = False, active: bool = False, size: int | None = None
) -> list[Linear]:
    """The FFN of one block: dense (of ``size``, else ffn_size), or every expert (``active``:
    only those a token uses)."""
    h = arch.hidden_size
    matrices = 3 if arch.ffn_kind == "gated" else 2

    def mlp(role: str, size: int, count: int = 1) -> list[Linear]:
        # up (and gate) projections in, one down projection out
        return [
            Linear(f"{role}.in", h, size, count * (matrices - 1)),
            Linear(f"{role}.out", size, h, count),
        ]

    if dense or not arch.experts:
        return mlp("ffn", size or arch.ffn_size)
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
    per_layer_embedding: int = 0  # Gemma 3n's per-layer tables, which may stay off the GPU
    vision: int = 0  # a vision or audio tower and its projector
    mtp: int = 0  # multi-token-prediction modules, not loaded unless speculating
    expert: int = 0  # of ``linear``, the routed experts' matrices

    @property
    def total(self) -> int:
        """The weights a runtime loads (multi-token prediction left out)."""
        return self.embedding + self.per_layer_embedding + self.head + self.linear + self.vision

    @property
    def active(self) -> int:
        return self.embedding + self.head + self.active_linear


def quantized_matrices(arch: Architecture) -> list[tuple[int, int]]:
    """(inputs, outputs) of every matrix a weight-only quantizer (GPTQ, bitsandbytes)
    quantizes: the layers' linears, as the architecture splits them (embeddings and head
    stay 16-bit)."""
    found: set[tuple[int, int]] = set()
    for group in layer_groups(arch):
        linears = [m for m in mixer_linears(arch, group.kind) if m.role != "conv"]
        linears += [m for m in ffn_linears(arch, dense=not group.moe) if m.role != "router"]
        found.update((m.inputs, m.outputs) for m in linears)
    return sorted(found)


def _block_params(arch: Architecture, *, active: bool) -> int:
    dense_ffn = sum(m.params for m in ffn_linears(arch, dense=True))
    routed_ffn = sum(m.params for m in ffn_linears(arch, active=active)) if arch.experts else 0
    params = 0
    for group in layer_groups(arch):
        mixer = sum(m.params for m in mixer_linears(arch, group.kind))
        ffn = routed_ffn if group.moe else dense_ffn
        if not group.caches and arch.kv_shared_ffn_size:
            ffn = sum(m.params for m in ffn_linears(arch, dense=True, size=arch.kv_shared_ffn_size))
        params += group.count * (mixer + (ffn if has_ffn(arch, group.kind) else 0))
    if arch.kind == "encoder-decoder":  # decoder blocks add cross-attention
        attention = sum(m.params for m in attention_linears(arch))
        params += (arch.decoder_layers or arch.layers) * (2 * attention + dense_ffn)
    return params + sum(m.params for m in _per_layer_linears(arch))


def _per_layer_linears(arch: Architecture) -> list[Linear]:
    """Gemma 3n's per-layer inputs: the hidden state projected to every layer's slice, and in
    each layer a gate into that slice and a projection back out."""
    size = arch.per_layer_embedding
    if not size:
        return []
    h, layers = arch.hidden_size, arch.layers
    return [
        Linear("per_layer", h, layers * size),
        Linear("per_layer", h, size, layers),
        Linear("per_layer", size, h, layers),
    ]


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
    linear = _block_params(arch, active=False)
    per_layer = arch.vocab_size * arch.layers * (arch.per_layer_embedding or 0)
    return Shapes(
        embedding,
        head,
        linear,
        _block_params(arch, active=True),
        per_layer_embedding=per_layer,
        vision=arch.vision_params or 0,
        mtp=(arch.mtp_layers or 0) * _mtp_module(arch),
        expert=_expert_params(arch),
    )


def _mtp_module(arch: Architecture) -> int:
    """DeepSeek-V3's multi-token-prediction module: a full block with routed experts (or the
    dense FFN) after a projection of two hidden states into one; it shares the embedding and
    the output head."""
    ffn = ffn_linears(arch, dense=not arch.experts)
    block = sum(m.params for m in [*mixer_linears(arch), *ffn])
    return block + 2 * arch.hidden_size * arch.hidden_size


def _expert_params(arch: Architecture) -> int:
    if not arch.experts:
        return 0
    routed = sum(g.count for g in layer_groups(arch) if g.moe)
    experts = [m for m in ffn_linears(arch) if m.role.startswith("expert.")]
    return routed * sum(m.params for m in experts)


def params_by_role(arch: Architecture) -> dict[str, int]:
    """Every layer's matrices summed by role (q, v, ffn.out, expert.in, ...): what a format
    that quantizes some tensors harder than others (GGUF's mixes, MXFP4) weighs."""
    roles: dict[str, int] = {}
    dense, routed = ffn_linears(arch, dense=True), ffn_linears(arch) if arch.experts else []
    wide = ffn_linears(arch, dense=True, size=arch.kv_shared_ffn_size)
    for group in layer_groups(arch):
        ffn = routed if group.moe else dense
        if not group.caches and arch.kv_shared_ffn_size:
            ffn = wide
        if not has_ffn(arch, group.kind):
            ffn = []
        for m in [*mixer_linears(arch, group.kind), *ffn]:
            roles[m.role] = roles.get(m.role, 0) + m.params * group.count
    if arch.kind == "encoder-decoder":
        for m in [*attention_linears(arch), *attention_linears(arch), *dense]:
            roles[m.role] = roles.get(m.role, 0) + m.params * (arch.decoder_layers or arch.layers)
    for m in _per_layer_linears(arch):
        roles[m.role] = roles.get(m.role, 0) + m.params
    return roles


def parameter_count(arch: Architecture, context_length: int | None = None) -> int | None:
    """Weights implied by the architecture, a check on a published count (biases and norms,
    well under 1 % here, are left out; multi-token prediction too, as labs count). None when
    the architecture lacks the vocab size."""
    if arch.vocab_size is None or arch.tied_embeddings is None:
        return None
    return shapes(arch, context_length).total
