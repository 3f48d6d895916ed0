"""Lab 5's hidden suite: augmentation, line-box post-processing, the deployed page reader.

| test | points | hidden inputs, checked in the parent |
|---|---|---|
| random_slant | 8 | seeded lines: shape and dtype, vertical strokes lean, one angle per line, 0 degrees = identity |
| random_scale | 8 | half size: 10-pixel strokes, left-aligned; stretch widens |
| random_stroke_width | 6 | probability 1: every line thicker or thinner; probability 0: unchanged |
| random_contrast_noise | 6 | ink halved above the background without noise; range kept with noise |
| augment_lines | 4 | same seed, same batch; the batch changed |
| components_to_boxes | 6 | random rectangles and specks: the reference's boxes |
| merge_same_line | 6 | pieces of lines: their unions |
| split_tall_boxes | 8 | touching lines with a "between" row: split there |
| reading_order | 4 | shuffled boxes: sorted by centre, then left |
| line_boxes | 4 | one-hot probabilities of a page layout: its lines |
| line_boxes: rendered pages | 6 | pages by the grader's writers, a detector's soft output (word gap, touching lines, specks): one box per line, in order |
| Deployed page reader: hidden pages | 20 | pages by the grader's writers (never trained on): CER (full marks up to 0.45, zero from the best constant answer's CER), leaderboard (none for the reference model, known by its answers) |
| Notebook cells | 8 | the notebook's autograded cells (nbgrader) |

The hidden pages are rendered with this installation's secret seed by the writers of
`handwriting_writers.GRADER_WRITERS`; only their images enter the sandbox.
"""

TITLE = "Lab 5: real handwriting"
