"""How any image becomes model input, in one place.

| module | what it does |
|---|---|
| `reading.py` | a path, encoded bytes or an array -> a 2-D uint8 grey array, EXIF orientation applied |
| `checks.py` | `ImageError` and the checks a model makes before it reads an array |
| `polarity.py` | the one rule that says whether the ink is dark (`ink_is_dark`), and `white_on_black` |
| `boxes.py` | `Box`: a rectangle (top, left, bottom, right) in pixels, the one box type |
| `background.py` | the smooth light behind the ink, which lines subtract and page photos divide by (Lab 5) |
| `line_normalization.py` | any line image -> what the handwriting line model reads (Lab 5) |
| `page_photo.py` | a phone photo of a page -> the flat, evenly lit page the line detector reads (Lab 5) |
| `page_size.py` | a page scaled down to at most `MAX_PAGE_SIDE` pixels, before anything else (Lab 5) |
| `line_fitting.py` | a photo of one line -> what the Lab 3 line model reads, and its ink box (Lab 6) |

Everything here needs numpy, Pillow and SciPy only: no model, no Keras, no web framework.
"""
