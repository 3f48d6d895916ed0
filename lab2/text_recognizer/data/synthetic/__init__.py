"""What the offline substitutes and the synthetic lines are made of.

The datasets of `text_recognizer.data` read real sources when they can (EMNIST, the Brown
corpus). Without internet they fall back to substitutes built here, always named as such:

- `handwriting_fonts.py`: the handwriting fonts (npm packages), split by "writer" into train / test;
- `glyph_rendering.py`: one 28x28 character rendered from a font, with random slant, stroke
  width, elastic distortion, blur and noise;
- `emnist_substitute.py`: the EMNIST substitute: real MNIST digits plus rendered letters;
- `symbol_rendering.py` (Lab 2): punctuation for the synthetic lines, at its natural height;
- `sentences.py` (Lab 2): Brown corpus sentences, the text of the synthetic lines.

Nothing here is needed to *use* a dataset: read `data/emnist.py` and `data/emnist_lines.py` first.
"""
