"""Lab 3's hidden suite: CTC lengths, loss and decoding, the LSTM-CTC network, the line predictor.

| test | points | how it is checked (always in the parent, from plain data) |
|---|---|---|
| ctc_lengths | 10 | integer and float padded labels: label lengths and logit lengths equal the parent's counts |
| CtcLoss | 15 | per line: the parent's own numpy CTC forward algorithm (-log p(label), blank 0) |
| ctc_decode_logits: greedy text / confidence | 10 + 5 | per line of parent-built logits (repeats, blanks, a grader mapping): collapsed best path, product of best-step probabilities |
| ctc_decode_logits: beam-search text / confidence | 10 + 5 | per line: the text, and a confidence between the best path's and the text's exact probability |
| line_lstm_ctc: keras.Model / layers and logits / shape | 5 + 10 + 5 | reported weights loaded into the reference network in the parent reproduce the reported logits |
| Deployed predictor: support lines | 10 | CER below 0.2 on seeded copies of solutions/tests/support/emnist_lines |
| Deployed predictor: hidden lines | 15 | CER on the public half of the hidden lines, read line by line through the student's predictor: full marks up to `CER_TARGET`, zero from the best constant answer's CER |

The leaderboard ranks the hidden lines' CER (public half; the private half for the final ranking),
lower is better; the course's reference model, known by its answers on the hidden lines
(`reference_answers.py`), gets no entry. The parent's numpy CTC is `ctc_reference.py`; the hidden lines, `hidden_set.py`.
"""

TITLE = "Lab 3: reading lines with an LSTM and CTC"
