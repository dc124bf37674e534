// A Node.js service that leaks the way Node services do: every request registers a listener on a
// long-lived emitter and never removes it, and the listener's closure keeps the request's data.
// RUNTIME_MODE=bounded instead keeps the last CACHE_ENTRIES requests in an LRU (a Map in
// insertion order): it fills up to its cap and stays there, which is not a leak.
//   LEAK_KIB_PER_S  KiB retained a second (default 64), after LEAK_START_AFTER seconds (300)
//   CACHE_ENTRIES   the LRU's cap in entries of about 1 KiB (default 100000)
'use strict';
const EventEmitter = require('events');

const mode = process.env.RUNTIME_MODE || 'leak';
const kibPerSecond = Number(process.env.LEAK_KIB_PER_S || 64);
const startAfter = Number(process.env.LEAK_START_AFTER || 300) * 1000;
const cap = Number(process.env.CACHE_ENTRIES || 100000);
const tickMs = 100;

const bus = new EventEmitter();
bus.setMaxListeners(0);
const lru = new Map();
const started = Date.now();
let n = 0;
let owed = 0;

function handle(id) {
  // The request's work: garbage that the next scavenge takes (the sawtooth's teeth).
  const parsed = JSON.parse(JSON.stringify({ id, items: Array.from({ length: 64 }, (_, i) => i) }));
  const data = 'r'.repeat(1000) + id;  // about 1 KiB the request keeps
  if (Date.now() - started < startAfter) return parsed.items.length;
  if (mode === 'leak') {
    bus.on('config', () => data.length);
  } else {
    lru.set(id, data);
    if (lru.size > cap) lru.delete(lru.keys().next().value);
  }
  return parsed.items.length;
}

setInterval(() => {
  owed += (kibPerSecond * tickMs) / 1000;
  for (; owed >= 1; owed -= 1) handle(n++);
}, tickMs);
