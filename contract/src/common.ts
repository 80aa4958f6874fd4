import { z } from "zod";

/** Limits that keep a single field from bloating a record or a log line. */
export const LIMITS = { shortText: 200, mediumText: 2000, longText: 20000, pageSizeMax: 200 } as const;

export const Id = z.uuid({ message: "必须是有效的 ID" });
export const IdParams = z.object({ id: Id });

/** Query-string booleans arrive as strings. */
export const QueryBoolean = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

export const Pagination = z.object({
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** The schema of a page of items (`total` over all pages), for list answers. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
/** A plain list answer (no paging). */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/**
 * Asia/Shanghai is UTC+08:00 all year (no daylight saving time in China since 1991): local wall-clock ↔ UTC is
 * this fixed offset everywhere times are stored in UTC and shown or bucketed in local time.
 */
export const SHANGHAI_OFFSET_MS = 8 * 3600_000;
