"""Every template's top level opens with room between the cards of a row for the wire's shape
between them: a wire's cards in a row stand 240 px or more apart (cards 150 to 200 px wide),
leaving 40 to 80 px, where '1600' or '1×28×28' reads whole and '16×28×28' as '16×28²'. conv-autoencoder's twelve blocks stood in one
row 220 px apart: 20 px between cards, every shape on its wires a '…', and at 1024 px the row
ran out of the pane after its fourth block. It now reads in rows of three as the others do."""

from __future__ import annotations

import pytest

from layerloom.graph.templates import list_templates, load_template

NAMES = [e["name"] for e in list_templates()]
CARD_W = 200  # the canvas' widest card (styles.css .ll-node)
STEP = 240  # from a card's left edge to the next one's in its row
ROW_GAP = 100  # as test_templates_catalog: cards in a row differ by less


@pytest.mark.parametrize("name", NAMES)
def test_the_cards_of_a_row_leave_room_for_their_wires_shape(name):
    graph = load_template(name)
    at = {n.id: tuple(n.position) for n in graph.nodes}
    tight = [(e.source, e.target, at[e.target][0] - at[e.source][0])
             for e in graph.edges
             if abs(at[e.target][1] - at[e.source][1]) < ROW_GAP
             and at[e.target][0] - at[e.source][0] < STEP]
    assert not tight, f"{name}: wires between cards less than {STEP} px apart: {tight}"


@pytest.mark.parametrize("name", NAMES)
def test_a_row_is_at_most_three_cards_wide(name):
    """Three 200 px cards 80 px apart fit a 1024 px window's canvas at the readable zoom."""
    graph = load_template(name)
    xs = sorted({n.position[0] for n in graph.nodes})
    assert xs[-1] + CARD_W <= 760, f"{name}: a row runs to {xs[-1] + CARD_W} px"
