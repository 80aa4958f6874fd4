// Declares one endpoint: its zod schemas validate the request, type the handler's answer and document both in
// /openapi.json. The response schema comes from contract/ (the SDK's return types are the same schemas); under test
// every JSON answer is also checked against it, so a drifted field fails the test that produced it.
import type { Request, RequestHandler, Response, Router } from "express";
import type { z } from "zod";
import { describeRoute } from "./openapi";
import { validate, type RequestSchemas, type Valid } from "./validate";

interface RouteSpec<S extends RequestSchemas, R extends z.ZodType | undefined> {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  schemas: S;
  /** The JSON success answer (a contract schema). */
  response?: R;
  /** Success status when not 200: 201 created, 202 accepted, 204 no content. */
  status?: 201 | 202 | 204;
  /** Non-JSON answers (files, FHIR, iCalendar, CSV): their media types, for the document. */
  produces?: string[];
  /** Extra middleware before validation (authentication, rate limits). */
  before?: RequestHandler[];
}

/** Content codings a kept answer may carry ready-made, in the server's order of preference. */
export const ANSWER_CODINGS = ["br", "gzip"] as const;
export type AnswerCoding = (typeof ANSWER_CODINGS)[number];

/**
 * A JSON answer already serialized (by PostgreSQL, for answers of thousands of rows): sent as it is. Under test it
 * is parsed and checked against the route's response schema like any other answer. An answer kept for reuse carries
 * its encoded bytes and ETag, so that sending it again neither re-encodes nor re-hashes a megabyte, and may carry
 * the same bytes compressed once, sent to a client that accepts the coding (a megabyte is ~50 kB in Brotli: on a
 * county's or township's link that is the difference between a chart at once and seconds of waiting).
 */
export class JsonText<T = unknown> {
  constructor(
    readonly text: string | Buffer,
    readonly etag?: string,
    readonly coded?: Readonly<Record<AnswerCoding, Buffer>>,
  ) {}
  parse(): T {
    return JSON.parse(this.text.toString()) as T;
  }
}

/** What a handler may return: its response schema's shape, or nothing when it answered itself (files). */
type Answer<R> = R extends z.ZodType ? z.input<R> | JsonText<z.input<R>> | void : unknown;

const checkResponses = process.env.NODE_ENV === "test";

/** One group's route registrar: modules that share a group (prefix, tag, auth) take it as a parameter. */
export type Route = ReturnType<typeof routeGroup>;

export function routeGroup(router: Router, opts: { prefix: string; tag: string; auth: RequestHandler | null }) {
  return <S extends RequestSchemas, R extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<S, R>,
    handler: (input: Valid<S>, req: Request, res: Response) => Promise<Answer<R>> | Answer<R>,
  ) => {
    describeRoute({
      method: spec.method,
      path: opts.prefix + spec.path,
      summary: spec.summary,
      tag: opts.tag,
      auth: opts.auth !== null,
      schemas: spec.schemas,
      response: spec.response,
      status: spec.status,
      produces: spec.produces,
    });
    const chain: RequestHandler[] = [...(opts.auth ? [opts.auth] : []), ...(spec.before ?? []), validate(spec.schemas)];
    router[spec.method](opts.prefix + spec.path, ...chain, async (req, res) => {
      // The documented status by default; a handler may still answer another (e.g. 200 for a repeated registration).
      if (spec.status) res.status(spec.status);
      const result = await handler(res.locals.valid as Valid<S>, req, res);
      if (res.headersSent) return;
      if (result === undefined) {
        res.status(204).end();
        return;
      }
      const text = result instanceof JsonText ? result : null;
      if (checkResponses && spec.response) {
        const r = spec.response.safeParse(text ? text.parse() : result);
        if (!r.success)
          throw new Error(
            `${spec.method.toUpperCase()} ${opts.prefix + spec.path}: answer does not match its contract schema: ${r.error.message}`,
          );
      }
      if (text) sendJsonText(req, res, text);
      else res.json(result);
    });
  };
}

/** Sends a serialized answer, compressed ready-made when the client accepts it (Express answers 304 to its ETag). */
function sendJsonText(req: Request, res: Response, text: JsonText): void {
  res.type("json");
  if (!text.coded) {
    if (text.etag) res.setHeader("etag", text.etag);
    res.send(text.text);
    return;
  }
  res.vary("Accept-Encoding");
  // Ours, not the client's order, among what it accepts (browsers list gzip first; Brotli is smaller and decodes
  // several times faster).
  const coding = ANSWER_CODINGS.find((c) => req.acceptsEncodings(c) === c);
  if (coding) {
    res.setHeader("content-encoding", coding);
    // Another representation: another ETag (a cache must not answer one coding's request with the other's bytes).
    if (text.etag) res.setHeader("etag", `${text.etag.slice(0, -1)}-${coding}"`);
    res.send(text.coded[coding]);
    return;
  }
  if (text.etag) res.setHeader("etag", text.etag);
  res.send(text.text);
}
