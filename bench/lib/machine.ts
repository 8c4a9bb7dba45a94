/** What the numbers were measured on. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  kernel: string;
  virtualization?: string;
}

function osName(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(text)?.[1] ?? `${os.type()} ${os.release()}`;
  } catch {
    return `${os.type()} ${os.release()}`;
  }
}

function virtualization(): string | undefined {
  try {
    const out = execFileSync("lscpu", { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const hv = /^Hypervisor vendor:\s+(.+)$/m.exec(out)?.[1];
    return hv ? `${hv} guest` : undefined;
  } catch {
    return undefined;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: osName(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    virtualization: virtualization(),
  };
}

/** 1-minute load average: how busy the machine was (other work skews timings). */
export const loadAverage = (): number => Math.round((os.loadavg()[0] ?? Number.NaN) * 100) / 100;

/**
 * CPU time the hypervisor gave to other guests (steal), as ticks summed over every CPU, from
 * /proc/stat; undefined where there is none. The share of it during a figure says how noisy that
 * figure's machine was: on a shared VM, slow spells show up here first.
 */
export function stealTicks(): { steal: number; total: number } | undefined {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    if (fields.length < 8) return undefined;
    return { steal: fields[7] as number, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/** Steal time between two readings, in % of all CPU time. */
export function stealPercent(
  before: ReturnType<typeof stealTicks>,
  after: ReturnType<typeof stealTicks>,
): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return Math.round((1000 * (after.steal - before.steal)) / (after.total - before.total)) / 10;
}
