"""The character model: classifies one 28x28 character image into the course's 80 classes."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from text_recognizer.data.augmentation import random_shift
from text_recognizer.data.character_mapping import CHARACTER_GROUPS
from text_recognizer.models.base import Model


class CharacterModel(Model):
    """A character classifier: sparse categorical cross-entropy on logits, accuracy as metric."""

    def loss(self) -> keras.losses.Loss:
        """Cross-entropy on the network's logits (the network has no softmax layer)."""
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self) -> list:
        """Accuracy, reported while training."""
        return ["accuracy"]

    def augment_batch(self, x: np.ndarray) -> np.ndarray:
        """Shift training images by up to 2 pixels (handwriting is never exactly centred)."""
        return random_shift(x, max_shift=2, rng=self.augment_rng)

    def predict_on_image(self, image: np.ndarray) -> tuple[str, float]:
        """Predict the character in one image and the model's confidence in it.

        The contract:

        - the character is the class the network finds most probable, as a string of
          `self.mapping`; the confidence is that class's probability under the network (a
          Python float in [0, 1]: a probability, not a logit);
        - it agrees with `self.predict_batch` (the batched path `evaluate` uses) on every image;
        - it is deterministic: the same image always gives the same answer (no training-time
          behaviour such as dropout may act).

        Mind the shapes: the image is one (28, 28) array, uint8 or float, while the network was
        built for batches of scaled images and returns logits.

        Example (a trained model: see the notebook):

            >>> character, confidence = model.predict_on_image(dataset.x_test[0])
            >>> character in model.mapping and 0.0 <= confidence <= 1.0
            True

        Notebook: "Exercise: predicting one character" runs it on test images.

        Args:
            image: one image of shape `self.input_shape` (uint8 in [0, 255] or float in [0, 1]).

        Returns:
            (character, confidence), e.g. ("A", 0.93).
        """
        image = self.check_image(image)
        batch = self.preprocess(image)[None]
        # predict_on_batch runs the compiled forward pass (inference mode): calling the network
        # eagerly dispatches it layer by layer, several times slower per image.
        logits = self.network.predict_on_batch(batch)
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))[0]
        index = int(np.argmax(probabilities))
        return self.mapping[index], float(probabilities[index])

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> dict[str, Any]:
        """Accuracy on (x, y) overall, per class group and averaged over classes.

        Returns a dict with `accuracy`, `balanced_accuracy` (mean of per-class accuracies),
        `accuracy_<group>` for digits / uppercase / lowercase, `num_samples`, and the
        predictions (`y_pred`) for confusion analysis.
        """
        y = np.asarray(y)
        y_pred = np.argmax(self.predict_batch(x, batch_size=batch_size), axis=-1)
        correct = y_pred == y
        present = np.unique(y)
        results: dict[str, Any] = {
            "num_samples": int(len(y)),
            "accuracy": float(correct.mean()) if len(y) else float("nan"),
            "balanced_accuracy": float(np.mean([correct[y == c].mean() for c in present])),
        }
        for group, characters in CHARACTER_GROUPS.items():
            in_group = np.array([self.mapping[c] in characters for c in y], dtype=bool)
            if in_group.any():
                results[f"accuracy_{group}"] = float(correct[in_group].mean())
        results["y_pred"] = y_pred
        return results
