"""Brown corpus sentences: reading NLTK's tagged format, detokenizing, splitting, sampling fragments."""

import numpy as np
import pytest

from text_recognizer.data.character_mapping import MAPPING
from text_recognizer.data.synthetic import sentences
from text_recognizer.data.synthetic.sentences import (
    TextSampler,
    brown_sentences,
    clean_text,
    detokenize,
    document_ids,
    read_tagged_sentences,
    split_of_document,
)


def test_reads_the_tagged_format(tmp_path):
    path = tmp_path / "cx01"
    text = "\n\n\tThe/at jury/nn said/vbd ,/, 1/2/cd ./.\n\n\n\tIt/pps ended/vbd ./.\n"
    path.write_text(text, encoding="ascii")
    assert read_tagged_sentences(path) == [["The", "jury", "said", ",", "1/2", "."], ["It", "ended", "."]]


@pytest.mark.parametrize(
    ("tokens", "text"),
    [
        (["He", "said", ",", "``", "Go", "home", "''", "."], 'He said, "Go home".'),
        (["a", "(", "b", ")", "c", ";", "d", "?"], "a (b) c; d?"),
        (["no", "--", "and", "yes", "!"], "no--and yes!"),
        (["the", "boys", "'", "toys"], "the boys' toys"),
        (["`", "Hi", "'", "she", "said"], "'Hi' she said"),
    ],
)
def test_detokenize_joins_tokens_as_printed(tokens, text):
    assert detokenize(tokens) == text


def test_clean_text_keeps_known_characters_only():
    assert clean_text("  two   spaces ") == "two spaces"
    assert clean_text("costs $5") is None and clean_text("50%") is None and clean_text("") is None


def test_first_sentence_of_the_corpus():
    first = brown_sentences(documents=["ca01"])[0]
    assert first.startswith("The Fulton County Grand Jury said Friday an investigation of Atlanta's")
    assert first.endswith('produced "no evidence" that any irregularities took place.')


def test_documents_are_split_one_in_ten_for_test_and_for_validation():
    ids = document_ids()
    assert len(ids) == 500 and ids[0] == "ca01" and ids[-1] == "cr09"
    splits = [split_of_document(i) for i in range(len(ids))]
    assert splits.count("test") == 50 and splits.count("val") == 50 and splits.count("train") == 400


def test_split_sentences_come_from_different_documents():
    ids = document_ids()
    test_doc, train_doc = ids[9], ids[0]
    assert split_of_document(9) == "test" and split_of_document(0) == "train"
    assert brown_sentences("test", documents=[test_doc]) == brown_sentences(documents=[test_doc])
    assert brown_sentences("train", documents=[test_doc]) == []
    assert brown_sentences("train", documents=[train_doc]) == brown_sentences(documents=[train_doc])


def test_sentences_only_use_the_models_characters():
    known = set(MAPPING[1:])
    for text in brown_sentences(documents=["ca01", "cj01", "cr09"]):
        assert set(text) <= known and text == text.strip() and "  " not in text


def test_fragments_are_whole_words_and_fit_max_length():
    text_sentences = brown_sentences(documents=["ca01", "ca02"])
    sampler = TextSampler(text_sentences, max_length=16)
    words = set(sampler.text.split(" "))
    rng = np.random.default_rng(0)
    fragments = [sampler.sample(rng) for _ in range(300)]
    for fragment in fragments:
        assert 1 <= len(fragment) <= 16 and fragment == fragment.strip()
        assert f" {fragment} " in f" {sampler.text} "  # starts and ends at word boundaries
        assert set(fragment.split(" ")) <= words
    assert len({len(f) for f in fragments}) > 8  # lengths vary


def test_sampling_is_deterministic_given_the_seed():
    sampler = TextSampler(["one two three four five six seven"], max_length=10)
    first = [sampler.sample(np.random.default_rng(3)) for _ in range(5)]
    assert first == [sampler.sample(np.random.default_rng(3)) for _ in range(5)]


def test_sampler_rejects_text_with_no_word_that_fits():
    with pytest.raises(ValueError, match="No word"):
        TextSampler(["incomprehensibilities"], max_length=5)


def test_missing_corpus_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_NODE_MODULES", str(tmp_path))
    monkeypatch.setattr(sentences, "_nltk_brown_dir", lambda: None)
    with pytest.raises(sentences.DataError, match="make setup"):
        sentences.brown_corpus_dir()
