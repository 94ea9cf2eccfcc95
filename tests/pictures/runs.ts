/**
 * Small simulated runs for the picture tests (tests/shared/diagram): a gossip network with every
 * fault the pictures draw (loss, duplication, a partition, a crash and restart, narration), built
 * on the kernel alone so that the renderers are tested apart from any concept's CLI.
 */
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace, type TraceEvent } from "../../shared/trace.js";
import { Gossiper, type TestMessage } from "../shared/fixtures/nodes.js";

export interface GossipRunOptions {
  seed: number;
  /** How many simulations, one after the other, each a run of its own. Default 1. */
  runs?: number;
  loss?: number;
  duplicate?: number;
  rumors?: number;
  untilMs?: number;
  /** Node names, three of them. */
  names?: [string, string, string];
}

/** The trace of one or more gossip runs, with the message events recorded. */
export function gossipTrace(options: GossipRunOptions): TraceEvent[] {
  const trace = new Trace({ messages: true });
  const [a, b, c] = options.names ?? ["n1", "n2", "n3"];
  for (let r = 0; r < (options.runs ?? 1); r++) {
    trace.section(`gossip run ${r + 1}`);
    const sim = new Simulation({ seed: options.seed + r, trace });
    const net = new Network<TestMessage>(sim, {
      loss: options.loss ?? 0.1,
      duplicate: options.duplicate ?? 0.1,
    });
    const nodes = [a, b, c].map((id, i, all) =>
      net.add(
        new Gossiper(
          id,
          net,
          all.filter((_, j) => j !== i),
        ),
      ),
    );
    nodes[0]?.seed(options.rumors ?? 2);
    sim.at(20, () => {
      net.isolate(c);
      trace.note(`${c} is cut off`, { time: sim.now });
    });
    sim.at(30, () => {
      nodes[1]?.crash();
    });
    sim.at(40, () => net.heal());
    sim.at(50, () => {
      nodes[1]?.recover();
      nodes[1]?.note("back; its volatile state is gone");
    });
    sim.run(options.untilMs ?? 100);
  }
  return trace.events;
}
