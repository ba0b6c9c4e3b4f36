// The TypeScript half of `make sidebyside` (see run.sh): calls the fake
// server's skill with the official SDK, pinned in package.json, as main.go's
// driver does with this client, and prints the same line of JSON.
//
//   node drive.mjs URL small|large CONCURRENCY SECONDS
import { BrowserUse } from "browser-use-sdk";

const [base, size, concArg, secsArg] = process.argv.slice(2);
const skills = {
  small: "5d0a3c9e-2b7f-4e61-a8c4-71f9e0b2d3a6",
  large: "9e4b1f7a-6c2d-4a85-b3e0-2f8d7c6a1b59",
};
const skill = skills[size];
if (!base || !skill) {
  console.error("usage: node drive.mjs URL small|large CONCURRENCY SECONDS");
  process.exit(2);
}
const conc = Number(concArg ?? 1);
const secs = Number(secsArg ?? 5);

const client = new BrowserUse({ apiKey: "bu_sidebyside", baseUrl: base });
const body = { parameters: { query: "usb-c hub", limit: 10 } };

async function call() {
  const r = await client.skills.execute(skill, body);
  const ok = size === "small" ? r.result?.inStock === true : r.result?.length === 5000;
  if (!r.success || !ok) throw new Error("unexpected result");
}

for (let i = 0; i < 3 * conc; i++) await call(); // warm up, as the Go driver does

let calls = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
const deadline = start + secs * 1000;
await Promise.all(
  Array.from({ length: conc }, async () => {
    while (performance.now() < deadline) {
      await call();
      calls++;
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    calls,
    seconds: Number(elapsed.toFixed(2)),
    callsPerSec: Number((calls / elapsed).toFixed(1)),
    cpuMsPerCall: Number(((cpu.user + cpu.system) / 1000 / calls).toFixed(3)),
  }),
);
