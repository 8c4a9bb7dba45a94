// The round-trip figure's other process: makes the same backend calls as the in-process part
// (bench/lib/backendClients.ts), so each is measured with the deployment in another process, as
// a server's calls are. argv: JSON {url, token, meetingId, warmup, rounds, perRound}; prints
// JSON {id: samples} on stdout.
import { CLIENT_SUBJECTS } from "../lib/backendClients.js";

const config = JSON.parse(process.argv[2] ?? "{}") as {
  url: string;
  token: string;
  meetingId: string;
  warmup: number;
  rounds: number;
  perRound: number;
};
const subjects = CLIENT_SUBJECTS.map((s) => ({ id: s.id, ...s.make(config) }));
const samples: Record<string, number[]> = {};
const cpu: Record<string, number> = {};
for (const s of subjects) for (let i = 0; i < config.warmup; i++) await s.call();
for (let round = 0; round < config.rounds; round++) {
  for (let k = 0; k < subjects.length; k++) {
    const s = subjects[(k + round) % subjects.length] as (typeof subjects)[number];
    const list = samples[s.id] ?? [];
    samples[s.id] = list;
    const before = process.cpuUsage();
    for (let i = 0; i < config.perRound; i++) {
      const started = process.hrtime.bigint();
      await s.call();
      list.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const used = process.cpuUsage(before);
    cpu[s.id] = (cpu[s.id] ?? 0) + (used.user + used.system) / 1000;
  }
}
for (const s of subjects) s.close();
process.stdout.write(`${JSON.stringify({ samples, cpu })}\n`);
process.exit(0);
