"""A recurrent module (LSTM, GRU, RNN) given an initial state: most often a seq2seq decoder
started from its encoder's final state (``self.decoder(embedded, hidden)``, or an LSTM's
``(h, c)``). No recurrent block takes one (each starts from zeros), so the call is refused, saying
where the state comes from and what imports instead: the encoder's state given to the decoder
beside every step (Cho et al.'s decoder: RepeatTo and Concat blocks), or nn.Transformer given the
whole target with a causal mask.
"""

from __future__ import annotations

import operator

from torch import fx, nn


_KEPT = ("contiguous", "squeeze", "unsqueeze", "detach")


def state_source(model: nn.Module, state: object) -> str:
    """`` (the final state of encoder (GRU))`` where ``state`` (an fx node, or a tuple of them)
    is taken from another recurrent module's output; else ""."""
    nodes = [s for s in (state if isinstance(state, (tuple, list)) else (state,))
             if isinstance(s, fx.Node)]
    for node in nodes:
        for _ in range(6):  # hidden, hidden[-1:], (h, c)[0], h.contiguous()
            if node.op == "call_module" and isinstance(model.get_submodule(str(node.target)),
                                                       nn.RNNBase):
                module = model.get_submodule(str(node.target))
                return f" (the final state of {node.target} ({type(module).__name__}))"
            inputs = [a for a in node.args if isinstance(a, fx.Node)]
            taken = node.op == "call_function" and node.target is operator.getitem \
                or node.op == "call_method" and node.target in _KEPT
            if not taken or not inputs:
                break
            node = inputs[0]
    return ""


def initial_state_fix(block: str) -> str:
    """What imports in place of a ``block`` (LSTM, GRU, RNN) given an initial state."""
    return (f"; no {block} block takes an initial state (each starts from zeros); fix: for a "
            f"seq2seq decoder started from its encoder's final state, give the decoder that "
            f"state beside every step instead (Cho et al.'s decoder: embedded = "
            f"self.embedding(trg); context = hidden[-1].unsqueeze(1).repeat(1, "
            f"embedded.size(1), 1); self.decoder(torch.cat([embedded, context], dim=2)), the "
            f"decoder's input size grown by the state's: RepeatTo and Concat blocks), a "
            f"different model, to train so; or use nn.Transformer given the whole target "
            f"sequence with a causal tgt_mask, which imports")


def given_to_recurrent(model: nn.Module, node: fx.Node) -> fx.Node | None:
    """The call of a recurrent module that ``node`` (an LSTM's ``c``) is given to as part of
    its initial state (``self.decoder(x, (h, c))``); else None."""
    for user in node.users:
        if user.op == "call_module" and isinstance(model.get_submodule(str(user.target)),
                                                   nn.RNNBase) \
                and any(a is not user.args[0] and (a is node or isinstance(a, (tuple, list))
                                                   and node in a)
                        for a in (*user.args, *user.kwargs.values())):
            return user
    return None
