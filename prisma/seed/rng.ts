// Deterministic randomness and identifiers for the seed: the same code always produces the same province,
// so tests, screenshots and the README can rely on names, codes and ids. No Math.random, no randomUUID.
import { createHash } from "node:crypto";

/** Fixed seed of the whole province. Change it and every generated name changes. */
export const SEED = 20_240_529;

/** 32-bit FNV-1a hash of a string. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny, fast PRNG with good enough spread for fake data. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Rng {
  /** Float in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** n distinct items in random order (all of them if n >= length). */
  sample<T>(items: readonly T[], n: number): T[];
  chance(p: number): boolean;
}

/**
 * An independent stream per concern ("names", "departments", ...): adding a user does not change the name of a
 * township, because each part of the generator draws from its own stream.
 */
export function rng(stream: string): Rng {
  const next = mulberry32(hash32(`${SEED}:${stream}`));
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return {
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new Error(`rng(${stream}).pick on an empty list`);
      return items[Math.floor(next() * items.length)]!;
    },
    shuffle,
    sample: (items, n) => shuffle(items).slice(0, n),
    chance: (p) => next() < p,
  };
}

/**
 * A stable UUID (version-5 layout, SHA-1 of a key) so a row's id depends only on what it is
 * ("institution:吉林大学第一医院"), not on insertion order. Reseeding gives every row the same id again.
 */
export function stableUuid(key: string): string {
  const b = createHash("sha1").update(`yilian-seed:${key}`).digest();
  b[6] = (b[6]! & 0x0f) | 0x50; // version 5
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.subarray(0, 16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Split `total` into integer parts proportional to `weights` (largest-remainder method), so the parts add up to
 * exactly `total`. Used to spread the province's 610 township health centres over its counties.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) throw new Error("apportion: weights sum to zero");
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left-- <= 0) break;
    parts[i]! += 1;
  }
  return parts;
}
