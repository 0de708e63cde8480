/** The method paragraph at the top of BENCHMARKS.md. */
export const INTRO: string[] = [
  'Every server runs as its own Node process on loopback, pinned to core 0 when `taskset` is available; the load runs in',
  'separate worker processes pinned to core 1. Load clients are light y-websocket protocol clients (frames timestamped',
  'and counted, no Y.Doc); Hocuspocus is driven through its own framing (document-name prefix, auth handshake). Every',
  'scenario ends with a Y.Doc client comparing the server\'s content with the expected text. Servers:',
  '',
  '- **ours** — `apps/relay` as shipped (SQLite under `DATA_DIR` on disk); **ours (tmpfs)** — the same with `DATA_DIR` on',
  '  tmpfs (the relay has no switch to turn persistence off; this removes the disk, not the storage work);',
  '- **y-websocket 1.5.4** — the classic reference `bin/server.js` (in-memory, no persistence);',
  '- **Hocuspocus 3.4.4** — the newest release that runs on Node 20 (4.x needs Node 22), in-memory, no extensions;',
  '- **ws floor** — a bare `ws` server that only forwards frames and hands joiners the largest uploaded state: the',
  '  physical floor of this machine, not a peer.',
  '',
  'The ratio column is ours ÷ the best peer (y-websocket or Hocuspocus) from the same run: below 1 is better for ↓',
  'figures, above 1 for ↑ figures. The machine is shared, so absolute numbers are noisy; ratios from one run are the',
  'comparison that counts.',
]
