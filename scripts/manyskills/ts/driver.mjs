// Drives the fake of scripts/manyskills.sh with the official TypeScript SDK
// (pinned in package.json), as godriver does with the Go client, and prints
// one JSON line: failures and wall time. Flags as godriver's.
import { BrowserUse } from "browser-use-sdk";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("-") ? [...pairs, [a.replace(/^-+/, ""), all[i + 1]]] : pairs), []),
);
const url = args.url;
const clients = Number(args.clients ?? 1);
const workers = Number(args.goroutines ?? 64);
const calls = Number(args.calls ?? 256);
const skill = "3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10";

let failures = 0;
let firstError;
const start = performance.now();
await Promise.all(
  Array.from({ length: clients }, async () => {
    const client = new BrowserUse({ apiKey: "bu_test_key", baseUrl: url });
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next++ < calls) {
          try {
            await client.skills.execute(skill, { parameters: {} });
          } catch (e) {
            failures++;
            firstError ??= String(e?.message ?? e);
          }
        }
      }),
    );
  }),
);
const out = { failures, seconds: (performance.now() - start) / 1000 };
if (firstError) out.firstError = firstError;
console.log(JSON.stringify(out));
