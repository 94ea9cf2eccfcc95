/**
 * The gossip protocol's messages (DDIA ch. 6, "Request Routing": Cassandra and Riak use a gossip
 * protocol among the nodes to disseminate changes in cluster state; ch. 5, "Read repair and
 * anti-entropy"). One update spreads: a version of some state, such as a cluster's membership.
 *
 * The three ways of spreading are Demers et al.'s (1987, "Epidemic algorithms for replicated
 * database maintenance"), each node calling one peer chosen at random per round:
 * - push:      a node that knows the update sends it to its peer (`Push`).
 * - pull:      every node sends its peer a digest of what it has (`PullRequest`), and the peer
 *              answers with the update if the digest shows the asker lacks it (`PullReply`).
 * - push-pull: every node sends its peer its digest and, if it knows the update, the update
 *              itself (`PushPull`); the peer keeps what it lacked and answers as pull does.
 */

/** The update being spread, with its version: a node keeps the highest version it has seen. */
export interface Update {
  readonly version: number;
  readonly value: string;
}

export type GossipMessage =
  | { readonly type: "Push"; readonly update: Update }
  /** `version`: the digest, the highest version the asker has (0: none). */
  | { readonly type: "PullRequest"; readonly version: number }
  | { readonly type: "PullReply"; readonly update: Update }
  /** The caller's digest and, if it has one, its update. */
  | { readonly type: "PushPull"; readonly version: number; readonly update: Update | null };

export type GossipMessageType = GossipMessage["type"];

export const MESSAGE_TYPES: readonly GossipMessageType[] = [
  "Push",
  "PullRequest",
  "PullReply",
  "PushPull",
];
