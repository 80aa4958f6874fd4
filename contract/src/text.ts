// Text the service accepts at all, checked once for every REST request and Socket.IO event before any schema:
// no NUL (PostgreSQL text cannot hold it) and no unpaired UTF-16 surrogates (not Unicode; they cannot be stored
// or sent on as UTF-8), in any string or object key, and no absurd nesting.
import { AppError, ErrorCode } from "./errors";

/** Deeper than any request the API defines; stops pathological JSON before validators recurse through it. */
export const MAX_INPUT_DEPTH = 32;

const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isSafeText(s: string): boolean {
  return !UNSAFE.test(s);
}

/** The first place in `value` holding unsafe text or nested too deep, as a dotted path under `root`; null when clean. */
export function findUnsafeInput(value: unknown, root: string): { path: string; reason: "text" | "depth" } | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: root, depth: 0 }];
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === "string") {
      if (!isSafeText(v)) return { path, reason: "text" };
    } else if (v !== null && typeof v === "object") {
      if (depth >= MAX_INPUT_DEPTH) return { path, reason: "depth" };
      for (const [k, child] of Object.entries(v)) {
        if (!isSafeText(k)) return { path, reason: "text" };
        stack.push({ v: child, path: `${path}.${k}`, depth: depth + 1 });
      }
    }
  }
  return null;
}

/** Throws VALIDATION_FAILED (400, zh-CN) for input `findUnsafeInput` refuses. */
export function assertSafeInput(value: unknown, root: string): void {
  const bad = findUnsafeInput(value, root);
  if (!bad) return;
  const message = bad.reason === "text" ? "含有不允许的字符（空字符或无效的 Unicode 字符）" : "嵌套层级过深";
  throw new AppError(ErrorCode.VALIDATION_FAILED, `请求内容不符合要求：${message}`, {
    issues: [{ path: bad.path, message }],
  });
}
