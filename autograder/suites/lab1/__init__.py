"""Lab 1's hidden suite: the MLP, predict_on_image, the deployed predictor and its leaderboard."""

TITLE = "Lab 1: character recognition with an MLP"
