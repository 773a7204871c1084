"""The text backbone: tokenisation, dynamic padding, token alignment, pooling, and real MiniLM."""
import pyarrow as pa
import pytest
import torch
from safetensors import safe_open
from transformers import AutoTokenizer, BertConfig, BertModel

from indus_workers.backbones.text import build_text_encoder, default_model_path
from indus_workers.batching import IGNORE_INDEX
from indus_workers.heads.token_classification import TokenClassificationHead
from indus_workers.model import build_model, load_model, save_model
from indus_workers.targets import attach_targets
from tests.workers.builders import CLASSIFICATION_HEAD, TEXT_BACKBONE, TINY_BERT, TINY_TEXT_OPTIONS, make_task

TAGS = ("O", "B-DRUG", "I-DRUG")


@pytest.fixture
def sentiment_task():
    return make_task("classes", labels=("negative", "positive"), inputs={"review": "text"}, modality="text")


@pytest.fixture
def tagging_task():
    return make_task("token_tags", labels=TAGS, inputs={"words": "tokens"}, modality="text", target_column="tags")


def tiny_encoder(task, **options):
    torch.manual_seed(0)
    return build_text_encoder(task=task, options={**TINY_TEXT_OPTIONS, **options})


@pytest.mark.parametrize("side", ["right", "left"])
def test_collate_pads_as_the_tokenizer_would(sentiment_task, side):
    encoder = tiny_encoder(sentiment_task, max_length=64)
    featurizer = encoder.featurizer
    featurizer.tokenizer.padding_side = side
    reviews = ["Fine.", "Arrived late and the box was crushed on one side.", "", "Good value for money"]
    examples = featurizer.encode(pa.table({"review": reviews}), inference=True)
    ours = featurizer.collate_inputs(examples)
    theirs = featurizer.tokenizer.pad([{name: e[name] for name in featurizer.input_names} for e in examples], return_tensors="pt")
    assert set(ours) == set(theirs)
    for name, expected in theirs.items():
        assert torch.equal(ours[name], expected), name
        assert ours[name].dtype == torch.int64


def test_collate_pads_only_to_the_longest_example_of_the_batch(sentiment_task):
    encoder = tiny_encoder(sentiment_task, max_length=64)
    reviews = ["Fine.", "Arrived late and the box was crushed on one side.", "Good value for money"]
    examples = encoder.featurizer.encode(pa.table({"review": reviews}), inference=True)
    lengths = [example["length"] for example in examples]
    assert lengths == [len(example["input_ids"]) for example in examples]
    assert len(set(lengths)) == 3 and max(lengths) < 64

    batch = encoder.featurizer.collate([examples[0], examples[2]])
    assert batch["input_ids"].shape == (2, max(lengths[0], lengths[2]))
    assert batch["attention_mask"].sum(dim=1).tolist() == [lengths[0], lengths[2]]


def test_long_texts_are_truncated_at_max_length(sentiment_task):
    encoder = tiny_encoder(sentiment_task, max_length=12)
    examples = encoder.featurizer.encode(pa.table({"review": ["word " * 100]}), inference=True)
    assert examples[0]["length"] == 12
    assert examples[0]["input_ids"][-1] == encoder.featurizer.tokenizer.sep_token_id


def test_several_text_columns_are_joined_with_the_separator():
    task = make_task("classes", labels=("a", "b"), inputs={"title": "text", "body": "text"}, modality="text")
    encoder = tiny_encoder(task)
    tokenizer = encoder.featurizer.tokenizer
    example = encoder.featurizer.encode(pa.table({"title": ["Great phone"], "body": ["battery lasts"]}))[0]
    assert example["input_ids"].count(tokenizer.sep_token_id) == 2  # between the columns, and at the end
    assert tokenizer.decode(example["input_ids"], skip_special_tokens=True) == "great phone battery lasts"


def test_rows_carry_their_raw_target_except_for_inference(sentiment_task):
    encoder = tiny_encoder(sentiment_task)
    table = pa.table({"review": ["ok", "bad"], "target": ["positive", None]})
    assert [example["target"] for example in encoder.featurizer.encode(table)] == ["positive", None]
    assert all("target" not in example for example in encoder.featurizer.encode(table, inference=True))


def test_token_tags_go_on_first_sub_tokens_and_minus_100_elsewhere(tagging_task):
    encoder = tiny_encoder(tagging_task)
    head = TokenClassificationHead(hidden_size=encoder.hidden_size, task=tagging_task)
    words, tags = ["Take", "ibuprofen", "twice"], ["O", "B-DRUG", "O"]
    table = pa.table({"words": [words], "tags": [tags]})
    example = attach_targets(encoder.featurizer.encode(table), head)[0]

    tokenizer = encoder.featurizer.tokenizer
    pieces = [tokenizer.tokenize(word) for word in words]
    assert len(pieces[1]) > 1, "the test needs a word that splits into several sub-tokens"
    expected = [IGNORE_INDEX]  # [CLS]
    for word_pieces, tag in zip(pieces, tags):
        expected += [TAGS.index(tag)] + [IGNORE_INDEX] * (len(word_pieces) - 1)
    expected.append(IGNORE_INDEX)  # [SEP]
    assert example["labels"] == expected
    assert len(example["labels"]) == len(example["input_ids"])


def test_token_labels_are_padded_with_minus_100_like_the_inputs(tagging_task):
    encoder = tiny_encoder(tagging_task)
    head = TokenClassificationHead(hidden_size=encoder.hidden_size, task=tagging_task)
    table = pa.table({"words": [["Take", "ibuprofen"], ["No"]], "tags": [["O", "B-DRUG"], ["O"]]})
    batch = encoder.featurizer.collate(attach_targets(encoder.featurizer.encode(table), head))
    assert batch["labels"].shape == batch["input_ids"].shape
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()
    assert encoder(**batch).shape == (*batch["input_ids"].shape, encoder.hidden_size)


def test_mean_pooling_ignores_padding(sentiment_task):
    encoder = tiny_encoder(sentiment_task).eval()
    featurizer = encoder.featurizer
    short, long = featurizer.encode(pa.table({"review": ["nice", "a much longer review of the product"]}), inference=True)
    with torch.no_grad():
        alone = encoder(**featurizer.collate([short]))
        padded = encoder(**featurizer.collate([short, long]))
    assert alone.shape == (1, encoder.hidden_size)
    torch.testing.assert_close(padded[0], alone[0], rtol=1e-4, atol=1e-5)


def test_real_minilm_puts_paraphrases_closer_than_an_unrelated_sentence(sentiment_task):
    encoder = build_text_encoder(task=sentiment_task, options={}).eval()
    assert encoder.hidden_size == 384
    reviews = [
        "The delivery arrived two days late.",
        "My parcel was delivered two days after the promised date.",
        "This soup recipe needs more garlic.",
    ]
    featurizer = encoder.featurizer
    with torch.no_grad():
        vectors = encoder(**featurizer.collate(featurizer.encode(pa.table({"review": reviews}), inference=True)))
    similarity = torch.nn.functional.cosine_similarity
    paraphrase = similarity(vectors[0], vectors[1], dim=0)
    unrelated = max(similarity(vectors[0], vectors[2], dim=0), similarity(vectors[1], vectors[2], dim=0))
    assert paraphrase > unrelated + 0.2


def test_a_half_precision_checkpoint_loads_in_float32_and_stays_so_when_saved(sentiment_task, tmp_path):
    """Transformers 5 loads a checkpoint in the dtype it was saved in; a CPU would then train and
    predict in fp16. Weights load as float32 (autocast brings mixed precision on a GPU)."""
    tokenizer = AutoTokenizer.from_pretrained(default_model_path(), local_files_only=True)
    torch.manual_seed(0)
    half = BertModel(BertConfig(vocab_size=len(tokenizer), **TINY_BERT)).half()
    checkpoint = tmp_path / "half_checkpoint"
    half.save_pretrained(checkpoint)
    tokenizer.save_pretrained(checkpoint)
    with safe_open(str(checkpoint / "model.safetensors"), framework="pt") as weights:
        assert {weights.get_slice(name).get_dtype() for name in weights.keys()} == {"F16"}

    encoder = build_text_encoder(task=sentiment_task, options={"path": str(checkpoint)})
    assert {parameter.dtype for parameter in encoder.parameters()} == {torch.float32}
    embeddings = encoder.transformer.embeddings.word_embeddings.weight
    torch.testing.assert_close(embeddings, half.embeddings.word_embeddings.weight.float(), rtol=0, atol=0)

    table = pa.table({"review": ["great", "awful"], "target": ["positive", "negative"]})
    model = build_model(task=sentiment_task, backbone_factory=TEXT_BACKBONE, head_factory=CLASSIFICATION_HEAD,
                        train_table=table, backbone_options={"path": str(checkpoint)})
    save_model(model, tmp_path / "saved")
    reloaded = load_model(tmp_path / "saved")
    assert {parameter.dtype for parameter in reloaded.parameters()} == {torch.float32}
