#!/usr/bin/env -S npx tsx
/** The `onramp` command (`npm run onramp -- …`): history import and export. See main.ts for the commands. */
import { main } from './main.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
