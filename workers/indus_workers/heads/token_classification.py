"""One BIO tag per word, e.g. O, B-DRUG, I-DRUG; the task's target labels are the tag set.

The head reads one vector per sub-token. A row's target is one tag per word;
`indus_workers.targets` aligns it to the first sub-token of each word and puts -100 (skipped by
the loss) on special and continuation sub-tokens, and maps predictions back to words.
"""
from indus_workers.heads.classification import ClassificationHead


class TokenClassificationHead(ClassificationHead):
    token_level = True
    what = "tag"

    def encode_target(self, value) -> list[int]:
        return self.label_index.ids_of(value, what="a token-tag target")

    def decode(self, predictions) -> list[dict]:
        # One entry per sub-token, padding included; the caller keeps each word's first one.
        return [
            {"tags": self.label_index.names_of(tags), "scores": scores}
            for tags, scores in zip(
                predictions["label"].tolist(),
                predictions["probabilities"].max(dim=-1).values.tolist(),
            )
        ]
