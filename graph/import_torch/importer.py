"""The walk from a traced model to a :class:`Graph` and its weight mapping.

Every fx node becomes a block (a module call with a rule, or a function with one), an alias of
the tensor it passes on, or a value that only feeds other nodes' arguments (``x.size(0)``).
Anything else stops the import with a :class:`GraphError` naming the module path and type, or the
function and the module it was called in.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from ..errors import GraphError
from ..model import Edge, Graph, Node
from ..modules import Recurrent
from ..naming import node_names
from ..registry import get_block
from ..validate import validate
from .functions import (FUNCTION_RULES, Alias, Const, Mapped, attention_inputs, describe,
                        held, padding_mask, show_index, split_parts)
from . import subtract_divide  # noqa: F401 - its rules take two computed tensors
from . import dropout  # noqa: F401 - F.dropout: a block, nothing or refused, by its training
from .advice import no_block_hint
from .affine import turned_weight
from .attention_masks import REFUSED, WRITTEN_OUT, WRITTEN_OUT_MASKS
from .encoder_masks import causal_mask, encoder_call
from .encoder_norm import with_final_norm
from .indexing import after_module
from .initial_states import given_to_recurrent, initial_state_fix, state_source
from .modules import Unsupported, find_rule, float32_decimal, transposed_weights
from .positions import Positions
from .reductions import is_values_and_indices, values_of
from .rows import steps_as_rows
from .relative_bias import RelativeBias
from .sequence_first import FLIPPED, moved_for
from .reparametrised import (as_parametrised, refusal, reparametrisation, spectral_norm_of,
                             warn_spectral_hook, weight_norm_dim)
from .token_types import TokenTypes
from .trace import ORIGIN, SCOPE, user_frames
from .training import keep_training
from .user_files import described
from .weights import WeightMap, match_weights
from .written_out import unfold_hint

_TUPLE_MODULES = ("LSTM", "GRU", "RNN", "MultiheadAttention")


class Importer:
    def __init__(self, model: nn.Module, gm: fx.GraphModule, values: dict[fx.Node, Any],
                 batch: int, dtypes: list[str]):
        self.model, self.gm, self.values, self.batch = model, gm, values, batch
        self.dtypes = dtypes
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.ids: dict[fx.Node, str] = {}  # fx node -> id of the block giving its tensor
        self.consts: dict[fx.Node, Const] = {}
        self.tuples: dict[fx.Node, str] = {}  # LSTM/attention calls -> their block id
        self.hidden: dict[fx.Node, str] = {}  # an LSTM's hidden state h (before h[-1])
        # h[-2], h[-1] of a bidirectional one -> (its block id, direction 0/1, the index)
        self.directions: dict[fx.Node, tuple[str, int, int]] = {}
        self.sources: dict[str, Mapped] = {}  # block id -> its mapping (for the weights)
        self.taken: set[str] = set()
        self.outputs_used: dict[str, str] = {}  # recurrent block id -> "sequence" | "last"
        self.parts: dict[fx.Node, tuple[fx.Node, int, list]] = {}  # chunk/split -> its parts
        self.stored = {name for name, _ in model.named_parameters(remove_duplicate=False)} | {
            name for name, _ in model.named_buffers(remove_duplicate=False)}
        self.maxes: dict[fx.Node, Mapped] = {}  # x.max(dim=1) -> the block of its values
        self.positions = Positions()  # torch.arange looked up in an nn.Embedding
        self.relative = RelativeBias()  # relative positions of arange looked up (T5)
        self.token_types = TokenTypes()  # ids all of one type looked up in an nn.Embedding
        self.made: set[fx.Node] = set()  # constant tensors made in forward (no weights)
        self.rescaled: dict[str, tuple] = {}  # Rescaling block id -> (fx node, scale, offset)
        self.normalized: dict[str, fx.Node] = {}  # Normalize block id -> its latest fx node
        self.module_calls = Counter(n.target for n in gm.graph.nodes if n.op == "call_module")
        self.learned: dict[str, list[str]] = {}  # block id -> the model's keys of its parameters
        self.statistics: set[str] = set()  # ids of blocks with batch norms (running statistics)
        self.zero_states: set[fx.Node] = set()  # torch.zeros(...) given to an RNN as its state

    # -- the Context the rules see --------------------------------------------------------------

    def value(self, node: Any) -> Any:
        return self.values[node] if isinstance(node, fx.Node) else node

    def tensor(self, node: Any, what: str) -> fx.Node:
        if node in self.consts:
            path = self.consts[node].path
            kind = held(self.model, path)
            raise Unsupported(f"it uses the {kind} '{path}' directly; of buffers and parameters "
                              f"outside layers, only a positional table added to a sequence "
                              f"(x + table[:L]) maps to a block (PositionalEmbedding)")
        if node in self.made:
            raise Unsupported(f"its {what} is a constant tensor made in forward (such as "
                              f"torch.tensor([...]) or torch.eye(3)); of fixed values, only one "
                              f"per channel added or subtracted and a std per channel divided "
                              f"by, (x - mean) / std, map to a block (Normalize); else make it "
                              f"a learned parameter of a layer")
        misuse = self.positions.misuse(node, what) or self.token_types.misuse(node, what)
        if misuse is not None:
            raise Unsupported(misuse)
        if node in self.directions:
            spec = self.sources[self.directions[node][0]]
            raise Unsupported(f"its {what} is h[{self.directions[node][2]}], one direction of "
                              f"the bidirectional {spec.module} ({spec.type}); only both, "
                              f"torch.cat([h[-2], h[-1]], 1), map (to output='last')")
        if isinstance(node, fx.Node) and node not in self.ids:
            state = self.tuples.get(node) or self.hidden.get(node) or (
                self.tuples.get(node.args[0]) if _is_lstm_state(node, self.tuples) else None)
            if state is not None:
                spec = self.sources[state]
                raise Unsupported(f"its {what} is the output tuple or a hidden state of "
                                  f"{spec.module} ({spec.type}); only its output sequence "
                                  f"({spec.module}(x)[0]) and the last layer's hidden state "
                                  f"(h[-1]) map to blocks")
        if not isinstance(node, fx.Node) or node not in self.ids:
            shown = describe(node) + "'s result" if isinstance(node, fx.Node) else repr(node)
            raise Unsupported(f"its {what} is not a tensor computed by the model ({shown})")
        return node

    def const(self, node: Any) -> Const | None:
        return self.consts.get(node) if isinstance(node, fx.Node) else None

    def fixed(self, node: Any) -> tuple[torch.Tensor, Const | None] | None:
        """The value of a tensor that does not follow from the inputs: a parameter or buffer
        (with its :class:`Const`), or a tensor attribute or ``torch.tensor([...])`` (no Const:
        it has no place in the state_dict); None for anything else."""
        if not isinstance(node, fx.Node) or not isinstance(self.values.get(node), torch.Tensor):
            return None
        if node in self.consts:
            return self.values[node], self.consts[node]
        if node in self.made:
            return self.values[node], None
        return None

    # -- the walk ---------------------------------------------------------------------------

    def run(self, name: str) -> tuple[Graph, WeightMap]:
        inputs = 0
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                self._input(node, inputs)
                inputs += 1
            elif node.op == "get_attr":
                self._get_attr(node)
            elif node.op == "output":
                self._outputs(node)
            else:
                self._compute(node)
        self._fuse_layernorm2d()
        while self._merge_slices():
            pass
        # an ONNX file's free lengths, which its blocks' params may name ('=height')
        variables = dict(getattr(self.model, "design_variables", {}))
        graph = Graph(name=name, nodes=self.nodes, edges=self.edges, variables=variables,
                      description=f"Imported from {described(type(self.model))} with "
                                  f"torch.fx.")
        # no positions: the canvas lays the design out fitted to its pane, as it does a
        # hand-written design's or an ONNX file's (one row of columns 220 px apart ran a
        # ResNet-50 38,000 px to the right, its wires too short for their shapes)
        report = validate(graph)
        if not report.ok:
            raise GraphError(f"the imported graph of {type(self.model).__name__} does not "
                             f"validate (an importer bug; please report it):\n"
                             + "\n".join(str(p) for p in report.errors))
        weights = self._weights(report)
        keep_training(self.model, self.gm, graph, self.learned, self.statistics, source_line)
        return graph, weights

    def _input(self, node: fx.Node, index: int) -> None:
        value = self.values[node]
        params = {"shape": list(value.shape[1:])}
        if self.dtypes[index] == "int64":
            params["dtype"] = "int64"
        self.ids[node] = self._add_node(node.name, "Input", params, [])

    def _get_attr(self, node: fx.Node) -> None:
        value = self.values[node]
        if isinstance(value, torch.Tensor):
            if str(node.target) not in self.stored:  # torch.tensor([...]) made in forward
                self.made.add(node)
                return
            self.consts[node] = Const(str(node.target), value)

    def _outputs(self, node: fx.Node) -> None:
        import warnings

        from .training import ImportNote

        result = node.args[0]
        returned = "a dict" if isinstance(result, dict) else _record_kind(result)
        result = _record_fields(result)  # a namedtuple or dataclass: a dict of its fields
        keys = _dict_keys(self.model, result)  # ``return {"logits": x, "features": f}``
        results = list(result.values()) if keys is not None else \
            list(result) if isinstance(result, (tuple, list)) else [result]
        shown = [repr(k) for k in keys] if keys is not None else list(map(str, range(len(
            results))))
        nones = [i for i, item in enumerate(results) if item is None]
        if nones and len(nones) < len(results):  # nanoGPT's `return logits, loss` (loss None)
            warnings.warn(f"{type(self.model).__name__}.forward returns None as output "
                          f"{', '.join(shown[i] for i in nones)} (as a loss where no targets "
                          f"are given): the design leaves it out and returns the "
                          f"{_others(len(results) - len(nones))}", ImportNote, stacklevel=2)
        kept = [i for i, item in enumerate(results) if item is not None] \
            if len(nones) < len(results) else list(range(len(results)))
        for i in kept:
            item = results[i]
            if not isinstance(item, fx.Node) or item not in self.ids:
                raise GraphError(f"{type(self.model).__name__}.forward returns "
                                 f"{self._returned(item)} as output {shown[i]}; an imported "
                                 f"model must return a tensor, a tuple of tensors or a dict "
                                 f"of them")
        names = []
        for i in kept:
            if keys is not None:  # the Output is named by its key, where no block has it
                name = re.sub(r"[^A-Za-z0-9_-]", "_", keys[i])[:58] or "output"
                name = name if name not in self.taken else f"output_{name}"[:58]
            else:
                name = "output" if len(kept) == 1 else f"output_{kept.index(i)}"
            names.append(self._add_node(name, "Output", {}, [self.ids[results[i]]]))
        if keys is not None:
            what, key = ("dict's", "key") if returned == "a dict" else ("fields'", "field")
            pairs = ", ".join(f"{shown[i]} ({names[j]})" for j, i in enumerate(kept))
            warnings.warn(f"{type(self.model).__name__}.forward returns {returned}: the "
                          f"design returns its values as a tuple, in the {what} order, each "
                          f"from an Output named after its {key}: {pairs}", ImportNote,
                          stacklevel=2)
        self._batch_alone(results, kept, shown)

    def _batch_alone(self, results: list, kept: list[int], shown: list[str]) -> None:
        """A note for each output that is ``[B]`` in the model (DCGAN's discriminator's
        ``.view(-1)``: one score per sample): the design returns it as ``[B, 1]``."""
        import warnings

        from .training import ImportNote

        alone = [shown[i] for i in kept if isinstance(self.values.get(results[i]), torch.Tensor)
                 and self.values[results[i]].dim() == 1]
        if alone:
            what = "output " + ", ".join(alone) if len(results) > 1 else "its output"
            warnings.warn(f"{type(self.model).__name__}.forward returns {what} as [B], one "
                          f"value per sample; a design's tensors keep a dimension after the "
                          f"batch, so the design returns [B, 1] with the same values "
                          f"(out.squeeze(1) is the model's [B])", ImportNote, stacklevel=3)

    def _plain(self, value: Any) -> Any:
        if isinstance(value, fx.Node):
            return self._known(value)
        if isinstance(value, (tuple, list)):
            return [self._plain(v) for v in value]
        return value

    def _known(self, node: fx.Node) -> Any:
        """A param computed in ``forward`` from sizes (``x.size()[2:]``): its value, as
        recorded on the sample input (the imported graph has fixed input shapes)."""
        value = self.values.get(node)
        if isinstance(value, bool) or not isinstance(value, (int, float, tuple, list)) or \
                isinstance(value, (tuple, list)) and not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise Unsupported(f"an argument is {describe(node)}'s result, computed in forward "
                              f"({_what(value)}); only sizes and numbers can be block params")
        return list(value) if isinstance(value, (tuple, list)) else value

    def _returned(self, item: Any) -> str:
        """What ``forward`` returns instead of a tensor, in words."""
        if isinstance(item, dict):
            keys = ", ".join(repr(k) for k in item)
            return f"a dict (keys {keys}; return its values as a tuple)"
        if isinstance(item, (tuple, list)):
            return "a nested tuple (return one flat tuple of tensors)"
        if not isinstance(item, fx.Node):
            return "None" if item is None else f"a constant {type(item).__name__}"
        if item in self.consts or item.op == "get_attr":
            return f"the parameter '{item.target}' itself (not computed from the input)"
        if item in self.tuples:
            return (f"the whole output tuple of {item.target} (return "
                    f"{item.target}(x)[0], its output sequence)")
        value = self.values.get(item)
        where = f"{describe(item)}'s result" if item.op != "call_module" else str(item.target)
        if isinstance(value, (tuple, list)):
            return f"{where}, a tuple (return its tensors one by one)"
        return f"{where}, {_what(value)}"

    def _compute(self, node: fx.Node) -> None:
        if _record_fields(node) is not node and all(u.op == "output" for u in node.users):
            return  # ``return Output(logits, h)``: its fields are the outputs
        if self._followed(self.relative, node):  # T5's relative position bias
            return
        if self._zero_state(node):
            return
        if node.op == "call_function" and node.target is operator.getitem:
            if self._getitem_of_parts(node):
                return
        if self._directions_joined(node):
            return
        if _squeezes_first(node) and node.args[0] in self.hidden:
            spec = self.sources[self.hidden[node.args[0]]]
            if spec.params.get("num_layers", 1) == 1:  # h.squeeze(0) of one layer: h[-1]
                self._hidden(node, node.args[0], -1)
                return
        value = self.values[node]
        if _is_split(node) and isinstance(value, (tuple, list)):
            try:
                self.parts[node] = split_parts(self, node)
            except Unsupported as exc:
                raise self._error(node, str(exc)) from None
            return
        if self._max_values(node):
            return
        if self._followed(self.positions, node):
            return
        if self._followed(self.token_types, node):
            return
        if turned_weight(node) and node.args[0] in self.consts:
            return  # self.W.T, which the product reads as the Linear's weight
        if not isinstance(value, torch.Tensor) and node.op != "call_module":
            if isinstance(value, (tuple, list)) and node.target not in FUNCTION_RULES \
                    and any(isinstance(v, torch.Tensor) for v in value):
                raise self._error(node, "no LayerLoom block does this")  # x.max(dim=1)
            if any(a in self.ids or a in self.consts for a in _node_args(node)):
                if not isinstance(value, (int, float, torch.Size, tuple, list, torch.dtype,
                                          torch.device)):
                    raise self._error(node, f"it gives {_what(value)}, not a tensor")
            return  # a size or a number, read by the arguments of later nodes
        if node.op != "call_module" and self._made_from_constants(node):
            self.made.add(node)  # ``torch.tensor([...]).view(1, 3, 1, 1)``: still a constant
            return
        try:
            mapped = self._module(node) if node.op == "call_module" else self._function(node)
            if node.op == "call_module":
                mapped = with_final_norm(self.model, node, after_module(node, mapped))
        except Unsupported as exc:
            raise self._error(node, _weight_made(node) or str(exc)) from None
        if isinstance(mapped, Alias):
            self.ids[node] = self.ids[mapped.source]
            return
        if isinstance(mapped, Const):
            self.consts[node] = mapped
            return
        try:
            found: list = []
            fx.node.map_arg(list(mapped.params.values()), found.append)
            if found:  # a param computed in forward: x.size()[2:]
                mapped.params = {k: self._plain(v) for k, v in mapped.params.items()}
        except Unsupported as exc:
            raise self._error(node, str(exc)) from None
        if mapped.type == "Rescaling" and node.op != "call_module" and self._rescale(node, mapped):
            return
        if mapped.type == "Normalize" and self._renormalize(node, mapped):
            return
        block_id = self._add_mapped(node, mapped)
        if mapped.type == "Rescaling" and node.op != "call_module":
            self.rescaled[block_id] = (node, mapped.params["scale"], mapped.params["offset"])
        if mapped.type == "Normalize":
            self.normalized[block_id] = node
        if mapped.type in _TUPLE_MODULES and not isinstance(value, torch.Tensor):
            self.tuples[node] = block_id
        else:
            self.ids[node] = block_id

    def _rescale(self, node: fx.Node, mapped: Mapped) -> bool:
        """Scalar arithmetic on the result of scalar arithmetic used only there (``x * 2 + 1``,
        ``(x - 0.5) / 0.25``): the earlier Rescaling block takes both (scale 2, offset 1), so a
        chain is one block. True when ``node`` was merged so."""
        source = mapped.inputs[0]
        block_id = self.ids.get(source)
        earlier = self.rescaled.get(block_id)
        if earlier is None or earlier[0] is not source or len(source.users) != 1:
            return False
        _, scale, offset = earlier
        more, plus = mapped.params["scale"], mapped.params["offset"]
        scale, offset = scale * more, offset * more + plus
        block = next(n for n in self.nodes if n.id == block_id)
        block.params = _tidy("Rescaling", {"scale": scale, "offset": offset})
        self.rescaled[block_id] = (node, scale, offset)
        self.ids[node] = block_id
        return True

    def _renormalize(self, node: fx.Node, mapped: Mapped) -> bool:
        """A Normalize on the result of a Normalize used only there (``(x - mean) / std``,
        ``x.sub(mean).div(std)``): the earlier block takes both, so the pattern is one block.
        ``(x - m1) / s1`` then ``(· - m2) / s2`` is ``(x - (m1 + m2·s1)) / (s1·s2)``. True when
        ``node`` was merged so."""
        source = mapped.inputs[0]
        block_id = self.ids.get(source)
        if block_id is None or self.normalized.get(block_id) is not source \
                or len(source.users) != 1:
            return False
        block = next(n for n in self.nodes if n.id == block_id)
        first, second = block.params, mapped.params
        count = max(len(first["mean"]), len(second["mean"]))

        def spread(values: list[float]) -> list[float]:
            return values * count if len(values) == 1 else values

        m1, s1, m2, s2 = (spread(first["mean"]), spread(first["std"]), spread(second["mean"]),
                          spread(second["std"]))
        block.params = _tidy("Normalize", {
            "mean": [float32_decimal(a + b * s) for a, b, s in zip(m1, m2, s1)],
            "std": [float32_decimal(a * b) for a, b in zip(s1, s2)]})
        self.normalized[block_id] = node
        self.ids[node] = block_id
        return True

    def _made_from_constants(self, node: fx.Node) -> bool:
        """Whether ``node`` computes a tensor from constant tensors made outside the
        parameters (``torch.tensor([...])``, a tensor attribute) alone, or makes one from
        numbers (``torch.eye(3, device=x.device)``, ``torch.ones(x.size(0), 9)``): the tensor
        is a constant too (a reshape of one, ``1 / std``); a device, dtype or size read from
        an input (``mean.to(x.device)``, ``mean.view(1, x.size(1), 1, 1)``) does not make it a
        computed tensor (its value at the traced size is what a rule checks)."""
        if not isinstance(self.values.get(node), torch.Tensor):
            return False
        found = _node_args(node)
        tensors = [a for a in found if isinstance(self.values.get(a), torch.Tensor)]
        others = [a for a in found if a not in tensors]
        made = bool(tensors) or node.op == "call_function" and node.target in _FACTORIES
        return made and all(a in self.made for a in tensors) and all(
            isinstance(self.values.get(a), (torch.device, torch.dtype, int, float, torch.Size,
                                            tuple, list)) for a in others)

    def _module(self, node: fx.Node) -> Mapped:
        module = self.gm.get_submodule(node.target)
        original = self.model.get_submodule(node.target)
        convert = find_rule(module)
        if convert is None:
            raise Unsupported(f"no LayerLoom block computes {type(module).__name__}")
        block, params = convert(module)
        reparametrised = refusal(original, str(node.target), self.model)
        spectral = spectral_norm_of(original)
        if reparametrised and spectral is not None and \
                any(p.name == "spectral_norm" for p in get_block(block).params):
            if spectral[1] is not None:
                raise Unsupported(f"{spectral[1]}; fix: call spectral_norm(layer) with its "
                                  f"defaults, or import a function that builds the model, runs "
                                  f"{reparametrisation(original, str(node.target))[1]} (a plain "
                                  f"weight) and returns the model")
            if spectral[0] == "hook":
                warn_spectral_hook(str(node.target))
            params["spectral_norm"] = True
        elif reparametrised:  # weight_norm, spectral_norm: a weight computed at each call
            dim = weight_norm_dim(original)
            normed = any(p.name == "weight_norm" for p in get_block(block).params)
            if dim == "none" or not normed:
                raise Unsupported(reparametrised)
            if dim != 0:
                shown = "None (one g for the whole weight) or -1" if dim == -1 else dim
                raise Unsupported(
                    f"its weight is reparametrised by weight_norm over dim={shown}, and the "
                    f"{block} block's weight_norm is over dim 0 only (the default: a g per "
                    f"slice of the weight's first dimension); fix: call weight_norm(layer) "
                    f"without dim, or import a function that builds the model, runs "
                    f"{reparametrisation(original, str(node.target))[1]} (a plain weight) and "
                    f"returns the model")
            params["weight_norm"] = True
        if self.module_calls[node.target] > 1 and any(True for _ in original.parameters()):
            raise Unsupported(f"it is called {self.module_calls[node.target]} times, sharing its "
                              f"weights; each LayerLoom block has weights of its own")
        called = node.args[:1] if self._zero_state_given(node) else node.args
        inputs = [a for a in called if isinstance(a, fx.Node)]
        if block == "MultiheadAttention":
            return self._attention(node, params)
        given = [a for a in called if a is not None]  # rnn(x, None): no initial state
        masked = encoder_call(node, module, self.values, self._fixed_mask) \
            if block == "TransformerEncoderLayer" else None
        if masked is not None:
            return self._masked_encoder(node, module, block, params, *masked)
        if block in ("LSTM", "GRU", "RNN") and isinstance(module, Recurrent) and \
                len(inputs) == len(given) == 2 and not node.kwargs:
            # the block's own module given a PaddingMask (an ONNX file's packed sequences)
            mask = padding_mask(self, inputs[1], "padding_mask")
            self.tensor(inputs[0], "input")
            return Mapped(block, params, [inputs[0], mask], ports=["input", "padding_mask"],
                          module=str(node.target))
        if any(v is not None for v in node.kwargs.values()) or len(inputs) != 1 \
                or len(given) != 1:
            extra = [k for k, v in node.kwargs.items() if v is not None]
            masks = [k for k in extra if "mask" in k or k == "is_causal"]
            if masks:
                raise Unsupported(f"it is called with {', '.join(masks)} besides its input; "
                                  f"the {block} block takes no other mask than "
                                  f"src_key_padding_mask=ids == 0 (padding; it attends to "
                                  f"every step): call it with its input alone (padded or "
                                  f"future steps are then attended to), or with that padding "
                                  f"mask alone, or write the attention with "
                                  f"F.scaled_dot_product_attention(q, k, v, is_causal=True) "
                                  f"(causal), which imports")
            if block in ("LSTM", "GRU", "RNN") and isinstance(module, nn.RNNBase):
                state = node.args[1] if len(node.args) > 1 else node.kwargs.get("hx")
                raise Unsupported(f"it is given an initial state besides its input"
                                  f"{state_source(self.model, state)}"
                                  f"{initial_state_fix(block)}")
            raise Unsupported("it is called with more than its input (masks, initial states "
                              "and extra arguments have no block equivalent)")
        self.tensor(inputs[0], "input")
        rank = self.values[inputs[0]].dim()
        if block == "ZeroPad2d" and rank not in (3, 4):  # the block pads [C, L] or [C, H, W]
            raise Unsupported(f"a {rank}-D input (with the batch); padding maps for a [B, C, L] "
                              f"sequence or a [B, C, H, W] map, to ZeroPad2d")
        if isinstance(module, nn.TransformerEncoder) and len(module.layers) > 1:
            copies = [f"{node.target}.layers.{i}" for i in range(len(module.layers))]
            return Mapped(block, params, inputs, copies=copies)  # a stack: one node, repeated
        if isinstance(module, nn.TransformerEncoder):  # num_layers=1: the layer itself
            return Mapped(block, params, inputs, module=f"{node.target}.layers.0")
        return Mapped(block, params, inputs, module=str(node.target))

    def _fixed_mask(self, node: fx.Node) -> bool:
        """``node`` is made from sizes and numbers alone (``generate_square_subsequent_mask(
        x.size(0))``) or is a constant (a buffer of the model's)."""
        return node in self.made or node in self.consts

    def _masked_encoder(self, node: fx.Node, module: nn.Module, block: str, params: dict,
                        x: fx.Node, padding: Any, causal: bool) -> Mapped:
        """``encoder(x, mask, src_key_padding_mask=ids == 0)``: the block, causal where the
        mask is, with the PaddingMask as its second input (a stack of layers repeated, each
        copy given the mask)."""
        self.tensor(x, "input")
        params = {**params, "is_causal": True} if causal else params
        if padding is None:
            inputs, ports = [x], None
        else:
            inputs = [x, padding_mask(self, padding, "src_key_padding_mask")]
            ports = ["src", "src_key_padding_mask"]
        if padding is not None and getattr(module, "use_nested_tensor", False):
            raise Unsupported(
                "it is built with enable_nested_tensor=True (the default), so in evaluation "
                "without gradients PyTorch gives 0 at the padded steps (what follows, such as a "
                "mean over the steps, takes those zeros), while in training it computes them; "
                "a block computes every step, as training does. Construct it with "
                "enable_nested_tensor=False (the same weights) to import it")
        if isinstance(module, nn.TransformerEncoder) and len(module.layers) > 1:
            copies = [f"{node.target}.layers.{i}" for i in range(len(module.layers))]
            return Mapped(block, params, inputs, ports=ports, copies=copies)
        layer = f"{node.target}.layers.0" if isinstance(module, nn.TransformerEncoder) \
            else str(node.target)
        return Mapped(block, params, inputs, ports=ports, module=layer)

    def _zero_state(self, node: fx.Node) -> bool:
        """``torch.zeros(layers, x.size(0), hidden)`` (and ``.to(x.device)`` of it) given only
        to LSTMs, GRUs and RNNs as their initial state: their default state, so no block (the
        call is imported as ``rnn(x)``). True when ``node`` is such zeros, handled here."""
        made = node.op == "call_function" and node.target in (torch.zeros, torch.zeros_like) \
            or node.op == "call_method" and node.target == "new_zeros"
        passed = node.op == "call_method" and node.target in _PASSES and node.args \
            and node.args[0] in self.zero_states
        value = self.values.get(node)
        if not (made or passed) or not isinstance(value, torch.Tensor) or value.any():
            return False
        for user in node.users:
            if user.op == "call_module" and isinstance(self.gm.get_submodule(user.target),
                                                       nn.RNNBase) and node not in user.args[:1]:
                continue
            if user.op == "call_method" and user.target in _PASSES and user.args[0] is node:
                continue
            return False
        self.zero_states.add(node)
        return True

    def _zero_state_given(self, node: fx.Node) -> bool:
        """``rnn(x, h0)`` or ``lstm(x, (h0, c0))`` with states of zeros (:meth:`_zero_state`)."""
        if len(node.args) != 2 or node.kwargs:
            return False
        state = node.args[1]
        parts = list(state) if isinstance(state, (tuple, list)) else [state]
        return all(part in self.zero_states for part in parts)

    def _attention(self, node: fx.Node, params: dict) -> Mapped:
        bound = dict(zip(("query", "key", "value"), node.args))
        bound.update(node.kwargs)
        extra = {k: v for k, v in bound.items() if k not in ("query", "key", "value")}
        if self._causal_attention(bound):  # generate_square_subsequent_mask(L): is_causal
            params = {**params, "is_causal": True}
        elif extra.get("attn_mask") is not None or extra.get("is_causal"):
            raise Unsupported(_mask_refusal(extra, self.values))
        mask = extra.get("key_padding_mask")
        if mask is not None:
            mask = padding_mask(self, mask, "key_padding_mask")
        q, k, v = (self.tensor(bound.get(n), n) for n in ("query", "key", "value"))
        inputs, ports = attention_inputs(q, k, v, mask)
        return Mapped("MultiheadAttention", params, inputs, ports=ports,
                      module=str(node.target))

    def _causal_attention(self, bound: dict) -> bool:
        """An attention's ``attn_mask`` is the causal one, made from sizes alone (or a buffer),
        over a query and key of one length: the block's is_causal."""
        mask, query, key = (bound.get(n) for n in ("attn_mask", "query", "key"))
        if not isinstance(mask, fx.Node) or not self._fixed_mask(mask) \
                or not causal_mask(self.values.get(mask)):
            return False
        lengths = {self.values[n].shape[-2] for n in (query, key) if isinstance(n, fx.Node)
                   and isinstance(self.values.get(n), torch.Tensor)}
        return lengths == {self.values[mask].shape[0]}

    def _function(self, node: fx.Node) -> Mapped | Alias | Const:
        if node.op == "call_function" and node.target is operator.getitem \
                and node.args[0] in self.consts:
            return self._slice_const(node)
        convert = FUNCTION_RULES.get(node.target)
        if convert is None:
            for arg in _node_args(node):  # a range made in forward: say what it is
                if _fixed_range(arg):
                    raise Unsupported(_FIXED_RANGE.format(arange=describe(arg)))
                misuse = self.positions.misuse(arg, "input")
                if misuse is not None:
                    raise Unsupported(misuse)
            raise Unsupported("no LayerLoom block does this")
        return convert(self, node)

    def _slice_const(self, node: fx.Node) -> Const:
        """``table[:L]`` of a ``[max_len, D]`` or ``[max_len, 1, D]`` table, ``table[:, :L]``
        of a ``[1, max_len, D]`` one (a trailing ``, :`` too): its leading rows."""
        const, index = self.consts[node.args[0]], node.args[1]
        items = list(index) if isinstance(index, tuple) else [index]
        while len(items) > 1 and items[-1] == slice(None):
            items.pop()
        table = const.tensor
        axis = 1 if table.dim() == 3 and table.shape[0] == 1 else 0
        leading = table.dim() in (2, 3) and len(items) == axis + 1 \
            and all(i == slice(None) for i in items[:axis]) and _leading(items[axis])
        return Const(const.path, const.tensor, rows=const.rows and bool(leading))

    def _max_values(self, node: fx.Node) -> bool:
        """``torch.max(x, 1)[0]``, ``x.max(dim=2).values``, ``x.min(-1)[0]``: the values of a
        reduction giving (values, indices), as SequencePool(max) over the steps of a
        ``[B, L, D]`` sequence or a Reduce (:mod:`.reductions`). True when ``node`` is the
        reduction or its values, handled here; the indices are refused."""
        if node.op == "call_function" and node.target in (operator.getitem, getattr) \
                and node.args and node.args[0] in self.maxes:
            if node.args[1] not in (0, "values"):
                arg = "argmin" if node.args[0].target in ("min", torch.min) else "argmax"
                raise self._error(node.args[0], f"only its values ([0], .values) map, to a "
                                                f"block; the indices (torch.{arg}) have no "
                                                f"block")
            self.ids[node] = self._add_mapped(node, self.maxes[node.args[0]])
            return True
        if not is_values_and_indices(node):
            return False
        value = self.values[node]
        if not isinstance(value, tuple) or len(value) != 2:
            return False
        try:
            self.maxes[node] = values_of(self, node, _scoped_name(node))
        except Unsupported as exc:
            raise self._error(node, str(exc)) from None
        return True

    def _followed(self, pattern, node: fx.Node) -> bool:
        """True when ``node`` is a step of a pattern that ``pattern.follow`` recognises and
        that is handled here: ``tok(idx) + pos(torch.arange(t))``, a PositionalEmbedding
        (:mod:`.positions`); ``e + tt(torch.zeros_like(ids))``, a TokenTypeEmbedding
        (:mod:`.token_types`)."""
        try:
            found = pattern.follow(self, self.model, node)
        except Unsupported as exc:
            raise self._error(node, str(exc)) from None
        if isinstance(found, Mapped):
            self.ids[node] = self._add_mapped(node, found)
            return True
        return found

    def _getitem_of_parts(self, node: fx.Node) -> bool:
        """``lstm(x)[0]``, ``attention(q, k, v)[0]``, ``h[-1]``: True when handled here."""
        source, index = node.args
        if source in self.parts:
            x, dim, parts = self.parts[source]
            if not isinstance(index, int) or not -len(parts) <= index < len(parts):
                raise self._error(source, f"it takes part {index!r} of {len(parts)}; only "
                                          f"single parts (x.chunk(2, 1)[0]) map to Slice")
            start, end = parts[index]
            mapped = Mapped("Slice", {"dim": dim - 1, "start": start, "end": end}, [x],
                            name=f"{_scoped_name(source)}_{index % len(parts)}")
            self.ids[node] = self._add_mapped(node, mapped)
            return True
        if source in self.tuples:
            block_id = self.tuples[source]
            spec = self.sources[block_id]
            if index == 0:
                self._use(node, block_id, "sequence")
                self.ids[node] = block_id
                return True
            if index == 1 and spec.type in ("LSTM", "GRU", "RNN"):
                if spec.type != "LSTM":
                    self.hidden[node] = block_id
                return True  # the (h, c) pair; h is taken below
            raise self._error(node, f"it uses part {index!r} of {spec.module}'s output; only "
                                    f"the output sequence ([0]) and the last hidden state "
                                    f"(h[-1]) map to blocks")
        if source in self.hidden or _is_lstm_state(source, self.tuples):
            return self._hidden(node, source, index)
        return False

    def _hidden(self, node: fx.Node, source: fx.Node, index: Any) -> bool:
        if source not in self.hidden:  # (h, c)[0] of an LSTM
            given = given_to_recurrent(self.model, node) if index != 0 else None
            if given is not None:  # (h, c) given to a decoder: its initial state
                at = source_line(given)
                raise self._error(node, f"the LSTM's cell state c is given to {given.target} "
                                        f"(LSTM){f' at {at}' if at else ''} as part of its "
                                        f"initial state"
                                        f"{initial_state_fix('LSTM')}")
            if index != 0:
                raise self._error(node, "the LSTM's cell state c has no block equivalent")
            self.hidden[node] = self.tuples[source.args[0]]
            return True
        block_id = self.hidden[source]
        spec = self.sources[block_id]
        if isinstance(index, tuple) and index and all(i == slice(None) for i in index[1:]):
            index = index[0]  # h[-1, :, :]
        if spec.params.get("bidirectional"):
            states = 2 * spec.params.get("num_layers", 1)
            if isinstance(index, int) and -states <= index < states \
                    and index % states >= states - 2:  # the last layer: forward, backward
                self.directions[node] = (block_id, index % states - (states - 2), index)
                return True
            raise self._error(node, f"only the last layer's two directions of a bidirectional "
                                    f"{spec.type}, joined as torch.cat([h[-2], h[-1]], 1), map "
                                    f"(to output='last'), not h{show_index(index)}")
        if index != -1:
            raise self._error(node, f"only h[-1] of a one-directional {spec.type} maps (to "
                                    f"output='last'), not h{show_index(index)}")
        self._last(node, block_id)
        return True

    def _last(self, node: fx.Node, block_id: str) -> None:
        """``node`` is the recurrent block's final hidden state: output='last'."""
        if self.outputs_used.get(block_id) == "sequence" and self._last_steps(node, block_id):
            return
        self._use(node, block_id, "last")
        next(n for n in self.nodes if n.id == block_id).params["output"] = "last"
        self.sources[block_id].params["output"] = "last"
        self.ids[node] = block_id

    def _directions_joined(self, node: fx.Node) -> bool:
        """``torch.cat([h[-2], h[-1]], 1)`` of a bidirectional LSTM/GRU/RNN: the last layer's
        forward and backward final states side by side, which is output='last' (the block
        joins them in that order). True when ``node`` is that, handled here."""
        if not (node.op == "call_function" and node.target in (torch.cat, torch.concat)):
            return False
        bound = dict(zip(("tensors", "dim"), node.args), **node.kwargs)
        parts = bound.get("tensors")
        if not isinstance(parts, (list, tuple)) or not any(p in self.directions for p in parts):
            return False
        found = [self.directions.get(p) for p in parts]
        if len(found) == 2 and None not in found and found[0][0] == found[1][0] \
                and [f[1] for f in found] == [0, 1] and bound.get("dim", 0) in (1, -1):
            self._last(node, found[0][0])
            return True
        shown = ", ".join(f"h[{f[2]}]" if f else "x" for f in found)
        raise self._error(node, f"it joins [{shown}] along dim {bound.get('dim', 0)}; of a "
                                f"bidirectional {self.sources[next(filter(None, found))[0]].type}"
                                f"'s hidden states only torch.cat([h[-2], h[-1]], 1), the last "
                                f"layer's forward then backward state, maps (to output='last')")

    def _last_steps(self, node: fx.Node, block_id: str) -> bool:
        """The final hidden state of a recurrent block whose output sequence is used too (a
        seq2seq encoder's ``outputs, (hidden, cell) = lstm(x)`` attended over, then
        ``hidden[-1]``): the sequence's last step, or, bidirectional, its forward half at the
        last step and backward half at the first, joined. So it is where no padding mask packs
        the samples (each would end at its own step). True when built here."""
        spec = self.sources[block_id]
        if any(e.target == block_id and e.port == "padding_mask" for e in self.edges):
            return False
        width = spec.params["hidden_size"]
        halves = [(-1, None, None)]  # (step, start, end) along the features
        if spec.params.get("bidirectional"):
            halves = [(-1, 0, width), (0, width, None)]
        ends = []
        for step, start, end in halves:
            part = self._add_node(f"{block_id}_last", "Slice",
                                  {"dim": 0, "start": step, "end": step + 1 or None},
                                  [block_id])
            part = self._add_node(f"{block_id}_last", "Flatten", {}, [part])
            if start is not None:
                part = self._add_node(f"{block_id}_last", "Slice",
                                      {"dim": 0, "start": start, "end": end}, [part])
            ends.append(part)
        self.ids[node] = ends[0] if len(ends) == 1 else \
            self._add_node(f"{block_id}_last", "Concat", {"dim": 0}, ends)
        return True

    def _use(self, node: fx.Node, block_id: str, output: str) -> None:
        """A recurrent block gives its sequence or its last hidden state, never both."""
        if self.outputs_used.setdefault(block_id, output) != output:
            module = self.sources[block_id].module
            raise self._error(node, f"{module} is used both for its output sequence and its "
                                    f"last hidden state; a block gives one of them (use two "
                                    f"layers)")

    # -- blocks, ids and edges ----------------------------------------------------------------

    def _add_mapped(self, node: fx.Node, mapped: Mapped) -> str:
        if node.op == "call_module":
            base = str(node.target)
        elif mapped.name:
            base = mapped.name
        elif mapped.type == "PositionalEmbedding":
            base = mapped.weights["weight"][0]  # named after its table: ``pos``
        else:
            base = _scoped_name(node)
        block_id = self._add_node(base, mapped.type, mapped.params,
                                  [self.ids[n] for n in mapped.inputs], mapped.ports,
                                  repeat=len(mapped.copies) if mapped.copies else None)
        if not mapped.trainable:  # the model's buffer: training leaves it as it is
            self.nodes[-1].extra["trainable"] = False
        self.sources[block_id] = mapped
        for item in mapped.then:
            if isinstance(item, Mapped):  # a chained block with weights of its own
                block_id = self._add_node(item.name or f"{block_id}_{item.type.lower()}",
                                          item.type, item.params, [block_id])
                self.sources[block_id] = item
                continue
            block, params = item
            block_id = self._add_node(f"{block_id}_{block.lower()}", block, params, [block_id])
        return block_id

    def _add_node(self, base: str, block: str, params: dict, sources: list[str],
                  ports: list[str] | None = None, repeat: int | None = None) -> str:
        node_id = self._unique(base)
        self.nodes.append(Node(node_id, block, _tidy(block, params), repeat=repeat))
        for i, source in enumerate(sources):
            self.edges.append(Edge(source, node_id, ports[i] if ports else None))
        return node_id

    def _unique(self, base: str) -> str:
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", base)[:58] or "node"
        node_id, i = stem, 1
        while node_id in self.taken:
            node_id, i = f"{stem}_{i}", i + 1
        self.taken.add(node_id)
        return node_id

    def _error(self, node: fx.Node, reason: str) -> GraphError:
        rows = steps_as_rows(self.model, node, self.values)
        if rows is not None:  # decoded.view(-1, ntoken) after a sequence-first LSTM: the view
            node, reason = rows
            return self._at(node, reason)
        if moved_for(node) is not None:  # a transpose around a sequence-first LSTM: the LSTM's
            node = moved_for(node)
            reason = "batch_first=False (LayerLoom sequences are [batch, length, features])"
        used = _mask_use(node)
        if used is not None and used[2].meta.get(WRITTEN_OUT) and used[2].meta.get(REFUSED):
            reason = (f"it computes what is put on the scores (a mask or a bias) of the "
                      f"attention written out at {source_line(used[2])}, which does not "
                      f"import: {used[2].meta[REFUSED]}; {WRITTEN_OUT_MASKS}")
        elif used is not None and used[2].meta.get(REFUSED):  # the mask, not its parts
            reason = f"it computes the {used[1]} of an attention, which no block takes"
            reason += _fix_hint(self.model, node, reason, self.values.get(node))
        else:
            reason += _fix_hint(self.model, node, reason, self.values.get(node))
        return self._at(node, reason)

    def _at(self, node: fx.Node, reason: str) -> GraphError:
        """The refusal of ``node``: its line, the node and ``reason``."""
        if ORIGIN in node.meta:  # an ONNX file's node: named as the file names it
            return GraphError(f"{node.meta[ORIGIN]}: {reason}")
        line = source_line(node)
        if node.op == "call_module":
            module = self.model.get_submodule(node.target)
            where = f"{node.target} ({type(module).__name__})"
        else:
            scope = _scope(node)
            inside = (f" in {scope} ({type(self.model.get_submodule(scope)).__name__})"
                      if scope else f" in {type(self.model).__name__}.forward")
            where = f"{describe(node)}{inside}"
        return GraphError(f"{line + ': ' if line else ''}cannot import {where}: {reason}")

    def _fuse_layernorm2d(self) -> None:
        """Permute to channels-last, LayerNorm, Permute back (timm's and torchvision's
        ``LayerNorm2d``): one LayerNorm2d block with the LayerNorm's weights."""
        by_id = {n.id: n for n in self.nodes}
        into: dict[str, list[Edge]] = {}
        out_of: dict[str, list[Edge]] = {}
        for edge in self.edges:
            into.setdefault(edge.target, []).append(edge)
            out_of.setdefault(edge.source, []).append(edge)
        gone: set[str] = set()
        for norm in [n for n in self.nodes if n.type == "LayerNorm"]:
            before = [e.source for e in into.get(norm.id, [])]
            after = [e.target for e in out_of.get(norm.id, [])]
            if len(before) != 1 or len(after) != 1:
                continue
            first, last = by_id[before[0]], by_id[after[0]]
            if first.type != "Permute" or first.params.get("dims") != [1, 2, 0] \
                    or last.type != "Permute" or last.params.get("dims") != [2, 0, 1] \
                    or len(out_of.get(first.id, [])) != 1 or len(into.get(first.id, [])) != 1 \
                    or norm.params.get("elementwise_affine") is False \
                    or norm.params.get("dims", 1) != 1 \
                    or norm.params.get("bias") is False:
                continue
            norm.type = "LayerNorm2d"
            norm.params = {k: v for k, v in norm.params.items() if k == "eps"}
            norm.params.setdefault("eps", 1e-5)
            source = into[first.id][0]
            source.target = norm.id
            for edge in out_of.get(last.id, []):
                edge.source = norm.id
            gone.update((first.id, last.id))  # their remaining edges are dropped below
        if gone:
            self.nodes = [n for n in self.nodes if n.id not in gone]
            self.edges = [e for e in self.edges if e.source not in gone and e.target not in gone]
            for node_id in gone:
                self.sources.pop(node_id, None)

    def _merge_slices(self) -> bool:
        """Slices of one tensor along one dimension that partition it (``x.chunk(2, 1)``'s
        parts, ``torch.split``'s, ``x[:, :k]`` with ``x[:, k:]``) become one Chunk or Split
        block whose outputs feed what the slices fed (edges with ``source_port``); slices that
        do not partition their dimension stay Slices. True when a group was merged (the caller
        runs it again: a merged block's outputs may be sliced in turn)."""
        into = {e.target: e for e in self.edges}
        groups: dict[tuple, list] = {}
        for node in self.nodes:
            mapped = self.sources.get(node.id)
            edge = into.get(node.id)
            if node.type != "Slice" or mapped is None or edge is None \
                    or mapped.params.get("step", 1) != 1 or mapped.picked:
                continue
            shape = tuple(self.values[mapped.inputs[0]].shape[1:])
            dim = mapped.params["dim"] % len(shape)
            size = shape[dim]
            start, end = mapped.params["start"], mapped.params["end"]
            start = start + size if start < 0 else start
            end = size if end is None else min(end + size if end < 0 else end, size)
            groups.setdefault((edge.source, edge.source_port, dim), []).append(
                (node, (start, end), size))
        for (source, source_port, dim), members in groups.items():
            ranges = sorted({r for _, r, _ in members})
            size = members[0][2]
            if len(ranges) < 2 or ranges[0][0] != 0 or ranges[-1][1] != size or any(
                    a[1] != b[0] for a, b in zip(ranges, ranges[1:])):
                continue
            self._replace_slices(source, source_port, dim, members, ranges, size)
            return True
        return False

    def _replace_slices(self, source: str, source_port: Any, dim: int, members: list,
                        ranges: list[tuple[int, int]], size: int) -> None:
        from ..blocks.split import chunk_sizes

        sizes = [end - start for start, end in ranges]
        if chunk_sizes(size, len(sizes)) == sizes:
            block, params = "Chunk", {"chunks": len(sizes), "dim": dim}
        else:
            block, params = "Split", {"sizes": sizes, "dim": dim}
        base = re.sub(r"_\d+$", "", members[0][0].id)
        base = re.sub(r"getitem$", block.lower(), base)
        block_id = self._unique(base)
        port_of = {node.id: ranges.index(r) for node, r, _ in members}
        at = min(self.nodes.index(node) for node, _, _ in members)
        self.nodes.insert(at, Node(block_id, block, params))
        self.nodes = [n for n in self.nodes if n.id not in port_of]
        edges, fed = [], False
        for edge in self.edges:
            if edge.target in port_of:  # into a slice: the first becomes the block's input
                if not fed:
                    edges.append(Edge(source, block_id, source_port=source_port))
                    fed = True
                continue
            if edge.source in port_of:
                edge.source_port = port_of[edge.source]
                edge.source = block_id
            edges.append(edge)
        self.edges = edges
        for node_id in port_of:
            self.sources.pop(node_id, None)

    # -- weights ----------------------------------------------------------------------------

    def _weights(self, report) -> WeightMap:
        weights = WeightMap()
        top = report.resolution.top
        names = node_names([n.id for n in self.nodes])
        for block_id, mapped in self.sources.items():
            info = top.nodes[block_id]
            if not info.used or not info.copies:
                continue
            if mapped.copies:  # a repeated node: nn.Sequential, one copy per original module
                parts = [(f"{names[block_id]}.{i}", path, layer)
                         for i, (path, layer) in enumerate(zip(mapped.copies, info.copies))]
            else:
                parts = [(names[block_id], mapped.module, info.copies[0])]
            for attribute, path, layer in parts:
                module = info.spec.build(layer.params, layer.in_shapes)
                built = module.state_dict()
                transposed: tuple[str, ...] = ()
                if path is not None:
                    source = self.model.get_submodule(path)
                    original = as_parametrised({k: (f"{path}.{k}", v)
                                                for k, v in source.state_dict().items()})
                    transposed = transposed_weights(source)
                else:
                    original, transposed = mapped.weights, mapped.transposed
                if built or original:
                    match_weights(weights, block_id, attribute, built, original, transposed)
                    self.learned.setdefault(block_id, []).extend(
                        weights[f"{attribute}.{key}"] for key, _ in module.named_parameters())
                if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules()):
                    self.statistics.add(block_id)
        saved = self.model.state_dict()
        for name, buffer in self.model.named_buffers(remove_duplicate=False):
            if name not in saved and name in weights.values():
                weights.unsaved[name] = buffer.detach().clone()
        return weights


# functions whose weight (their second argument) a layer's forward may compute
_WEIGHTED = (F.linear, F.conv1d, F.conv2d, F.conv3d, F.conv_transpose1d, F.conv_transpose2d)


def _weight_made(node: fx.Node) -> str | None:
    """Why ``node`` has no block where it computes, from the model's own tensors alone, the
    weight that an ``F.linear`` or ``F.conv2d`` takes (within a few reshapes): MADE's
    ``F.linear(x, self.mask * self.weight, self.bias)``, timm's StdConv2d standardising its
    weight with ``F.batch_norm``; None where it does not."""
    if any(a.op == "placeholder" for a in _inputs_of(node)):
        return None
    todo, seen = [(node, 0)], set()
    while todo:
        current, depth = todo.pop()
        for user in current.users:
            if user in seen:
                continue
            seen.add(user)
            weight = user.kwargs.get("weight", user.args[1] if len(user.args) > 1 else None)
            if user.op == "call_function" and user.target in _WEIGHTED and weight is current:
                name = f"F.{user.target.__name__}"
                return (f"it computes the weight of {name} in forward from the model's own "
                        f"parameters and buffers (a weight masked or standardised at every "
                        f"call, as MADE's F.linear(x, self.mask * self.weight) or timm's "
                        f"StdConv2d does), and a block holds its weight as it is, computing "
                        f"nothing on it; to import what the model computes now, store that "
                        f"weight in the layer once (with torch.no_grad(): "
                        f"layer.weight.copy_(...)) and call the layer plainly: the outputs "
                        f"are the same, though training no longer keeps the mask or the "
                        f"standardisation")
            if depth < 3 and user.op in ("call_method", "call_function"):
                todo.append((user, depth + 1))
    return None


def _inputs_of(node: fx.Node) -> list[fx.Node]:
    """The nodes ``node`` is computed from, back to the trace's inputs and attributes."""
    found, todo, seen = [], [node], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current.op in ("placeholder", "get_attr"):
            found.append(current)
        todo.extend(current.all_input_nodes)
    return found


_SPLITS = ("chunk", "split", "tensor_split")
# functions that make a tensor from numbers alone; traced (not run at once) where an argument
# is read from an input: a size, or its device (``torch.eye(3, device=x.device)``)
_FACTORIES = (torch.eye, torch.zeros, torch.ones, torch.full, torch.tensor, torch.as_tensor)
_PASSES = ("to", "type_as", "float", "detach", "contiguous", "cuda", "cpu", "requires_grad_")


def _record_fields(result: Any) -> Any:
    """What ``forward`` returns as a namedtuple or a dataclass (``Output(logits, features)``,
    ``@dataclass class Output``, as a Hugging Face ``ModelOutput`` is one), traced as a call of
    its class, as a dict of its fields in their order (a field left out: None, as its default
    is); else ``result``."""
    if isinstance(result, tuple) and hasattr(result, "_fields"):
        return dict(zip(result._fields, result))
    if not isinstance(result, fx.Node) or result.op != "call_function" \
            or not isinstance(result.target, type):
        return result
    cls = result.target
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        names = list(cls._fields)
    elif is_dataclass(cls):
        names = [f.name for f in fields(cls)]
    else:
        return result
    if len(result.args) > len(names) or any(k not in names for k in result.kwargs):
        return result
    values = dict.fromkeys(names)
    values.update(zip(names, result.args))
    values.update(result.kwargs)
    return values


def _record_kind(result: Any) -> str:
    """What a namedtuple, dataclass or dict subclass returned is, in words: ``Output (a
    namedtuple)``."""
    cls = result.target if isinstance(result, fx.Node) and isinstance(result.target, type) \
        else type(result)
    kind = "a namedtuple" if issubclass(cls, tuple) else "a dataclass" if is_dataclass(cls) \
        else "a dict"
    return f"{cls.__name__} ({kind})"


def _dict_keys(model: nn.Module, result: Any) -> list[str] | None:
    """The keys of the dict ``forward`` returns (None where it returns no dict); a key that is
    not a string, or a dict or tuple under a key, is refused naming the key."""
    if not isinstance(result, dict):
        return None
    keys = list(result)
    name = type(model).__name__
    for key, value in result.items():
        if not isinstance(key, str) or not key:
            raise GraphError(f"{name}.forward returns a dict with the key {key!r}; only keys "
                             f"that are names (strings) can name the design's outputs")
        if isinstance(value, (dict, tuple, list)):
            raise GraphError(f"{name}.forward returns a {type(value).__name__} under the key "
                             f"{key!r}; an imported model returns one tensor per key (return "
                             f"each of its tensors under a key of its own)")
    return keys


def _others(count: int) -> str:
    return "other output" if count == 1 else f"other {count} outputs"


def _is_split(node: fx.Node) -> bool:
    if node.op == "call_method":
        return node.target in _SPLITS
    return node.op == "call_function" and getattr(node.target, "__name__", "") in _SPLITS \
        and node.target in (torch.chunk, torch.split, torch.tensor_split)


def _leading(index: Any) -> bool:
    return isinstance(index, slice) and index.start in (None, 0) and index.step in (None, 1)


def _squeezes_first(node: fx.Node) -> bool:
    """``h.squeeze(0)``, ``torch.squeeze(h, 0)``, ``h.squeeze(dim=0)``."""
    if not (node.op == "call_method" and node.target == "squeeze"
            or node.op == "call_function" and node.target is torch.squeeze):
        return False
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    return dim == 0 and isinstance(node.args[0], fx.Node) if node.args else False


def source_line(node: fx.Node) -> str:
    """``mymodels.py:76``: the line of the user's code that made ``node`` (the innermost frame
    outside torch of the stack torch.fx recorded while tracing), or "" when none was."""
    frames = user_frames(node)
    return f"{Path(frames[-1][0]).name}:{frames[-1][1]}" if frames else ""


_TIME_MAJOR = (nn.RNNBase, nn.MultiheadAttention, nn.TransformerEncoderLayer,
               nn.TransformerEncoder)
_ATTENTION_OPS = {torch.einsum, "einsum", torch.baddbmm, "baddbmm"}
_MHA = ("nn.MultiheadAttention(embed_dim, num_heads, batch_first=True) (the MultiheadAttention "
        "block; or nn.TransformerEncoderLayer(..., batch_first=True) for a whole layer)")
_QKV_FIRST = ((2, 0, 3, 1, 4), ([2, 0, 3, 1, 4],))  # timm's qkv.reshape(B, N, 3, H, D).permute


def _batch_first(module: nn.Module) -> bool:
    if module in FLIPPED:  # built sequence-first, traced batch-first between transposes
        return False
    if isinstance(module, nn.TransformerEncoder):
        return all(_batch_first(layer) for layer in module.layers)
    if isinstance(module, nn.TransformerEncoderLayer):
        module = module.self_attn
    return bool(getattr(module, "batch_first", True))


_COMPARISONS = (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge,
                torch.eq, torch.ne, "eq", "ne", "lt", "le", "gt", "ge", "logical_not")


_FIXED_RANGE = ("its input is a {arange} of a fixed length made in forward: the indices of a "
                "fixed encoding's features (the frequencies of DETR's PositionEmbeddingSine, "
                "of a sinusoidal encoding), which no block computes; fix: make the encoding "
                "once in __init__, as a buffer of every position (self.register_buffer('pos', "
                "...)), and add it to the batch-first [B, L, D] tokens (x + self.pos imports, "
                "frozen), or learn a table of every position (nn.Parameter of [1, L, D]: "
                "PositionalEmbedding)")


def _fixed_range(node: Any) -> bool:
    """``torch.arange(8, ...)``: a range whose bounds are numbers, not sizes read in forward."""
    return isinstance(node, fx.Node) and node.op == "call_function" \
        and node.target is torch.arange and bool(node.args) \
        and all(isinstance(a, (int, float)) for a in node.args)


def _mask_use(node: fx.Node) -> tuple[str, str, fx.Node] | None:
    """``(callee, argument, the call)`` where ``node``'s result reaches an argument named for a mask
    (``key_padding_mask=ids == 0``, ``src_key_padding_mask=...``, ``attn_mask=...``) within a
    few steps; else None."""
    seen, frontier = {node}, [node]
    for _ in range(8):  # a window's positions, compared, cast, scaled: 6 steps to the mask
        following = []
        for current in frontier:
            for user in current.users:
                for key, value in user.kwargs.items():
                    if "mask" in key and value is current:
                        return (str(user.target) if user.op == "call_module"
                                else describe(user)), key, user
                if user not in seen:
                    seen.add(user)
                    following.append(user)
        frontier = following
    return None


def _fix_hint(model: nn.Module, node: fx.Node, reason: str, value: Any = None) -> str:
    """How to rewrite the code of ``node`` so that it imports, where a known rewrite exists
    ("; fix: ..."), else "". ``value``: the node's result on the sample input."""
    target = node.target
    if unfold_hint(model, node):
        return unfold_hint(model, node)
    used = _mask_use(node)
    if used is not None and used[2].meta.get(REFUSED):
        line = source_line(used[2])
        return (f"; fix: it makes the {used[1]} given to {used[0]}"
                f"{f' (at {line})' if line else ''}, which does not import: "
                f"{used[2].meta[REFUSED]}. Of masks, one that keeps every step, the causal one "
                f"(or is_causal=True) and a padding mask from token ids ((ids != pad_id)[:, "
                f"None, None, :], with or without the causal steps) import; give such a mask, "
                f"or call {used[0]} without {used[1]}")
    if used is not None:
        return (f"; fix: it makes the mask given to {used[0]} as {used[1]}; of masks, only "
                f"ids == pad_id (True at padding) given to nn.MultiheadAttention as "
                f"key_padding_mask imports (a PaddingMask block), or, for causal attention, "
                f"F.scaled_dot_product_attention(q, k, v, is_causal=True); else call "
                f"{used[0]} without {used[1]} (padded or future steps are then attended to)")
    if "batch dimension" in reason and target in ("permute", "transpose", torch.permute,
                                                  torch.transpose):
        time_major = [str(u.target) for u in node.users if u.op == "call_module"
                      and isinstance(model.get_submodule(u.target), _TIME_MAJOR)
                      and not _batch_first(model.get_submodule(u.target))]
        if not time_major:
            time_major = [name for name, m in model.named_modules()
                          if isinstance(m, _TIME_MAJOR) and not _batch_first(m)
                          and not isinstance(m, nn.MultiheadAttention)]
        if time_major:
            return (f"; fix: make {', '.join(time_major)} batch_first=True and drop the "
                    f"{target if isinstance(target, str) else target.__name__} (the sequence "
                    f"stays [batch, length, features]; the output's last step is then "
                    f"out[:, -1], not out[-1])")
    if node.op == "call_module" and "batch_first=False" in reason:
        return ("; fix: construct it with batch_first=True and give it [batch, length, "
                "features] (drop any permute/transpose to [length, batch, features] before it; "
                "the output's last step is then out[:, -1], not out[-1])")
    if target in ("permute", torch.permute) and tuple(node.args[1:]) in _QKV_FIRST:
        return ("; fix: split q, k and v with q, k, v = self.qkv(x).chunk(3, dim=-1) and give "
                "each its heads with q.view(B, N, heads, head_dim).transpose(1, 2): the batch "
                "stays first, the weights are the same (Chunk, Unflatten, Permute, MatMul "
                f"blocks), or use {_MHA}")
    if target in ("masked_fill", "masked_fill_", torch.masked_fill) or (
            target in _COMPARISONS and any(u.target in ("masked_fill", "masked_fill_",
                                                        torch.masked_fill) for u in node.users)):
        # the comparison that makes the mask (self.bias[:, :, :T, :T] == 0) stops first
        return ("; fix: for a causal mask in attention, call F.scaled_dot_product_attention(q, "
                "k, v, is_causal=True) (the ScaledDotProductAttention block)")
    if reason == "no LayerLoom block does this":
        hint = no_block_hint(model, node, value)
        if hint:
            return hint
    if target in _ATTENTION_OPS and "no LayerLoom block" in reason:
        return _einsum_linear(model, node) or (
            f"; fix: {_einsum_refused(node)}for attention, "
            f"write the products with @ (the MatMul block) and softmax, or use {_MHA}")
    return ""


def _einsum_linear(model: nn.Module, node: fx.Node) -> str:
    """The fix for ``torch.einsum("bd,do->bo", x, self.w)``: a matmul with a 2-D parameter,
    which is a linear layer; "" for any other einsum."""
    if node.target not in (torch.einsum, "einsum") or len(node.args) != 3 \
            or not isinstance(node.args[0], str) or "->" not in node.args[0]:
        return ""
    inputs, output = node.args[0].replace(" ", "").split("->")
    terms = inputs.split(",")
    held = [i for i, a in enumerate(node.args[1:]) if isinstance(a, fx.Node)
            and a.op == "get_attr" and len(terms) == 2 and len(terms[i]) == 2]
    if len(held) != 1:
        return ""
    term, other = terms[held[0]], terms[1 - held[0]]
    name = str(node.args[1 + held[0]].target)
    weight = model.get_parameter(name) if name in dict(model.named_parameters()) else None
    summed = [c for c in term if c in other and c not in output]
    kept = [c for c in term if c not in other and c in output]
    if weight is None or len(summed) != 1 or len(kept) != 1 or not output.endswith(kept[0]) \
            or not other.endswith(summed[0]):
        return ""
    size_in, size_out = (weight.shape[0], weight.shape[1]) if term[0] == summed[0] \
        else (weight.shape[1], weight.shape[0])
    shown = f"{name}.T" if term[0] == summed[0] else name
    return (f"; fix: {node.args[0]!r} is a matmul with the parameter '{name}' "
            f"{list(weight.shape)}, which is a linear layer: hold it in "
            f"nn.Linear({size_in}, {size_out}) (its weight is {shown}, plus any bias added "
            f"after) and call the layer on the input")


def _einsum_refused(node: fx.Node) -> str:
    """What of einsums imports, for a refused ``torch.einsum(equation, ...)``; "" for another
    op."""
    if node.target not in (torch.einsum, "einsum"):
        return ""
    equation = node.args[0] if node.args and isinstance(node.args[0], str) else None
    named = f"{equation!r} is no batched matrix product: " if equation else ""
    return (f"{named}of einsums, a batched matrix product of two tensors computed in forward "
            f"imports (each keeps the batch and heads in one order, sums one letter and keeps "
            f"one of its own: 'bhqd,bhkd->bhqk', 'bhqk,bhkd->bhqd'); ")


_SDPA = ("compute the attention with F.scaled_dot_product_attention(q, k, v, is_causal=True) "
         "(the ScaledDotProductAttention block), q, k and v from nn.Linear layers split into "
         "heads (.view(B, L, heads, head_dim).transpose(1, 2)) and an nn.Linear after it, as "
         "nanoGPT does")


def _mask_refusal(extra: dict, values: dict) -> str:
    """Why nn.MultiheadAttention called with an attn_mask or is_causal does not import, and
    what to write."""
    mask = extra.get("attn_mask")
    mask = values.get(mask) if isinstance(mask, fx.Node) else mask
    if extra.get("is_causal") or _causal(mask):
        given = "is_causal=True" if mask is None else "attn_mask, a causal mask"
        return (f"it is given {given} (each step attends to itself and earlier steps), which "
                f"the MultiheadAttention block takes only as a mask made from sizes alone "
                f"(nn.Transformer.generate_square_subsequent_mask(L)) over a query and key of "
                f"one length, its is_causal; fix: give it such a mask, or {_SDPA}")
    return ("it is given an attn_mask other than a causal one, which no block takes (a "
            "padding mask imports as key_padding_mask=ids == pad_id); only a causal mask has a "
            f"rewrite: {_SDPA}")


def _causal(mask: Any) -> bool:
    """``mask`` is ``[L, L]`` and hides exactly the later steps: True (bool) or -inf above the
    diagonal, False or 0 elsewhere."""
    if not isinstance(mask, torch.Tensor) or mask.dim() != 2 or mask.shape[0] != mask.shape[1]:
        return False
    later = torch.ones(mask.shape, dtype=torch.bool).triu(1)
    if mask.dtype == torch.bool:
        return bool(torch.equal(mask, later))
    return bool((mask[later] <= -1e9).all() and (mask[~later] == 0).all())


def _is_lstm_state(node: Any, tuples: dict) -> bool:
    return (isinstance(node, fx.Node) and node.op == "call_function"
            and node.target is operator.getitem and node.args[0] in tuples
            and node.args[1] == 1)


def _scope(node: fx.Node) -> str:
    if SCOPE in node.meta:  # an ONNX file's node: its module's block name
        return node.meta[SCOPE]
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack)[-1] if stack else ""


def _scoped_name(node: fx.Node) -> str:
    """``layer1.0`` + ``add_3`` → ``layer1_0_add``: the function named after where it is."""
    base = re.sub(r"_\d+$", "", node.name)
    scope = _scope(node)
    return f"{scope.replace('.', '_')}_{base}" if scope else base


def _node_args(node: fx.Node) -> list:
    found: list = []
    fx.node.map_arg((node.args, node.kwargs), found.append)
    return found


def _what(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "a tensor"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    return f"a {type(value).__name__}"


def _tidy(block: str, params: dict) -> dict:
    """Params as a person would write them: defaults left out (but a block's key params kept),
    tuples as lists, ``(3, 3)`` as ``3``."""
    if block in ("Input", "Output"):
        return params
    spec = get_block(block)
    out = {}
    for name, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, list) and len(value) > 1 and len(set(value)) == 1 \
                and spec.param(name) is not None and (spec.param(name).length or spec.param(
                    name).extra.get("one_for_all")):  # one number stands for every dimension
            value = value[0]
        if isinstance(value, list) and len(value) == 1 and spec.param(name) is not None \
                and spec.param(name).length:
            value = value[0]
        param = spec.param(name)
        if param is not None and name not in spec.key_params:
            try:
                if param.coerce(value) == param.coerce(param.default):
                    continue
            except Exception:  # noqa: BLE001 - a default that does not coerce: keep the value
                pass
        out[name] = value
    return out
