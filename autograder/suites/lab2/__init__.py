"""Lab 2's hidden suite: LeNet, extract_windows, the all-convolutional line CNN.

| test | points | how it is checked (always in the parent, from plain data) |
|---|---|---|
| LeNet: returns a keras.Model | 5 | per argument set, believed only of a verified network |
| LeNet: layers and logits follow the specification | 20 | the reported weights, loaded into the reference LeNet in the parent, reproduce the reported logits |
| LeNet: logits have shape (batch, num_classes) | 10 | per verified argument set |
| LeNet: parameter count | 5 | the reference count, also reported by Keras |
| extract_windows: the windows | 25 | per argument set, the returned array equals the parent's numpy windows |
| Line CNN all-conv: same features as the sliding windows | 25 | the reported weights, put into the reference *sliding-window* network in the parent, give the reported features |
| Line CNN all-conv: parameter count | 10 | per verified argument set: as many weights as the sliding-window network |

No leaderboard: Lab 2 has no deployed model of its own to rank.
"""

TITLE = "Lab 2: convolutional networks, LeNet and line CNNs"
