"""The benchmark's GraphQL documents (W1-W4 run over HTTP; W1-wide only in --quick)."""

W1 = """query W1 { users(first: 50) { edges { node { id name sessions(first: 10) { edges { node {
  id topic startedAt messages(first: 20) { edges { node { role content timestamp errors { category subcategory correction } } } } } } } } } } }"""
# W1 with ten scalar fields and five error fields per message.
W1_WIDE = """query W1Wide { users(first: 50) { edges { node { id name sessions(first: 10) { edges { node {
  id topic startedAt messages(first: 20) { edges { node { id role content timestamp provider model
  tokensIn tokensOut cost responseTimeMs
  errors { category subcategory excerpt correction explanation } } } } } } } } } } }"""
# W1 asking for every edge's cursor too (the cursor lever).
W1_CURSORS = W1.replace("edges { node", "edges { cursor node")
W2 = """mutation W2($id: ID!) { generateExercise(userId: $id, count: 3) { id type prompt choices
  user { errorStats(top: 5) { totalErrors items { category subcategory count weight } } } } }"""
W3 = """mutation W3($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"""
W4 = "query W4 { me { name subscriptionTier } }"
# The page a learner opens most: their last 3 sessions, 20 messages each, with errors.
MID = """query Mid { me { name sessions(first: 3) { edges { node { id topic totalMessages
  messages(first: 20) { edges { node { id role content timestamp
  errors { category subcategory excerpt correction } } } } } } } } }"""
# A learner's practice page: today's set and this month's progress.
DAILY = """query Daily { dailyPractice { date completed total exercises { id type prompt status } }
  progress { points { start messages errors exercisesAttempted exercisesCorrect } } }"""
