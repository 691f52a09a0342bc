// The urql app's operations; urql-manifest.mjs builds the allow-list from these.
import { gql } from "@urql/core";

export const ME = gql`
  query UrqlMe {
    me { id name subscriptionTier }
    rateLimit { tier remaining }
  }
`;

export const START = gql`
  mutation UrqlStart($topic: String!) {
    startSession(input: { topic: $topic }) { id edge { cursor } }
  }
`;

export const RECORD = gql`
  mutation UrqlRecord($input: RecordMessageInput!) {
    recordMessage(input: $input) { id content }
  }
`;

export const CHAT = gql`
  query UrqlChat($id: ID!, $last: Int, $before: String) {
    session(id: $id) {
      id
      messages(last: $last, before: $before) {
        edges { cursor node { id content } }
        pageInfo { hasPreviousPage startCursor }
      }
    }
  }
`;

export const PROGRESS = gql`
  query UrqlProgress {
    progress { bests { longestStreakDays } }
  }
`;
