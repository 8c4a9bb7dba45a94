// `npm test` runs this first (pretest): the panel's browser test drives Debian's Chromium through
// playwright-core, which never downloads a browser. When /usr/bin/chromium is missing it installs
// Debian's `chromium` package (as root, or with sudo when that needs no password); otherwise it
// stops with the command to run. Output goes to stderr.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";
const say = (line) => process.stderr.write(`ensure-chromium: ${line}\n`);

if (existsSync(CHROMIUM)) process.exit(0);
if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get")) {
  say(
    `${CHROMIUM} is missing and this is not a Debian-like system: install Chromium at ${CHROMIUM} for the panel's browser test.`,
  );
  process.exit(1);
}
const root = process.getuid?.() === 0;
const prefix = root ? [] : ["sudo", "-n"];
const run = (args) => {
  const [command, ...rest] = [...prefix, ...args];
  return spawnSync(command, rest, { stdio: ["ignore", 2, 2] });
};
say("installing Debian's chromium package for the panel's browser test (once)");
for (const args of [
  ["apt-get", "update", "-qq"],
  ["apt-get", "install", "-y", "-qq", "chromium"],
]) {
  const result = run(args);
  if (result.status !== 0) {
    say(
      `\`${[...prefix, ...args].join(" ")}\` failed. Run \`sudo apt-get install -y chromium\` yourself, then npm test again.`,
    );
    process.exit(1);
  }
}
if (!existsSync(CHROMIUM)) {
  say(`the chromium package did not provide ${CHROMIUM}.`);
  process.exit(1);
}
