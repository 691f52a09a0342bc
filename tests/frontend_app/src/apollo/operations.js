// The Apollo app's operations: `npx generate-persisted-query-manifest` reads them from here.
import { gql } from "@apollo/client";

export const ME = gql`
  query Me {
    me { id name subscriptionTier }
  }
`;

export const DAILY = gql`
  query Daily {
    dailyPractice { date total exercises { id prompt status hintsUsed attempts } }
  }
`;

export const PROGRESS = gql`
  query Progress {
    progress { bests { longestStreakDays } thisWeek { exercisesCompleted } }
  }
`;

export const BUDGET = gql`
  query Budget {
    rateLimit { tier remaining }
  }
`;

export const START = gql`
  mutation Start($topic: String!) {
    startSession(input: { topic: $topic }) {
      id topic totalMessages
      edge { cursor node { id } }
    }
  }
`;

export const RECORD = gql`
  mutation Record($input: RecordMessageInput!) {
    recordMessage(input: $input) {
      id content
      edge { cursor node { id content role } }
      session { id totalMessages }
    }
  }
`;

export const CHAT = gql`
  query Chat($id: ID!, $last: Int, $before: String) {
    session(id: $id) {
      id
      messages(last: $last, before: $before) {
        edges { cursor node { id content role } }
        pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
      }
    }
  }
`;

export const HINT = gql`
  mutation Hint($id: ID!) {
    requestHint(id: $id) { text hintsUsed hintsRemaining exercise { id hintsUsed } }
  }
`;

export const ANSWER = gql`
  mutation Answer($id: ID!, $answer: String!) {
    submitExercise(id: $id, answer: $answer) {
      correct attemptsLeft exercise { id attempts status }
    }
  }
`;

export const MISSING_HINT = gql`
  mutation MissingHint {
    requestHint(id: "nope") { text }
  }
`;

export const REFETCH = gql`
  query Refetch($id: ID!) {
    node(id: $id) { id ... on Session { topic totalMessages } }
  }
`;

export const EXERCISE_HINTS = gql`
  fragment ExerciseHints on Exercise { hintsUsed }
`;
