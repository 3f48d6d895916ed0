"""How any image becomes model input, in one place.

| module | what it does |
|---|---|
| `reading.py` | a path, encoded bytes or an array -> a 2-D uint8 grey array, EXIF orientation applied |
| `checks.py` | `ImageError` and the checks a model makes before it reads an array |
| `polarity.py` | the one rule that says whether the ink is dark (`ink_is_dark`), and `white_on_black` |
| `boxes.py` | `Box`: a rectangle (top, left, bottom, right) in pixels, the one box type |
| `line_normalization.py` | any line image -> what the handwriting line model reads (Lab 5) |
| `line_fitting.py` | a photo of one line -> what the Lab 3 line model reads, and its ink box (Lab 6) |

Everything here needs numpy and Pillow only: no model, no Keras, no web framework.
"""
