/**
 * The classic small histories of consistency models, scripted with their times, each with the
 * models it satisfies worked out by hand (the reasoning is in `why`, and in the comments), so the
 * checker's verdict can be compared with it. Registers start at nil; every value written to a key
 * is unique, so a read names the write it read from.
 *
 * Where they come from: the book draws the first two as figures of ch. 9, "Linearizability" (figure
 * 9-1, Alice and Bob and the football score) and "What Makes a System Linearizable?" (figures 9-2
 * and 9-3: a read concurrent with a write may return either value, but once one read has returned
 * the new value, no later read may return the old). The third is the litmus test known as IRIW,
 * independent reads of independent writes; the fourth is the book's Mr. Poons and Mrs. Cake
 * (ch. 5, "Consistent Prefix Reads", taken up again in ch. 9, "Ordering and Causality"); the last
 * two are the book's figures 5-3 and 5-4 (ch. 5, "Reading Your Own Writes", "Monotonic Reads").
 */

import type { ConsistencyModel } from "../../shared/check/consistency.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import { REF } from "../refs.js";

export interface ClassicHistory {
  name: string;
  /** What the history shows, as a heading. */
  title: string;
  ref: string;
  ops: CheckedOp[];
  /** The models that hold, worked out by hand; every other model is violated. */
  holds: readonly ConsistencyModel[];
  /** Why, in the book's terms: true of this scripted history whatever the flags. */
  why: string;
}

/** One operation: `write` of `value`, or `read` returning `value` (null: nil), from `call` to `ret`. */
function op(
  id: number,
  process: string,
  f: "read" | "write",
  key: string,
  value: string | null,
  call: number,
  ret: number,
): CheckedOp {
  return {
    id,
    process,
    f,
    key,
    input: f === "write" ? value : null,
    output: f === "read" ? value : null,
    outcome: "ok",
    callTime: call,
    returnTime: ret,
  };
}

const ALL: readonly ConsistencyModel[] = [
  "linearizable",
  "sequential",
  "causal",
  "pram",
  "read-your-writes",
  "monotonic-reads",
  "monotonic-writes",
  "writes-follow-reads",
];
const except = (...missing: ConsistencyModel[]) => ALL.filter((m) => !missing.includes(m));

export const CLASSIC_HISTORIES: readonly ClassicHistory[] = [
  {
    // Alice's read [2, 6] and Bob's [4, 8] overlap each other and the write [0, 10]. The order
    // Bob's read (at 4.5), the write (at 5), Alice's read (at 5.5) lies within every operation's
    // interval and explains both reads: linearizable, and so every weaker model.
    name: "concurrent-reads",
    title: "A read concurrent with a write may return either value",
    ref: REF.whatIsLinearizable,
    ops: [
      op(0, "referee", "write", "score", "final", 0, 10),
      op(1, "alice", "read", "score", "final", 2, 6),
      op(2, "bob", "read", "score", null, 4, 8),
    ],
    holds: ALL,
    why: "Both reads overlap the write, and each other: the write may take effect at any instant between its invocation and its completion, so one order puts Bob's read just before it and Alice's just after, within every operation's interval (the book's figure 9-2). Linearizable, and so every weaker model.",
  },
  {
    // The same, but Bob invokes his read at 7, after Alice's returned at 6. Alice's read must take
    // effect by 6 and after the write; Bob's at 7 or later and before the write: no order fits
    // real time. Without real time, Bob's read, the write, Alice's read is a legal order of all
    // three that keeps each process's order (one operation each): sequential.
    name: "figure-9-1",
    title: "Sequential, not linearizable: Bob reloads after Alice's read and sees the old score",
    ref: REF.whatIsLinearizable,
    ops: [
      op(0, "referee", "write", "score", "final", 0, 10),
      op(1, "alice", "read", "score", "final", 2, 6),
      op(2, "bob", "read", "score", null, 7, 9),
    ],
    holds: except("linearizable"),
    why: "Bob's read began after Alice's had returned the final score, so in real time it comes after hers, and after the write she saw: it cannot return nil (the book's figure 9-1; figure 9-3's rule). Sequential consistency (Lamport 1979) asks only for one order that keeps each process's own order, and ignores real time: Bob's read, then the write, then Alice's read explains every read.",
  },
  {
    // c's reads put a's write before c's read of y = nil, which precedes b's write; d's put b's
    // write before a's. Every single order contradicts one of them: not sequential. Nothing
    // orders the two writes causally (neither process read anything before writing), so each
    // reader's view may order them as it saw them: causal memory holds, and with it PRAM and,
    // here, no session guarantee has a witness.
    name: "iriw",
    title: "Causal, not sequential: independent reads of independent writes",
    ref: REF.causalNotTotal,
    ops: [
      op(0, "a", "write", "x", "1", 0, 10),
      op(1, "b", "write", "y", "1", 0, 10),
      op(2, "c", "read", "x", "1", 12, 14),
      op(3, "c", "read", "y", null, 16, 18),
      op(4, "d", "read", "y", "1", 12, 14),
      op(5, "d", "read", "x", null, 16, 18),
    ],
    holds: except("linearizable", "sequential"),
    why: "c saw a's write and not yet b's; d saw b's and not yet a's: the two readers disagree on the order of two writes that nothing orders (they are concurrent), so no single order of all the operations explains both. Causal memory (Ahamad et al. 1995) lets each process order concurrent writes its own way: the causal order is a partial order, not a total one.",
  },
  {
    // cake's write of the answer follows her read of the question, so the question happened before
    // the answer (program order plus reads-from). The observer reads the answer and then nil for
    // the question: causal memory forbids it. PRAM keeps only each process's own order, and the
    // question and the answer were written by different processes: the observer's view may put
    // the answer first. Writes-follow-reads names exactly this pattern; read-your-writes (the
    // observer wrote nothing), monotonic reads (it had not read the question before) and
    // monotonic writes (poons wrote one value) have no witness.
    name: "question-and-answer",
    title: "PRAM, not causal: the answer seen before the question",
    ref: REF.causality,
    ops: [
      op(0, "poons", "write", "question", "Q", 0, 2),
      op(1, "cake", "read", "question", "Q", 4, 6),
      op(2, "cake", "write", "answer", "A", 8, 10),
      op(3, "observer", "read", "answer", "A", 12, 14),
      op(4, "observer", "read", "question", null, 16, 18),
    ],
    holds: ["pram", "read-your-writes", "monotonic-reads", "monotonic-writes"],
    why: "Mrs. Cake read the question before writing her answer, so the question happened before the answer: the answer is causally dependent on it. The observer sees the answer and then no question (the book's figure 5-5), which causal memory forbids. PRAM (Lipton and Sandberg 1988) keeps only each process's own order, and the two writes come from different processes, so it allows it. Of the session patterns, writes-follow-reads is the one shown: the observer saw a write made after a read of the question, and then did not see the question. (Terry et al. state the guarantee on servers: a server that has the answer has the question. The observer's second read may have gone to a server with neither, so in their terms it takes writes-follow-reads for Mrs. Cake's session and monotonic reads for the observer's, together, to rule this history out.)",
  },
  {
    // The user's own write precedes its read in its program order, so every view of the user
    // orders the write first and the read must see it: not PRAM, and no stronger model. No other
    // pattern appears: the user read nothing earlier, and nobody else wrote.
    name: "figure-5-3",
    title: "Not PRAM: a user does not read its own write",
    ref: REF.readYourWrites,
    ops: [
      op(0, "user-1234", "write", "comment", "hi", 0, 4),
      op(1, "user-1234", "read", "comment", null, 6, 8),
    ],
    holds: ["monotonic-reads", "monotonic-writes", "writes-follow-reads"],
    why: "The user's write returned before its read began, and the read returned nil, as a read from a follower the write has not reached yet does (the book's figure 5-3). The user's own view orders its write before its read, so not even PRAM holds; read-your-writes is the session guarantee broken.",
  },
  {
    // user-2345 reads the write and then nil: its view has the write before its second read,
    // which must see it. Not PRAM. Monotonic reads is the pattern; user-1234 wrote one value and
    // user-2345 wrote nothing.
    name: "figure-5-4",
    title: "Not PRAM: time goes backwards for a reader",
    ref: REF.monotonicReads,
    ops: [
      op(0, "user-1234", "write", "comment", "hi", 0, 4),
      op(1, "user-2345", "read", "comment", "hi", 6, 8),
      op(2, "user-2345", "read", "comment", null, 10, 12),
    ],
    holds: ["read-your-writes", "monotonic-writes", "writes-follow-reads"],
    why: "User 2345 read the comment, then read again and found none, as a read from a second follower further behind does (the book's figure 5-4). The first read puts the write before the second in that user's own view: not PRAM, and monotonic reads is the session guarantee broken.",
  },
];
