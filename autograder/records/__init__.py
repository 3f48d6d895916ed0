"""What a grading leaves behind: results.json (`results`), the leaderboard and its web view
(`leaderboard`, `web`), nbgrader's gradebook (`gradebook`), and who submitted when (`submissions`).
Records import nothing of the pipeline: they are written and read by the layers above.
"""
