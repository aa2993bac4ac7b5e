"""Seq2seq decoders (RNN with attention, Transformer) and the searches that drive them.

Every decoder offers the same calls, so one greedy and one beam search serve both:

    state = decoder.start(memory, src_mask)            # dict of batch-first tensors
    logp, state = decoder.step(tokens, state)          # (N,) last tokens -> (N, V) log-probs
    features = decoder.teacher_forced(memory, src_mask, inputs)  # (B, U) -> (B, U, H)
    logits = decoder.project(features)                 # (..., H) -> (..., V)

Training projects only the real (non-padding) target positions onto the vocabulary: on a
CPU the output layer over the whole target vocabulary is most of the cost of a step.

A state is a dict whose tensors all have the batch (or beam) dimension first, so beam search
reorders any decoder's state with one `index_select` per tensor.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from zoo.dropout import Dropout
from zoo.encoders.transformer import FeedForward, MultiHeadAttention, TokenEmbedding

State = dict[str, torch.Tensor]
_RNN = {"lstm": nn.LSTM, "gru": nn.GRU}


def select(state: State, index: torch.Tensor) -> State:
    """Rows `index` of every tensor in a decoder state (beam reordering / expansion)."""
    return {k: v.index_select(0, index) for k, v in state.items()}


class RnnAttentionDecoder(nn.Module):
    """LSTM/GRU decoder with Luong "general" global attention (Luong et al. 2015, section 3.1).

    Per position: h_t = RNN(y_{t-1}, h_{t-1}); score(h_t, s) = h_t^T W_a s;
    c_t = sum softmax(score) s; h~_t = tanh(W_c [c_t; h_t]); p(y_t) = softmax(W_o h~_t).
    Why Luong general rather than Bahdanau additive: the score is one batched matmul against
    keys W_a s precomputed once per sentence, where additive attention runs a tanh MLP over
    every source state at every step; on CPU that matters and quality is on par.
    Why no input feeding (Luong's section 3.3, feeding h~_{t-1} into the next step): it
    makes every training position wait for the previous one's attention, so teacher forcing
    becomes a Python loop of ~15 small ops per target token, forward and backward. Without
    it, training runs the RNN over the whole target in one call and attends for every
    position in two batched matmuls (benchmarks/train_throughput.py, translation rows).
    The initial state is a learned projection of the masked mean of the encoder states.
    """

    def __init__(self, vocab_size: int, memory_dim: int, *, cell: str, embed_dim: int,
                 hidden: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.cell, self.layers, self.hidden = cell, layers, hidden
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = _RNN[cell](embed_dim, hidden, num_layers=layers, batch_first=True,
                              dropout=dropout if layers > 1 else 0.0)
        self.bridge = nn.Linear(memory_dim, layers * hidden)
        self.attn_key = nn.Linear(memory_dim, hidden, bias=False)  # W_a
        self.combine = nn.Linear(memory_dim + hidden, hidden, bias=False)  # W_c
        self.dropout = Dropout(dropout)
        self.out = nn.Linear(hidden, vocab_size)  # W_o
        self._init_rnn()

    def _init_rnn(self) -> None:
        # As in the encoder: orthogonal recurrence, zero biases, LSTM forget-gate bias 1.
        for name, param in self.rnn.named_parameters():
            if "weight_hh" in name:
                nn.init.orthogonal_(param)
            elif "weight_ih" in name:
                nn.init.xavier_uniform_(param)
            else:
                nn.init.zeros_(param)
                if self.cell == "lstm":
                    param.data[self.hidden: 2 * self.hidden] = 1.0

    def start(self, memory: torch.Tensor, src_mask: torch.Tensor) -> State:
        m = src_mask.unsqueeze(-1).to(memory.dtype)  # (N, S, 1)
        pooled = (memory * m).sum(1) / m.sum(1).clamp(min=1.0)  # (N, D)
        h = torch.tanh(self.bridge(pooled)).view(-1, self.layers, self.hidden)  # (N, L, H)
        state = {"memory": memory, "keys": self.attn_key(memory),  # (N, S, H)
                 "src_mask": src_mask, "h": h}
        if self.cell == "lstm":
            state["c"] = torch.zeros_like(h)  # (N, L, H)
        return state

    def _run(self, inputs: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """(N, U) input tokens from `state` -> (N, U, H) top-layer outputs and the new state."""
        x = self.dropout(self.embed(inputs))  # (N, U, E)
        h0 = state["h"].transpose(0, 1).contiguous()  # (L, N, H)
        if self.cell == "lstm":
            c0 = state["c"].transpose(0, 1).contiguous()  # (L, N, H)
            top, (h, c) = self.rnn(x, (h0, c0))  # top: (N, U, H)
            return top, {**state, "h": h.transpose(0, 1), "c": c.transpose(0, 1)}
        top, h = self.rnn(x, h0)
        return top, {**state, "h": h.transpose(0, 1)}  # h: (N, L, H)

    def _attend(self, top: torch.Tensor, state: State) -> torch.Tensor:
        """(N, U, H) decoder outputs -> (N, U, H) attentional vectors h~."""
        scores = torch.bmm(top, state["keys"].transpose(1, 2))  # (N, U, S)
        allowed = state["src_mask"].unsqueeze(1)  # (N, 1, S)
        weights = scores.masked_fill(~allowed, float("-inf")).softmax(-1)  # (N, U, S)
        context = torch.bmm(weights, state["memory"])  # (N, U, D)
        return self.dropout(torch.tanh(self.combine(torch.cat([context, top], -1))))

    def project(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(features)  # (..., V)

    def step(self, tokens: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        top, state = self._run(tokens.unsqueeze(1), state)  # (N, 1, H)
        attentional = self._attend(top, state)[:, 0]  # (N, H)
        return F.log_softmax(self.out(attentional), dim=-1), state  # (N, V)

    def teacher_forced(self, memory: torch.Tensor, src_mask: torch.Tensor,
                       inputs: torch.Tensor) -> torch.Tensor:
        # The whole target at once: position t reads inputs <= t only (a left-to-right
        # RNN), so the target padding at the end changes no real position.
        state = self.start(memory, src_mask)
        top, state = self._run(inputs, state)  # (B, U, H)
        return self._attend(top, state)  # (B, U, H)

    def describe(self) -> dict[str, object]:
        return {"decoder": f"{self.cell}+attention", "attention": "luong_general",
                "input_feeding": False, "decoder_hidden": self.hidden,
                "decoder_layers": self.layers}


class DecoderLayer(nn.Module):
    """Pre-LN block: causal self-attention, cross-attention to the source, feed-forward."""

    def __init__(self, dim: int, heads: int, ff_dim: int, dropout: float = 0.0):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(dim) for _ in range(3))
        self.self_attention = MultiHeadAttention(dim, heads, dropout)
        self.cross_attention = MultiHeadAttention(dim, heads, dropout)
        self.feed_forward = FeedForward(dim, ff_dim, dropout)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, memory_kv: tuple[torch.Tensor, torch.Tensor],
                src_allowed: torch.Tensor, causal: torch.Tensor | None,
                past_kv: tuple[torch.Tensor, torch.Tensor] | None = None,
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, U, D) -> (B, U, D), plus self-attention keys/values up to x's last position
        (`past_kv`: those of earlier positions, when decoding one position at a time)."""
        h = self.norm1(x)
        k, v = self.self_attention.keys_values(h)  # (B, H, U, Dh)
        if past_kv is not None:
            k, v = torch.cat([past_kv[0], k], 2), torch.cat([past_kv[1], v], 2)
        x = x + self.dropout(self.self_attention.attend(h, k, v, causal))
        x = x + self.dropout(self.cross_attention.attend(self.norm2(x), *memory_kv,
                                                         src_allowed))
        return x + self.dropout(self.feed_forward(self.norm3(x))), (k, v)


class TransformerDecoder(nn.Module):
    """Pre-LN Transformer decoder: causal self-attention, cross-attention, tied output.

    Layers are written out (see zoo/encoders/transformer.py for why not torch's) plus a final
    LayerNorm. The output projection reuses the target embedding matrix (Press & Wolf
    2017): fewer parameters, and a better-trained projection for rare target words.
    Decoding is incremental: the state caches every layer's self-attention keys/values of
    the prefix and the cross-attention keys/values of the source, so a step costs one
    position, not the whole prefix.
    """

    def __init__(self, vocab_size: int, *, d_model: int, layers: int, heads: int, ff_dim: int,
                 dropout: float = 0.1, max_positions: int = 1024):
        super().__init__()
        self.embed = TokenEmbedding(vocab_size, d_model, dropout, max_positions)
        self.layers = nn.ModuleList(DecoderLayer(d_model, heads, ff_dim, dropout)
                                    for _ in range(layers))
        self.norm = nn.LayerNorm(d_model)
        self.sizes = {"decoder_layers": layers, "decoder_heads": heads,
                      "decoder_ff_dim": ff_dim}

    def teacher_forced(self, memory: torch.Tensor, src_mask: torch.Tensor,
                       inputs: torch.Tensor) -> torch.Tensor:
        """(B, U) target inputs -> (B, U, D) features; position t sees inputs <= t only."""
        length = inputs.shape[1]
        causal = torch.ones(length, length, dtype=torch.bool,
                            device=inputs.device).tril()  # (U, U) True = may attend
        src_allowed = src_mask[:, None, None, :]  # (B, 1, 1, S)
        x = self.embed(inputs)  # (B, U, D)
        for layer in self.layers:
            x, _ = layer(x, layer.cross_attention.keys_values(memory), src_allowed,
                         causal)  # (B, U, D)
        return self.norm(x)

    def project(self, features: torch.Tensor) -> torch.Tensor:
        return F.linear(features, self.embed.token.weight)  # (..., V) tied with the embedding

    def start(self, memory: torch.Tensor, src_mask: torch.Tensor) -> State:
        state = {"src_mask": src_mask,
                 "prefix": src_mask.new_zeros(memory.shape[0], 0, dtype=torch.long)}  # (N, 0)
        for i, layer in enumerate(self.layers):
            k, v = layer.cross_attention.keys_values(memory)  # (N, H, S, Dh) computed once
            empty = k[:, :, :0]  # (N, H, 0, Dh) self-attention cache
            state.update({f"cross_k{i}": k, f"cross_v{i}": v,
                          f"self_k{i}": empty, f"self_v{i}": empty})
        return state

    def step(self, tokens: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        position = state["prefix"].shape[1]
        x = self.embed(tokens.unsqueeze(1), offset=position)  # (N, 1, D)
        src_allowed = state["src_mask"][:, None, None, :]  # (N, 1, 1, S)
        new = {**state, "prefix": torch.cat([state["prefix"], tokens.unsqueeze(1)], 1)}
        for i, layer in enumerate(self.layers):
            # The newest position may see every cached one: no causal mask needed.
            x, (new[f"self_k{i}"], new[f"self_v{i}"]) = layer(
                x, (state[f"cross_k{i}"], state[f"cross_v{i}"]), src_allowed, None,
                past_kv=(state[f"self_k{i}"], state[f"self_v{i}"]))  # (N, 1, D)
        return F.log_softmax(self.project(self.norm(x[:, 0])), -1), new  # (N, V)

    def describe(self) -> dict[str, object]:
        return {"decoder": "transformer", "attention": "multi-head scaled dot-product",
                "tied_output_embedding": True, "incremental_decoding": "kv-cache",
                **self.sizes}


def _cut(seq: list[int], eos: int, limit: int) -> list[int]:
    seq = seq[:limit]
    return seq[: seq.index(eos)] if eos in seq else seq


def greedy_search(decoder: nn.Module, state: State, max_lens: torch.Tensor, *, bos: int,
                  eos: int, banned: tuple[int, ...] = ()) -> list[list[int]]:
    """Batched greedy decoding; sentence i gets at most max_lens[i] output tokens (no EOS)."""
    n = max_lens.shape[0]
    tokens = torch.full((n,), bos, dtype=torch.long, device=max_lens.device)  # (N,)
    finished = torch.zeros(n, dtype=torch.bool, device=max_lens.device)
    outputs = []
    for t in range(int(max_lens.max())):
        logp, state = decoder.step(tokens, state)  # (N, V)
        logp[:, list(banned)] = float("-inf")
        tokens = logp.argmax(-1)  # (N,)
        outputs.append(tokens)
        finished |= (tokens == eos) | (max_lens <= t + 1)
        if bool(finished.all()):
            break
    rows = torch.stack(outputs, 1).tolist() if outputs else [[] for _ in range(n)]
    return [_cut(row, eos, int(m)) for row, m in zip(rows, max_lens.tolist())]


def length_penalty(length: int, alpha: float) -> float:
    """GNMT length normalisation lp(L) = ((5 + L) / 6) ** alpha (Wu et al. 2016)."""
    return ((5.0 + length) / 6.0) ** alpha


Finished = list[list[tuple[float, list[int]]]]  # per sentence: (normalised score, tokens)


def _finish_ended(finished: Finished, done: torch.Tensor, history: torch.Tensor,
                  top_scores: torch.Tensor, top_beam: torch.Tensor, top_tok: torch.Tensor,
                  *, k: int, eos: int, alpha: float) -> None:
    """Record hypotheses whose EOS ranks in their sentence's top K candidates."""
    ends = (top_tok[:, :k] == eos) & torch.isfinite(top_scores[:, :k]) & ~done.unsqueeze(1)
    for b, j in ends.nonzero().tolist():
        seq = history[b * k + top_beam[b, j]].tolist()
        score = float(top_scores[b, j]) / length_penalty(len(seq) + 1, alpha)
        finished[b].append((score, seq))


def _finish_alive(finished: Finished, sentences: torch.Tensor, scores: torch.Tensor,
                  history: torch.Tensor, alpha: float) -> None:
    """Record every live hypothesis of `sentences` (they reached their max length)."""
    k = scores.shape[1]
    for b in sentences.nonzero().flatten().tolist():
        for j in range(k):
            if torch.isfinite(scores[b, j]):
                seq = history[b * k + j].tolist()
                finished[b].append((float(scores[b, j]) / length_penalty(len(seq), alpha), seq))


def beam_search(decoder: nn.Module, state: State, max_lens: torch.Tensor, *, beam: int,
                bos: int, eos: int, alpha: float = 0.6,
                banned: tuple[int, ...] = ()) -> list[list[int]]:
    """Batched beam search: B sentences x `beam` hypotheses run as one (B*K) decoder batch.

    A hypothesis is finished when EOS ranks among its sentence's top-K candidates, or when it
    reaches the sentence's max length. A sentence stops once K hypotheses have finished; the
    answer is the finished one with the best log-prob / lp(length) (EOS counts in length).
    """
    n, k = max_lens.shape[0], beam
    device = max_lens.device
    state = select(state, torch.arange(n, device=device).repeat_interleave(k))  # (B*K, ...)
    scores = torch.full((n, k), float("-inf"), device=device)  # (B, K)
    scores[:, 0] = 0.0  # all beams start identical: only beam 0 may expand at first
    tokens = torch.full((n * k,), bos, dtype=torch.long, device=device)  # (B*K,)
    history = torch.zeros(n * k, 0, dtype=torch.long, device=device)  # (B*K, t)
    finished: Finished = [[] for _ in range(n)]
    done = torch.zeros(n, dtype=torch.bool, device=device)
    for t in range(int(max_lens.max())):
        logp, state = decoder.step(tokens, state)  # (B*K, V)
        logp[:, list(banned)] = float("-inf")
        vocab = logp.shape[-1]
        cand = (scores.unsqueeze(-1) + logp.view(n, k, vocab)).view(n, k * vocab)  # (B, K*V)
        top_scores, top_idx = cand.topk(2 * k, dim=-1)  # (B, 2K)
        top_beam, top_tok = top_idx // vocab, top_idx % vocab  # (B, 2K)
        _finish_ended(finished, done, history, top_scores, top_beam, top_tok, k=k, eos=eos,
                      alpha=alpha)
        # At most K of the 2K candidates end in EOS (one per beam), so K others remain.
        scores, keep = top_scores.masked_fill(top_tok == eos, float("-inf")).topk(k, dim=-1)
        rows = (torch.arange(n, device=device).unsqueeze(1) * k
                + top_beam.gather(1, keep)).view(-1)  # (B*K,) which hypothesis each extends
        tokens = top_tok.gather(1, keep).view(-1)  # (B*K,)
        history = torch.cat([history[rows], tokens.unsqueeze(1)], 1)  # (B*K, t + 1)
        state = select(state, rows)
        at_limit = (max_lens <= t + 1) & ~done  # (B,) out of length: finish what is alive
        _finish_alive(finished, at_limit, scores, history, alpha)
        done |= at_limit | torch.tensor([len(f) >= k for f in finished], device=device)
        if bool(done.all()):
            break
    return [max(f, key=lambda item: item[0])[1] if f else [] for f in finished]
