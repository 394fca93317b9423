"""Item text as vectors: hashed title words (TF-IDF) and the pretrained sentence encoder, and the
known items a new one is scored like."""

from __future__ import annotations

import numpy as np
import pytest

from graphrec.errors import InvalidInput
from graphrec.models.item_text import (
    KnownTexts,
    TitleWords,
    encode_sentences,
    item_texts,
    sentence_encoder_installed,
    text_neighbours,
)


def test_title_words_weigh_rare_words_and_encode_new_titles_alike() -> None:
    words = TitleWords(["Red Lipstick", "Red Nail Polish", "Long Mascara", "Red Blush"])
    norms = np.sqrt(np.asarray(words.rows.multiply(words.rows).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)
    new = words.encode(["Lipstick, Red!"])  # the same words, any case and punctuation
    np.testing.assert_allclose((new @ words.rows.T).toarray()[0, 0], 1.0, rtol=1e-6)
    # "mascara" (in one title) weighs more than "red" (in three): the mascara is nearer
    sims = (words.encode(["Red Mascara"]) @ words.rows.T).toarray()[0]
    assert sims.argmax() == 2 and sims[2] > sims[0] > 0
    assert (words.encode(["garden hose"]) @ words.rows.T).nnz == 0  # no word in common


def test_neighbours_are_the_nearest_with_weights_summing_to_one() -> None:
    words = TitleWords(["Red Lipstick", "Red Nail Polish", "Long Mascara", "Red Blush"])
    top, weights = text_neighbours(
        words.encode(["Red Lipstick Deluxe", "garden hose"]), words.rows, 2
    )
    assert top.shape == weights.shape == (2, 2)
    assert 0 in top[0].tolist() and weights[0].sum() == pytest.approx(1.0)
    assert weights[0][top[0].tolist().index(0)] > 0.5  # the lipstick weighs most
    assert weights[1].tolist() == [0.0, 0.0]  # no word in common: no look-alikes


def test_an_item_without_a_title_is_its_brand_and_category() -> None:
    assert item_texts(["Serum", None, ""], ["Glow", "Rouge", ""], ["Face", "Lips", ""]) == [
        "Serum",
        "Rouge Lips",
        "",
    ]


@pytest.mark.skipif(not sentence_encoder_installed(), reason="pip install 'graphrec[text]'")
def test_the_sentence_encoder_loads_offline_and_puts_paraphrases_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nothing may come from a model hub
    vectors = encode_sentences(["red lipstick", "a lipstick in red", "garden hose"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


@pytest.mark.skipif(not sentence_encoder_installed(), reason="pip install 'graphrec[text]'")
def test_known_texts_compare_by_words_by_meaning_or_both() -> None:
    known = ["Glow Serum", "Night Cream", "Red Lipstick", "Long Mascara"]
    vectors = encode_sentences(known)
    new = ["Eyelash lengthening wand", "Long Mascara"]
    words = KnownTexts(known).cosines(new)
    sentences = KnownTexts(known, "sentences", vectors).cosines(new)
    both = KnownTexts(known, "both", vectors).cosines(new)
    assert words[0].tolist() == [0.0] * 4  # no word in common
    assert sentences[0].argmax() == 3  # but it means a mascara
    assert words[1, 3] == pytest.approx(1.0) and sentences[1, 3] == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(both, (words + sentences) / 2, atol=1e-6)
    with pytest.raises(InvalidInput, match="kind must be one of"):
        KnownTexts(known, "letters")
    with pytest.raises(InvalidInput, match="needs one sentence vector per text"):
        KnownTexts(known, "sentences", vectors[:2])
